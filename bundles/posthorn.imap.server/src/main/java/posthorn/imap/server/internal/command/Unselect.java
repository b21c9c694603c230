package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.session.Session;
import posthorn.imap.server.internal.state.SessionState;

/** UNSELECT (RFC 3691): CLOSE without the expunge. */
final class Unselect implements Command {
    @Override
    public String name() {
        return "UNSELECT";
    }

    @Override
    public Set<State> states() {
        return SELECTED;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException {
        args.end();
        SessionState.Selected selected = (SessionState.Selected) session.state();
        session.state(selected.deselect());
        session.out().status(tag, Status.OK, null, "UNSELECT completed");
    }
}
