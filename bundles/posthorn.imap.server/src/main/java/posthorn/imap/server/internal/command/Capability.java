package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/** CAPABILITY (RFC 3501 6.1.1). */
final class Capability implements Command<SessionState> {
    @Override
    public void execute(CommandContext ctx, SessionState state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.end();
        ctx.out().untagged().raw("CAPABILITY ").raw(ctx.capabilities()).crlf();
        ctx.completed(tag);
    }
}
