package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.session.Session;

/** LOGOUT (RFC 3501 6.1.3): BYE, then the tagged OK; the session closes what it holds. */
final class Logout implements Command {
    @Override
    public String name() {
        return "LOGOUT";
    }

    @Override
    public Set<State> states() {
        return ALL;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException {
        args.end();
        session.out().status(null, Status.BYE, null, "Logging out");
        session.out().status(tag, Status.OK, null, "LOGOUT completed");
        session.logout();
    }
}
