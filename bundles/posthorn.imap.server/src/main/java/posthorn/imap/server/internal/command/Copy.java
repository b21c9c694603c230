package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.SequenceSet;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SelectedMailbox.BadSequenceException;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/** COPY and UID COPY (RFC 3501 6.4.7, 6.4.8), with COPYUID (RFC 4315). */
final class Copy implements Command<SessionState.Selected> {
    private final boolean uid;

    Copy(boolean uid) {
        this.uid = uid;
    }

    @Override
    public void execute(CommandContext ctx, SessionState.Selected state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        Request r = Request.parse(ctx, state, args);
        List<Long> uids = r.uids(uid);
        if (uids.isEmpty()) {
            ctx.ok(tag, null, "No messages to copy");
            return;
        }
        Map<Long, Long> map = r.view().store().copy(uids, r.target());
        ctx.log().info("s{} {} {} messages to {}", ctx.id(), ctx.command(), map.size(), r.target());
        ctx.ok(tag, copyUid(state.mail(), r.target(), uids, map), ctx.command() + " completed");
    }

    /** What COPY and MOVE are asked: a message set of the selected mailbox and the target mailbox. */
    record Request(SelectedMailbox view, SequenceSet set, String target) {
        static Request parse(CommandContext ctx, SessionState.Selected state, ArgReader args)
                throws ProtocolException, StoreException {
            args.sp();
            SequenceSet set = args.sequenceSet();
            args.sp();
            String wire = ctx.names().wire(args);
            args.end();
            return new Request(state.mailbox(), set, ctx.names().decode(wire));
        }

        /** The set's messages, less those another session has expunged meanwhile. */
        List<Long> uids(boolean byUid) throws ProtocolException {
            try {
                return view.liveUids(set, byUid);
            } catch (BadSequenceException e) {
                throw new ProtocolException(e.getMessage());
            }
        }
    }

    /**
     * The COPYUID response code (RFC 4315 3) for what was copied or moved, or null if nothing was.
     * The two sets are paired by position, so they are written in the order given, not sorted or merged.
     */
    static String copyUid(UserMail mail, String target, List<Long> uids, Map<Long, Long> map) throws StoreException {
        if (map.isEmpty()) {
            return null;
        }
        long validity;
        try {
            validity = mail.status(target).uidValidity();
        } catch (StoreException e) {
            // A target the user may insert into but not read (RFC 4314: i without r): no COPYUID,
            // since its UIDVALIDITY is not the user's to know; the messages were copied all the same.
            return null;
        }
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
        return "COPYUID " + validity + " " + join(from, i) + " " + join(to, i);
    }

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
