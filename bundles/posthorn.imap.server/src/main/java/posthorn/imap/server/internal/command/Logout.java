package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.state.SessionState;

/** LOGOUT (RFC 3501 6.1.3): BYE, then the tagged OK; the session closes what it holds. */
final class Logout implements Command<SessionState> {
    @Override
    public void execute(CommandContext ctx, SessionState state, String tag, ArgReader args)
            throws ProtocolException, IOException {
        args.end();
        ctx.out().status(null, Status.BYE, null, "Logging out");
        ctx.out().status(tag, Status.OK, null, "LOGOUT completed");
        ctx.logout();
    }
}
