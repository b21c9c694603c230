package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * MOVE and UID MOVE (RFC 6851), with COPYUID (RFC 4315) sent untagged before the EXPUNGE responses,
 * which come from the store's change records like every other expunge.
 */
final class Move implements Command<SessionState.Selected> {
    private final boolean uid;

    Move(boolean uid) {
        this.uid = uid;
    }

    @Override
    public void execute(CommandContext ctx, SessionState.Selected state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        Copy.Request r = Copy.Request.parse(ctx, state, args);
        if (r.view().readOnly()) {
            throw new StoreException(StoreException.Reason.CANNOT, "The mailbox is read-only");
        }
        List<Long> uids = r.uids(uid);
        if (uids.isEmpty()) {
            ctx.ok(tag, null, "No messages to move");
            return;
        }
        Map<Long, Long> map = r.view().store().move(uids, r.target());
        ctx.log().info("s{} {} {} messages to {}", ctx.id(), ctx.command(), map.size(), r.target());
        String code = Copy.copyUid(state.mail(), r.target(), uids, map);
        if (code != null) {
            ctx.out().status(null, Status.OK, code, "Moved");
        }
        ctx.completed(tag);
    }
}
