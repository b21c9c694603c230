package posthorn.imap.server.internal.state;

import posthorn.store.api.Mailbox;

/**
 * The optional per-mailbox parts of the store SPI (store.api 1.6.0: {@code ObjectIdMailbox},
 * {@code SaveDateMailbox}) of a handle the server may have wrapped (ACL checks): the store's own
 * handle implements them, the wrapper does not.
 */
public final class StoreParts {
    /** A handle that wraps the store's own, as the ACL checks do. */
    public interface Wrapper {
        Mailbox unguarded();
    }

    private StoreParts() {
    }

    /** The handle's part of that type, or null where the store has none. */
    public static <T> T of(Mailbox box, Class<T> part) {
        Mailbox b = box;
        while (b instanceof Wrapper w) {
            if (part.isInstance(b)) {
                return part.cast(b);
            }
            b = w.unguarded();
        }
        return part.isInstance(b) ? part.cast(b) : null;
    }
}
