package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.SequenceSet;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.store.api.ModSeqMailbox;
import posthorn.store.api.StoreException;

/**
 * QRESYNC (RFC 7162 3.2): SELECT's and EXAMINE's parameters (CONDSTORE, QRESYNC (...)), the
 * resynchronisation they ask for, and VANISHED (EARLIER), shared with UID FETCH ... (CHANGEDSINCE n
 * VANISHED).
 */
final class Qresync {

    /**
     * SELECT's QRESYNC parameter (RFC 7162 3.2.5).
     *
     * @param knownUids   the UIDs the client knows, or null (then all below UIDNEXT)
     * @param matchSeqs   the sequence numbers of the sequence-match data, or null
     * @param matchUids   the UIDs they had for the client, or null
     */
    record Params(long uidValidity, long modSeq, SequenceSet knownUids, SequenceSet matchSeqs, SequenceSet matchUids) {
    }

    private Qresync() {
    }

    /**
     * SELECT's optional parameter list (RFC 4466 select-params): CONDSTORE enables CONDSTORE (RFC
     * 7162 3.1.8); QRESYNC (...) is allowed only after ENABLE QRESYNC (3.2.5), else BAD.
     *
     * @return the QRESYNC parameter, or null if none was given
     */
    static Params selectParams(CommandContext ctx, ArgReader args) throws ProtocolException, IOException {
        if (args.atEnd()) {
            return null;
        }
        args.sp();
        args.listOpen();
        Params params = null;
        boolean first = true;
        while (!args.peek(')')) {
            if (!first) {
                args.sp();
            }
            first = false;
            String name = args.atom().toUpperCase(Locale.ROOT);
            switch (name) {
                case CondStore.CONDSTORE -> CondStore.enable(ctx, null);
                case CondStore.QRESYNC -> {
                    if (!ctx.enabled(CondStore.QRESYNC)) {
                        throw new ProtocolException("QRESYNC must be enabled first (ENABLE QRESYNC)");
                    }
                    args.sp();
                    params = qresyncParam(args, ctx.enabled("UIDONLY"));
                }
                default -> throw new ProtocolException("Unknown SELECT parameter " + name);
            }
        }
        args.listClose();
        return params;
    }

    /**
     * {@code (uidvalidity mod-sequence-value [SP known-uids] [SP seq-match-data])}: RFC 7162 7 makes
     * each of the two optional on its own, so the match data may come without known UIDs (the scope is
     * then every UID, as without either).
     */
    private static Params qresyncParam(ArgReader args, boolean uidOnly) throws ProtocolException {
        args.listOpen();
        long validity = args.number(true);
        args.sp();
        long modSeq = CondStore.modSeq(args, false);
        SequenceSet known = null;
        SequenceSet seqs = null;
        SequenceSet uids = null;
        if (args.skip(' ') && !args.peek('(')) {
            known = args.sequenceSet();
            if (known.isSaved()) {
                throw new ProtocolException("$ is not a UID set");
            }
            if (!args.skip(' ')) {
                args.listClose();
                return new Params(validity, modSeq, known, null, null);
            }
        }
        if (args.peek('(')) {
            if (uidOnly) {
                // RFC 9586 3: no message sequence match data once UIDONLY is on
                throw new ProtocolException("UIDREQUIRED", "No sequence match data after ENABLE UIDONLY");
            }
            args.listOpen();
            seqs = args.sequenceSet();
            args.sp();
            uids = args.sequenceSet();
            args.listClose();
            if (seqs.isSaved() || uids.isSaved() || count(seqs) != count(uids)) {
                throw new ProtocolException("The sequence match data must pair as many numbers as UIDs");
            }
        }
        args.listClose();
        return new Params(validity, modSeq, known, seqs, uids);
    }

    /** Numbers in a set without '*', or -1 if it has one. */
    private static long count(SequenceSet set) {
        long n = 0;
        for (SequenceSet.Range r : set.ranges()) {
            if (r.first() == Long.MAX_VALUE || r.last() == Long.MAX_VALUE) {
                return -1;
            }
            n += Math.abs(r.last() - r.first()) + 1;
        }
        return n;
    }

    /** The numbers of a set without '*', ascending as written (for the sequence match data). */
    private static long[] numbers(SequenceSet set) {
        List<Long> out = new ArrayList<>();
        for (SequenceSet.Range r : set.ranges()) {
            long a = Math.min(r.first(), r.last());
            long b = Math.max(r.first(), r.last());
            for (long v = a; v <= b && out.size() < 100_000; v++) {
                out.add(v);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * RFC 7162 3.2.5: after SELECT's untagged responses, VANISHED (EARLIER) for the known UIDs expunged
     * since the client's MODSEQ, then FETCH (UID FLAGS MODSEQ) for every message changed since then.
     */
    static void resync(CommandContext ctx, SelectedMailbox view, Params p) throws IOException, StoreException {
        long last = view.store().uidNext() - 1;
        SequenceSet scope = p.knownUids();
        long after = 0;
        if (p.matchSeqs() != null) {
            // 3.2.5.2: the highest pair the view still agrees with: nothing at or below its UID that the
            // client knows can have vanished unseen, so the fallback answer starts above it
            long[] seqs = numbers(p.matchSeqs());
            long[] uids = numbers(p.matchUids());
            for (int i = 0; i < seqs.length && i < uids.length; i++) {
                if (seqs[i] <= view.exists() && view.uidAt((int) seqs[i]) == uids[i]) {
                    after = Math.max(after, uids[i]);
                }
            }
        }
        vanishedEarlier(ctx.out(), view, p.modSeq(), scope, last, after);
        ResponseWriter out = ctx.out();
        for (int seq = 1; seq <= view.exists(); seq++) {
            long uid = view.uidAt(seq);
            long mod = view.modSeq(uid);
            // only the known UIDs, when the client names them (as Dovecot; 3.2.5 asks for "messages
            // the client knows" to be resynchronised)
            if (mod > p.modSeq() && (scope == null || scope.contains(uid, last))) {
                (view.uidOnly() ? view.fetchStart(out, uid) : view.fetchStart(out, uid).raw("UID ").number(uid).raw(" ")).raw("FLAGS ");
                SelectedMailbox.writeFlags(out, view.flags(uid), view.isRecent(uid));
                out.raw(" MODSEQ (").number(mod).raw("))").crlf();
            }
        }
    }

    /**
     * {@code * VANISHED (EARLIER) uids} (RFC 7162 3.2.5.1, 3.2.6): the UIDs in {@code scope} (null: all)
     * up to {@code last} expunged since {@code modSeq}; where the store no longer knows them all, every
     * UID in the scope above {@code after} that is not in the mailbox (the superset 3.2.5.1 allows).
     * Nothing is written when there is none.
     */
    static void vanishedEarlier(ResponseWriter out, SelectedMailbox view, long modSeq, SequenceSet scope, long last,
                                long after) throws IOException, StoreException {
        if (last < 1) {
            return;
        }
        long[] known = view.store() instanceof ModSeqMailbox m ? m.expungedSince(modSeq) : null;
        StringBuilder set = new StringBuilder();
        if (known != null) {
            List<Long> in = new ArrayList<>();
            for (long u : known) {
                if (u <= last && (scope == null || scope.contains(u, last)) && view.seqOf(u) == 0) {
                    in.add(u);
                }
            }
            if (!in.isEmpty()) {
                set.append(SequenceSet.ofNumbers(in.stream().mapToLong(Long::longValue).toArray()));
            }
        } else {
            List<SequenceSet.Range> ranges = scope == null ? List.of(new SequenceSet.Range(1, last)) : scope.ranges();
            for (SequenceSet.Range r : normalised(ranges, last)) {
                long a = Math.max(r.first(), after + 1);
                long b = r.last();
                // the gaps between the mailbox's UIDs within [a, b]
                long from = a;
                for (int seq = firstSeqAtOrAbove(view, a); seq <= view.exists() && view.uidAt(seq) <= b; seq++) {
                    long u = view.uidAt(seq);
                    if (u > from) {
                        append(set, from, u - 1);
                    }
                    from = u + 1;
                }
                if (from <= b) {
                    append(set, from, b);
                }
            }
        }
        if (!set.isEmpty()) {
            out.untagged().raw("VANISHED (EARLIER) ").raw(set.toString()).crlf();
        }
    }

    /** Ranges ascending, merged, clipped to [1, last], with '*' as {@code last}. */
    private static List<SequenceSet.Range> normalised(List<SequenceSet.Range> ranges, long last) {
        List<long[]> rs = new ArrayList<>();
        for (SequenceSet.Range r : ranges) {
            long a = r.first() == Long.MAX_VALUE ? last : r.first();
            long b = r.last() == Long.MAX_VALUE ? last : r.last();
            long lo = Math.max(1, Math.min(a, b));
            long hi = Math.min(last, Math.max(a, b));
            if (lo <= hi) {
                rs.add(new long[] {lo, hi});
            }
        }
        rs.sort((x, y) -> Long.compare(x[0], y[0]));
        List<SequenceSet.Range> out = new ArrayList<>();
        long[] cur = null;
        for (long[] r : rs) {
            if (cur != null && r[0] <= cur[1] + 1) {
                cur[1] = Math.max(cur[1], r[1]);
            } else {
                if (cur != null) {
                    out.add(new SequenceSet.Range(cur[0], cur[1]));
                }
                cur = r;
            }
        }
        if (cur != null) {
            out.add(new SequenceSet.Range(cur[0], cur[1]));
        }
        return out;
    }

    private static int firstSeqAtOrAbove(SelectedMailbox view, long uid) {
        int lo = 1;
        int hi = view.exists();
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (view.uidAt(mid) < uid) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private static void append(StringBuilder set, long a, long b) {
        if (!set.isEmpty()) {
            set.append(',');
        }
        set.append(a);
        if (b > a) {
            set.append(':').append(b);
        }
    }
}
