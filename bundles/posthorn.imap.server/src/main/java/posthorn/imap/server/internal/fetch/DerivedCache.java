package posthorn.imap.server.internal.fetch;

import posthorn.imap.server.internal.mime.MimeLimits;
import posthorn.store.api.Mailbox;

/**
 * Values derived from a message (ENVELOPE, BODYSTRUCTURE, SORT keys) kept in the store's cache
 * (store.api 1.1 {@link Mailbox#cached}/{@link Mailbox#cache}), so that a message is parsed once, not
 * once per command. The values are the exact bytes that go into responses. BODY and BODYSTRUCTURE
 * depend on the {@link MimeLimits} too: under limits other than the defaults they are kept under a
 * field of their own ({@link #structureField}), so a changed setting never serves a stale value.
 */
public final class DerivedCache {
    public static final String ENVELOPE = "imap.envelope";
    public static final String BODYSTRUCTURE = "imap.bodystructure";
    public static final String BODY = "imap.body";

    private DerivedCache() {
    }

    /** The field for BODY or BODYSTRUCTURE ({@code base}) as parsed under {@code limits}. */
    public static String structureField(String base, MimeLimits limits) {
        return limits.equals(MimeLimits.DEFAULTS) ? base
                : base + "." + limits.maxDepth() + "." + limits.maxParts();
    }

    public static byte[] get(Mailbox box, long uid, String field) {
        return box.cached(uid, field);
    }

    public static void put(Mailbox box, long uid, String field, byte[] value) {
        box.cache(uid, field, value);
    }
}
