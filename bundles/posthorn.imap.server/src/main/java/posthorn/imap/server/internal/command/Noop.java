package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * NOOP (RFC 3501 6.1.2) and CHECK (6.4.1): nothing but the chance to report changes, which
 * {@link CommandContext#ok} does. The Maildir store writes through, so CHECK has nothing more to do.
 */
final class Noop implements Command<SessionState> {
    @Override
    public void execute(CommandContext ctx, SessionState state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.end();
        ctx.completed(tag);
    }
}
