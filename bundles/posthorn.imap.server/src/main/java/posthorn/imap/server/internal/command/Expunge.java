package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.SelectedMailbox;
import posthorn.imap.server.internal.Session;
import posthorn.imap.server.internal.SessionState;
import posthorn.store.api.Flags;
import posthorn.store.api.StoreException;

/**
 * EXPUNGE (RFC 3501 6.4.3): removes the messages marked \Deleted; the EXPUNGE responses come from
 * the store's change records, as for every other session.
 */
final class Expunge implements Command {
    @Override
    public String name() {
        return "EXPUNGE";
    }

    @Override
    public Set<State> states() {
        return SELECTED;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException, StoreException {
        args.end();
        SelectedMailbox view = ((SessionState.Selected) session.state()).mailbox();
        if (view.readOnly()) {
            throw new StoreException(StoreException.Reason.CANNOT, "The mailbox is read-only");
        }
        expungeDeleted(view);
        session.ok(tag, null, "EXPUNGE completed");
    }

    static List<Long> expungeDeleted(SelectedMailbox view) throws StoreException {
        List<Long> deleted = new ArrayList<>();
        for (int seq = 1; seq <= view.exists(); seq++) {
            long u = view.uidAt(seq);
            if (!view.isExpunged(u) && view.meta(u).flags().contains(Flags.DELETED)) {
                deleted.add(u);
            }
        }
        return deleted.isEmpty() ? deleted : view.store().expunge(deleted);
    }
}
