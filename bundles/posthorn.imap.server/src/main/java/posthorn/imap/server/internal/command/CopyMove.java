package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.SequenceSet;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SelectedMailbox.BadSequenceException;
import posthorn.imap.server.internal.session.Session;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * COPY (RFC 3501 6.4.7), MOVE (RFC 6851) and their UID forms, with COPYUID (RFC 4315). MOVE reports
 * COPYUID untagged before the EXPUNGE responses, which come from the store's change records.
 */
final class CopyMove extends MessageCommand {
    private final boolean move;

    CopyMove(boolean move, boolean uid) {
        super(move ? "MOVE" : "COPY", uid);
        this.move = move;
    }

    @Override
    public Sequences sequences() {
        // MOVE sends EXPUNGE responses of its own (RFC 6851 3.3); COPY addresses messages by number.
        return move || uid ? Sequences.NONE : Sequences.USES;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException, StoreException {
        args.sp();
        SequenceSet set = args.sequenceSet();
        args.sp();
        String target = Mailboxes.name(session, args);
        args.end();
        SelectedMailbox view = ((SessionState.Selected) session.state()).mailbox();
        if (move && view.readOnly()) {
            throw new StoreException(StoreException.Reason.CANNOT, "The mailbox is read-only");
        }
        List<Long> uids;
        try {
            uids = view.liveUids(set, uid);
        } catch (BadSequenceException e) {
            throw new ProtocolException(e.getMessage());
        }
        if (uids.isEmpty()) {
            session.ok(tag, null, "No messages to " + (move ? "move" : "copy"));
            return;
        }
        Map<Long, Long> map = move ? view.store().move(uids, target) : view.store().copy(uids, target);
        String code = null;
        if (!map.isEmpty()) {
            long validity = Mailboxes.mail(session).status(target).uidValidity();
            long[] from = new long[map.size()];
            long[] to = new long[map.size()];
            int i = 0;
            for (long u : uids) {
                Long n = map.get(u);
                if (n != null) {
                    from[i] = u;
                    to[i] = n;
                    i++;
                }
            }
            code = "COPYUID " + validity + " " + join(from, i) + " " + join(to, i);
        }
        session.log().info("s{} {} {} messages to {}", session.id(), name(), map.size(), target);
        if (move) {
            if (code != null) {
                session.out().status(null, Status.OK, code, "Moved");
            }
            session.ok(tag, null, name() + " completed");
        } else {
            session.ok(tag, code, name() + " completed");
        }
    }

    /**
     * The UIDs in the order given, as a uid-set. RFC 4315 pairs the two sets by position, so they
     * are written as they come, not sorted or merged.
     */
    private static String join(long[] uids, int n) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && uids[j + 1] == uids[j] + 1) {
                j++;
            }
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(uids[i]);
            if (j > i) {
                b.append(':').append(uids[j]);
            }
            i = j + 1;
        }
        return b.toString();
    }
}
