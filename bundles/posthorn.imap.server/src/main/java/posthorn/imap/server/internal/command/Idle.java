package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.session.Session;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * IDLE (RFC 2177): the client waits for changes, which are written as they happen, until it sends
 * DONE. Valid in the authenticated state too (RFC 9051 6.3.13), where there is nothing to report.
 */
final class Idle implements Command {
    @Override
    public String name() {
        return "IDLE";
    }

    @Override
    public Set<State> states() {
        return AUTHENTICATED;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException, StoreException {
        args.end();
        String wrong = session.idle();
        if (session.state() instanceof SessionState.Logout) {
            return;
        }
        if (wrong != null) {
            session.log().info("s{} IDLE ended by something other than DONE", session.id());
            session.out().status(tag, Status.BAD, null, wrong);
            return;
        }
        session.ok(tag, null, "IDLE terminated");
    }
}
