package posthorn.imap.server.internal.command;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.store.api.StoreException;

/**
 * A session's mailbox names: the wire codec (modified UTF-7, or UTF-8 after ENABLE IMAP4rev2) and
 * the personal namespace, applied together wherever a command takes or returns a mailbox name.
 * {@link #decode} and {@link #encode} give and take the store's names.
 */
public record ClientNames(MailboxNameCodec codec, PersonalNamespace namespace) {

    /** The store's name of a mailbox argument as written: NO [NONEXISTENT] if it names none. */
    public String decode(String wire) throws StoreException {
        if (wire.isEmpty()) {
            // grammatical, but no mailbox has the empty name: NO, as Dovecot answers (not BAD)
            throw new StoreException(StoreException.Reason.NONEXISTENT, "No mailbox has an empty name");
        }
        return namespace.toStore(codec.decode(wire));
    }

    /**
     * The store's name for a mailbox to be made (CREATE, RENAME's new name): one invalid in the codec
     * or outside the namespace cannot be, NO [CANNOT].
     */
    public String newName(String wire) throws StoreException {
        if (wire.isEmpty()) {
            throw new StoreException(StoreException.Reason.CANNOT, "A mailbox cannot have an empty name");
        }
        String client = codec.newName(wire);
        try {
            return namespace.toStore(client);
        } catch (StoreException e) {
            throw new StoreException(StoreException.Reason.CANNOT, e.getMessage());
        }
    }

    /** One of the store's names as the client reads it. */
    public String encode(String store) {
        return codec.encode(namespace.toClient(store));
    }

    /** Reads a mailbox argument as written (empty if the client wrote ""). */
    public String wire(ArgReader args) throws ProtocolException {
        return codec.wire(args);
    }

    /** Reads a mailbox argument and gives the store's name: NO [NONEXISTENT] for an empty one. */
    public String argument(ArgReader args) throws ProtocolException, StoreException {
        return decode(wire(args));
    }
}
