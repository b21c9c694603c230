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
 * CLOSE (RFC 3501 6.4.2): expunges \Deleted messages silently in a read-write mailbox, then returns
 * to the authenticated state.
 */
final class Close implements Command {
    @Override
    public String name() {
        return "CLOSE";
    }

    @Override
    public Set<State> states() {
        return SELECTED;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException, StoreException {
        args.end();
        SessionState.Selected selected = (SessionState.Selected) session.state();
        try {
            if (!selected.mailbox().readOnly()) {
                Expunge.expungeDeleted(selected.mailbox(), null);
            }
        } finally {
            session.state(selected.deselect());
        }
        session.out().status(tag, Status.OK, null, "CLOSE completed");
    }
}
