package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.state.SessionState;

/** UNSELECT (RFC 3691): CLOSE without the expunge. */
final class Unselect implements Command<SessionState.Selected> {
    @Override
    public void execute(CommandContext ctx, SessionState.Selected selected, String tag, ArgReader args)
            throws ProtocolException, IOException {
        args.end();
        ctx.unselect();
        ctx.out().status(tag, Status.OK, null, "UNSELECT completed");
    }
}
