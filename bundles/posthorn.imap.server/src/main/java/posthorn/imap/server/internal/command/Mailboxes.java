package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.session.Session;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * The commands on mailboxes as a whole (RFC 3501 6.3): CREATE, DELETE, RENAME, SUBSCRIBE,
 * UNSUBSCRIBE. Names arrive in modified UTF-7 (UTF-8 from an IMAP4rev2 client) and go to the store decoded; the store refuses names
 * that would leave the user's Maildir.
 */
final class Mailboxes implements Command {

    enum Op {
        CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE
    }

    private final Op op;

    Mailboxes(Op op) {
        this.op = op;
    }

    @Override
    public String name() {
        return op.name();
    }

    @Override
    public Set<State> states() {
        return AUTHENTICATED;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException, StoreException {
        args.sp();
        String name = name(session, args);
        String target = null;
        if (op == Op.RENAME) {
            args.sp();
            target = name(session, args);
        }
        args.end();
        UserMail mail = mail(session);
        char sep = mail.separator();
        switch (op) {
            case CREATE -> {
                // RFC 3501 6.3.3: a trailing separator only says the client means to create children.
                String n = name.endsWith(String.valueOf(sep)) ? name.substring(0, name.length() - 1) : name;
                if (n.equalsIgnoreCase("INBOX")) {
                    throw new StoreException(StoreException.Reason.ALREADYEXISTS, "INBOX always exists");
                }
                mail.create(n);
            }
            case DELETE -> {
                if (name.equals("INBOX")) {
                    throw new StoreException(StoreException.Reason.CANNOT, "INBOX cannot be deleted");
                }
                if (session.state() instanceof SessionState.Selected s && s.mailbox().store().name().equals(name)) {
                    throw new StoreException(StoreException.Reason.INUSE, "Unselect the mailbox before deleting it");
                }
                mail.delete(name);
            }
            case RENAME -> mail.rename(name, target);
            case SUBSCRIBE -> mail.subscribe(name, true);
            case UNSUBSCRIBE -> mail.subscribe(name, false);
        }
        session.log().info("s{} {} {}{}", session.id(), op, name, target == null ? "" : " -> " + target);
        session.ok(tag, null, op + " completed");
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
