package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.session.Session;
import posthorn.store.api.StoreException;

/**
 * MOVE and UID MOVE (RFC 6851), with COPYUID (RFC 4315) sent untagged before the EXPUNGE responses,
 * which come from the store's change records like every other expunge.
 */
final class Move extends MessageCommand {

    Move(boolean uid) {
        super("MOVE", uid);
    }

    @Override
    public Sequences sequences() {
        // MOVE sends EXPUNGE responses of its own (RFC 6851 3.3).
        return Sequences.NONE;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException, StoreException {
        Copy.Request r = Copy.Request.parse(session, args);
        if (r.view().readOnly()) {
            throw new StoreException(StoreException.Reason.CANNOT, "The mailbox is read-only");
        }
        List<Long> uids = r.uids(uid);
        if (uids.isEmpty()) {
            session.ok(tag, null, "No messages to move");
            return;
        }
        Map<Long, Long> map = r.view().store().move(uids, r.target());
        session.log().info("s{} {} {} messages to {}", session.id(), name(), map.size(), r.target());
        String code = Copy.copyUid(Mailboxes.mail(session), r.target(), uids, map);
        if (code != null) {
            session.out().status(null, Status.OK, code, "Moved");
        }
        session.ok(tag, null, name() + " completed");
    }
}
