package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.state.SessionState;

/**
 * COMPRESS (RFC 4978): after login only (issue 15; the table's state check answers BAD before it),
 * and so after STARTTLS, which is valid only before login. The session answers and switches the
 * streams.
 */
final class Compress implements Command<SessionState.LoggedIn> {
    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException {
        args.sp();
        String mechanism = args.atom();
        args.end();
        ctx.compress(tag, mechanism);
    }
}
