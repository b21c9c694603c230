package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.SequenceSet;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SelectedMailbox.BadSequenceException;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.StoreException;

/** STORE and UID STORE (RFC 3501 6.4.6, 6.4.8). */
final class Store implements Command<SessionState.Selected> {
    private final boolean uid;

    Store(boolean uid) {
        this.uid = uid;
    }

    @Override
    public void execute(CommandContext ctx, SessionState.Selected state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        SequenceSet set = args.sequenceSet();
        args.sp();
        long unchangedSince = -1;
        if (args.peek('(')) {
            // RFC 4466 store-modifiers: UNCHANGEDSINCE (RFC 7162 3.1.3)
            args.listOpen();
            boolean first = true;
            while (!args.peek(')')) {
                if (!first) {
                    args.sp();
                }
                first = false;
                String m = args.atom().toUpperCase(Locale.ROOT);
                if (!m.equals("UNCHANGEDSINCE")) {
                    throw new ProtocolException("Unknown STORE modifier " + m);
                }
                args.sp();
                unchangedSince = CondStore.modSeq(args, true);
            }
            args.listClose();
            args.sp();
        }
        String item = args.atom().toUpperCase(Locale.ROOT);
        FlagMode mode;
        String base = item.endsWith(".SILENT") ? item.substring(0, item.length() - 7) : item;
        boolean silent = !base.equals(item);
        switch (base) {
            case "FLAGS" -> mode = FlagMode.REPLACE;
            case "+FLAGS" -> mode = FlagMode.ADD;
            case "-FLAGS" -> mode = FlagMode.REMOVE;
            default -> throw new ProtocolException("Expected FLAGS, +FLAGS or -FLAGS, got " + item);
        }
        args.sp();
        List<String> flags = args.flags();
        args.end();
        Set<String> canonical = new LinkedHashSet<>();
        for (String f : flags) {
            String c = Flags.canonical(f);
            if (c.startsWith("\\") && !Flags.isSystem(c) && !c.equals(Flags.RECENT)) {
                throw new ProtocolException("Unknown system flag " + f);
            }
            if (!c.equals(Flags.RECENT)) {
                canonical.add(c);
            }
        }
        SelectedMailbox view = state.mailbox();
        if (view.readOnly()) {
            throw new StoreException(StoreException.Reason.CANNOT, "The mailbox is read-only");
        }
        if (unchangedSince >= 0) {
            CondStore.enable(ctx, view); // RFC 7162 3.1: a CONDSTORE enabling command
            CondStore.requireModSeqs(view);
            // 3.1.3 compares with the messages' MODSEQs now: take in what others changed (reported as
            // FETCH with MODSEQ; expunges stay held back, STORE uses sequence numbers)
            view.sync(ctx.out(), false);
        }
        List<Long> uids;
        try {
            uids = Selection.liveUids(view, set, uid);
        } catch (BadSequenceException e) {
            throw new ProtocolException(e.getMessage());
        }
        // RFC 7162 3.1.3: a message changed since UNCHANGEDSINCE is left alone and named in MODIFIED
        List<Long> modified = new java.util.ArrayList<>();
        if (unchangedSince >= 0) {
            List<Long> unchanged = new java.util.ArrayList<>();
            for (long u : uids) {
                (view.modSeq(u) > unchangedSince ? modified : unchanged).add(u);
            }
            uids = unchanged;
        }
        Map<Long, Set<String>> after = uids.isEmpty() ? Map.of() : view.store().store(uids, mode, canonical);
        ResponseWriter out = ctx.out();
        for (long u : uids) {
            Set<String> now = after.get(u);
            if (now != null) {
                view.announceKeywords(out, now);
                view.reported(u, now);
            }
        }
        if (view.condStore() && !after.isEmpty()) {
            view.sync(out, false); // the store's view catches up: the new MODSEQs
        }
        for (long u : uids) {
            Set<String> now = after.get(u);
            if (now == null) {
                continue;
            }
            if (!silent) {
                view.fetchStart(out, u).raw("FLAGS ");
                SelectedMailbox.writeFlags(out, now, view.isRecent(u));
                if (uid && !view.uidOnly()) {
                    out.raw(" UID ").number(u);
                }
                view.writeModSeqItems(out, u, uid);
                out.raw(")").crlf();
            } else if (view.condStore()) {
                // RFC 7162 3.1.3: with .SILENT the new MODSEQ is still sent (without FLAGS)
                view.fetchStart(out, u);
                if ((uid || view.qresync()) && !view.uidOnly()) {
                    out.raw("UID ").number(u).raw(" ");
                }
                out.raw("MODSEQ (").number(view.modSeq(u)).raw("))").crlf();
            }
        }
        if (!modified.isEmpty()) {
            long[] m = new long[modified.size()];
            for (int i = 0; i < m.length; i++) {
                m[i] = uid ? modified.get(i) : view.seqOf(modified.get(i));
            }
            java.util.Arrays.sort(m);
            ctx.ok(tag, "MODIFIED " + SequenceSet.ofNumbers(m), "Conditional STORE failed");
            return;
        }
        ctx.completed(tag);
    }
}
