package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/** SUBSCRIBE and UNSUBSCRIBE (RFC 3501 6.3.6, 6.3.7). */
final class Subscribe implements Command<SessionState.LoggedIn> {
    private final boolean subscribe;

    Subscribe(boolean subscribe) {
        this.subscribe = subscribe;
    }

    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        String name = ctx.names().argument(args);
        args.end();
        state.mail().subscribe(name, subscribe);
        ctx.log().info("s{} {} {}", ctx.id(), ctx.command(), name);
        ctx.completed(tag);
    }
}
