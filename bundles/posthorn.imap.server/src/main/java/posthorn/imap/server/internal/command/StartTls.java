package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.state.SessionState;

/** STARTTLS (RFC 3501 6.2.1); the session does the work and the STARTTLS-injection defence. */
final class StartTls implements Command<SessionState.NotAuthenticated> {
    @Override
    public void execute(CommandContext ctx, SessionState.NotAuthenticated state, String tag, ArgReader args)
            throws ProtocolException, IOException {
        args.end();
        ctx.startTls(tag);
    }
}
