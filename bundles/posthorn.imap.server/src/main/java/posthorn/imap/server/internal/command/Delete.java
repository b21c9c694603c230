package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * DELETE (RFC 3501 6.3.4). INBOX and the mailbox this session has selected cannot be deleted. The
 * mailbox's URLAUTH key goes with it, so its URLs fail, also for a new mailbox of the name.
 */
final class Delete implements Command<SessionState.LoggedIn> {
    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        String name = ctx.names().argument(args);
        args.end();
        if (name.equals("INBOX")) {
            throw new StoreException(StoreException.Reason.CANNOT, "INBOX cannot be deleted");
        }
        if (state instanceof SessionState.Selected s && s.mailbox().store().name().equals(name)) {
            throw new StoreException(StoreException.Reason.INUSE, "Unselect the mailbox before deleting it");
        }
        state.mail().delete(name);
        ctx.log().info("s{} DELETE {}", ctx.id(), name);
        UrlAuth.forgetKeys(ctx, state, name, false);
        ctx.completed(tag);
    }
}
