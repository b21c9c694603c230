package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.session.Session;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/** DELETE (RFC 3501 6.3.4). INBOX and the mailbox this session has selected cannot be deleted. */
final class Delete implements Command {
    @Override
    public String name() {
        return "DELETE";
    }

    @Override
    public Set<State> states() {
        return AUTHENTICATED;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException, StoreException {
        args.sp();
        String name = Mailboxes.name(session, args);
        args.end();
        if (name.equals("INBOX")) {
            throw new StoreException(StoreException.Reason.CANNOT, "INBOX cannot be deleted");
        }
        if (session.state() instanceof SessionState.Selected s && s.mailbox().store().name().equals(name)) {
            throw new StoreException(StoreException.Reason.INUSE, "Unselect the mailbox before deleting it");
        }
        Mailboxes.mail(session).delete(name);
        session.log().info("s{} DELETE {}", session.id(), name);
        session.ok(tag, null, "DELETE completed");
    }
}
