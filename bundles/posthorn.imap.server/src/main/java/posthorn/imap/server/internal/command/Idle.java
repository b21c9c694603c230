package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * IDLE (RFC 2177): the client waits for changes, which are written as they happen, until it sends
 * DONE. Valid in the authenticated state too (RFC 9051 6.3.13), where there is nothing to report.
 */
final class Idle implements Command<SessionState.LoggedIn> {
    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.end();
        String wrong = ctx.idle();
        if (ctx.ended()) {
            return;
        }
        if (wrong != null) {
            ctx.log().info("s{} IDLE ended by something other than DONE", ctx.id());
            ctx.out().status(tag, Status.BAD, null, wrong);
            return;
        }
        ctx.ok(tag, null, "IDLE terminated");
    }
}
