package posthorn.imap.server.internal.command;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.MailboxNames;
import posthorn.imap.protocol.ProtocolException;
import posthorn.store.api.StoreException;

/**
 * How a client writes mailbox names: modified UTF-7 (RFC 3501 5.1.3) or, after ENABLE IMAP4rev2,
 * UTF-8 as it is (RFC 9051 5.1: names are Net-Unicode, and "&amp;" is an ordinary character). The
 * store sees names decoded.
 */
public enum MailboxNameCodec {
    MODIFIED_UTF7 {
        @Override
        public String decode(String wire) throws StoreException {
            try {
                return MailboxNames.decode(wire);
            } catch (ProtocolException e) {
                // A well-formed astring naming no mailbox: RFC 3501 answers NO for that, not BAD.
                throw new StoreException(StoreException.Reason.NONEXISTENT, "No such mailbox (" + e.getMessage() + ")");
            }
        }

        @Override
        public String encode(String name) {
            return MailboxNames.encode(name);
        }
    },
    UTF8 {
        @Override
        public String decode(String wire) {
            return wire;
        }

        @Override
        public String encode(String name) {
            return name;
        }
    };

    /**
     * A mailbox name as the client wrote it, for the store. A name that is not valid in the codec
     * names no mailbox: NO [NONEXISTENT].
     */
    public abstract String decode(String wire) throws StoreException;

    /** A name for a mailbox to be made (CREATE, RENAME's new name): one invalid in the codec cannot be. */
    public String newName(String wire) throws StoreException {
        try {
            return decode(wire);
        } catch (StoreException e) {
            throw new StoreException(StoreException.Reason.CANNOT, "Invalid mailbox name: " + e.getMessage());
        }
    }

    /** A store's mailbox name as the client reads it. */
    public abstract String encode(String name);

    /**
     * Reads a mailbox argument as written. An empty one ("" or {0}) is grammatical (mailbox =
     * "INBOX" / astring, RFC 3501 9) and names no mailbox: {@link ClientNames} answers it with NO.
     */
    public String wire(ArgReader args) throws ProtocolException {
        return args.mailbox();
    }

    /** Reads a mailbox argument and decodes it. */
    public String argument(ArgReader args) throws ProtocolException, StoreException {
        return decode(wire(args));
    }
}
