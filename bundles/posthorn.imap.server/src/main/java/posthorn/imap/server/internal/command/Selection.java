package posthorn.imap.server.internal.command;

import java.util.ArrayList;
import java.util.List;

import posthorn.imap.protocol.SequenceSet;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SelectedMailbox.BadSequenceException;

/**
 * The messages a sequence set names, found range by range: a UID range by binary search over the
 * view's ascending UIDs, a range of numbers directly. {@link SelectedMailbox#select} tests every
 * message of the view against the set, which made "UID FETCH 4711 (FLAGS)" cost as much as a FETCH
 * of the whole mailbox before it wrote a byte; what they select is the same (ascending, each once).
 * "$", an empty mailbox and a number beyond the mailbox go to {@link SelectedMailbox#select}, which
 * answers them as RFC 5182 and RFC 3501 9 say.
 */
final class Selection {
    private Selection() {
    }

    /** The sequence numbers {@code set} selects, ascending; as {@link SelectedMailbox#select}. */
    static List<Integer> seqs(SelectedMailbox view, SequenceSet set, boolean byUid) throws BadSequenceException {
        int n = view.exists();
        if (set.isSaved() || n == 0) {
            return view.select(set, byUid);
        }
        List<Integer> out = new ArrayList<>();
        if (byUid) {
            for (SequenceSet.Range r : set.resolve(view.uidAt(n))) {
                for (int seq = firstAtLeast(view, r.first(), n); seq <= n && view.uidAt(seq) <= r.last(); seq++) {
                    out.add(seq);
                }
            }
            return out;
        }
        // The ranges as written: the resolved ones merge "*:m" into another '*' range, losing m.
        for (SequenceSet.Range r : set.ranges()) {
            long first = r.first() == Long.MAX_VALUE ? n : r.first();
            long last = r.last() == Long.MAX_VALUE ? n : r.last();
            if (Math.max(first, last) > n) {
                return view.select(set, false); // throws, naming the number beyond the mailbox
            }
        }
        for (SequenceSet.Range r : set.resolve(n)) {
            for (long seq = r.first(); seq <= r.last(); seq++) {
                out.add((int) seq);
            }
        }
        return out;
    }

    /** The UIDs {@code set} selects, without those another session expunged; as {@link SelectedMailbox#liveUids}. */
    static List<Long> liveUids(SelectedMailbox view, SequenceSet set, boolean byUid) throws BadSequenceException {
        List<Long> out = new ArrayList<>();
        for (int seq : seqs(view, set, byUid)) {
            long u = view.uidAt(seq);
            if (!view.isExpunged(u)) {
                out.add(u);
            }
        }
        return out;
    }

    /** The first sequence number whose UID is at least {@code uid}, or {@code n + 1}. */
    private static int firstAtLeast(SelectedMailbox view, long uid, int n) {
        int lo = 1;
        int hi = n + 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (view.uidAt(mid) < uid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
