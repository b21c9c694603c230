package posthorn.imap.server.internal.command;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.MailboxNames;
import posthorn.imap.protocol.ProtocolException;

/**
 * How a client writes mailbox names: modified UTF-7 (RFC 3501 5.1.3) or, after ENABLE IMAP4rev2,
 * UTF-8 as it is (RFC 9051 5.1: names are Net-Unicode, and "&amp;" is an ordinary character). The
 * store sees names decoded.
 */
public enum MailboxNameCodec {
    MODIFIED_UTF7 {
        @Override
        public String decode(String wire) throws ProtocolException {
            return MailboxNames.decode(wire);
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

    /** A mailbox name as the client wrote it, for the store. */
    public abstract String decode(String wire) throws ProtocolException;

    /** A store's mailbox name as the client reads it. */
    public abstract String encode(String name);

    /** Reads a mailbox argument, refuses an empty one, and decodes it. */
    public String argument(ArgReader args) throws ProtocolException {
        String wire = args.mailbox();
        if (wire.isEmpty()) {
            throw new ProtocolException("Empty mailbox name");
        }
        return decode(wire);
    }
}
