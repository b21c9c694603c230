package posthorn.imap.server.internal.command;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.session.Session;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.UserMail;

/** What the commands on mailboxes share: a mailbox argument, and the user's mail. */
final class Mailboxes {
    private Mailboxes() {
    }

    /** A mailbox argument, decoded from modified UTF-7 (UTF-8 as is for IMAP4rev2, RFC 9051 5.1). */
    static String name(Session session, ArgReader args) throws ProtocolException {
        String wire = args.mailbox();
        if (wire.isEmpty()) {
            throw new ProtocolException("Empty mailbox name");
        }
        return session.mailboxName(wire);
    }

    /** The user's mail, in the authenticated or selected state. */
    static UserMail mail(Session session) {
        return switch (session.state()) {
            case SessionState.Authenticated a -> a.mail();
            case SessionState.Selected s -> s.mail();
            default -> throw new IllegalStateException("not logged in");
        };
    }
}
