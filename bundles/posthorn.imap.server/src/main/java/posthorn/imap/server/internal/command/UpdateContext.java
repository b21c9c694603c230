package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.server.internal.mime.MimeCuts;
import posthorn.imap.server.internal.mime.MimeLimits;
import posthorn.imap.server.internal.search.Matcher;
import posthorn.imap.server.internal.search.SearchKey;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.store.api.StoreException;

/**
 * A SEARCH or SORT result kept up to date (RETURN (UPDATE), RFC 5267 4.2, CONTEXT=SEARCH and
 * CONTEXT=SORT): as messages arrive, leave or change flags, the session is sent unsolicited
 * {@code ESEARCH (TAG "t") [UID] ADDTO (...)} and {@code REMOVEFROM (...)} responses.
 *
 * <p>Only the messages that changed are searched again ({@link SelectedMailbox#sync} hands them
 * over), so a context costs nothing while its mailbox is quiet. A message's sort keys never change,
 * so a SORT context re-sorts only when messages join it.
 *
 * <p>Positions (RFC 5267 4.3): 0 for a SEARCH context, whose result has no order, as Dovecot sends;
 * for a SORT context the 1-based position in the sorted result, one ADDTO or REMOVEFROM per message,
 * to be applied in the order sent: removals from the highest position down, each at its place in the
 * result before the update, then additions from the lowest position up, each at its place in the
 * result after the update.
 *
 * <p>Owned by the session's command thread, as its {@link SelectedMailbox} is.
 */
final class UpdateContext implements SelectedMailbox.ResultWatcher {
    private final String tag;
    private final boolean uid;
    private final SearchKey key;
    /** The sort program, or null for SEARCH. */
    private final List<Sort.Criterion> sort;
    private final MimeLimits limits;
    private final long readAhead;
    /** The result's UIDs: ascending for SEARCH, in sort order for SORT. */
    private long[] members;
    /** The same UIDs ascending, to look one up (the same array for SEARCH). */
    private long[] ascending;

    UpdateContext(String tag, boolean uid, SearchKey key, List<Sort.Criterion> sort, MimeLimits limits,
                  long readAhead, long[] members) {
        this.tag = tag;
        this.uid = uid;
        this.key = key;
        this.sort = sort;
        this.limits = limits;
        this.readAhead = readAhead;
        setMembers(members);
    }

    private void setMembers(long[] m) {
        members = m;
        if (sort == null) {
            ascending = m;
        } else {
            ascending = m.clone();
            Arrays.sort(ascending);
        }
    }

    @Override
    public String tag() {
        return tag;
    }

    private boolean isMember(long u) {
        return Arrays.binarySearch(ascending, u) >= 0;
    }

    @Override
    public void expunging(SelectedMailbox view, Set<Long> uids, ResponseWriter out) throws IOException {
        List<Long> gone = new ArrayList<>();
        for (long u : uids) {
            if (isMember(u)) {
                gone.add(u);
            }
        }
        remove(view, gone, out);
    }

    @Override
    public void changed(SelectedMailbox view, long[] uids, ResponseWriter out) throws IOException, StoreException {
        MimeCuts cuts = new MimeCuts(limits);
        Matcher matcher = new Matcher(view, key, cuts);
        List<Long> left = new ArrayList<>();
        List<Long> joined = new ArrayList<>();
        for (long u : uids) {
            int seq = view.seqOf(u);
            if (seq == 0) {
                continue;
            }
            boolean now = matcher.test(seq);
            boolean was = isMember(u);
            if (was && !now && !view.isExpunged(u)) {
                left.add(u);
            } else if (now && !was) {
                joined.add(u);
            }
        }
        remove(view, left, out);
        if (!joined.isEmpty()) {
            add(view, joined, out);
        }
    }

    /** Takes {@code gone} out of the result and says so (REMOVEFROM), numbers as the view has them now. */
    private void remove(SelectedMailbox view, List<Long> gone, ResponseWriter out) throws IOException {
        if (gone.isEmpty()) {
            return;
        }
        Set<Long> drop = Set.copyOf(gone);
        if (sort == null) {
            out.untagged().raw("ESEARCH (TAG ").string(tag).raw(")").raw(uid ? " UID" : "")
                    .raw(" REMOVEFROM (0 ").raw(SearchReturn.set(numbers(view, gone), false)).raw(")").crlf();
        } else {
            out.untagged().raw("ESEARCH (TAG ").string(tag).raw(")").raw(uid ? " UID" : "");
            for (int i = members.length - 1; i >= 0; i--) {
                if (drop.contains(members[i])) {
                    out.raw(" REMOVEFROM (").number(i + 1).sp().number(number(view, members[i])).raw(")");
                }
            }
            out.crlf();
        }
        long[] kept = new long[members.length];
        int n = 0;
        for (long m : members) {
            if (!drop.contains(m)) {
                kept[n++] = m;
            }
        }
        setMembers(Arrays.copyOf(kept, n));
    }

    /** Puts {@code joined} (UIDs ascending) into the result and says so (ADDTO). */
    private void add(SelectedMailbox view, List<Long> joined, ResponseWriter out) throws IOException, StoreException {
        if (sort == null) {
            long[] all = Arrays.copyOf(members, members.length + joined.size());
            for (int i = 0; i < joined.size(); i++) {
                all[members.length + i] = joined.get(i);
            }
            Arrays.sort(all);
            setMembers(all);
            out.untagged().raw("ESEARCH (TAG ").string(tag).raw(")").raw(uid ? " UID" : "")
                    .raw(" ADDTO (0 ").raw(SearchReturn.set(numbers(view, joined), false)).raw(")").crlf();
            return;
        }
        // Sort the whole result again: the sort keys are in the index, and the stable sort by sequence
        // number is what a new SORT would answer.
        List<Integer> seqs = new ArrayList<>(members.length + joined.size());
        for (long m : members) {
            seqs.add(view.seqOf(m));
        }
        for (long j : joined) {
            seqs.add(view.seqOf(j));
        }
        seqs.removeIf(s -> s == 0);
        seqs.sort(null);
        Sort.Matched m = Sort.records(view, seqs.stream().mapToInt(Integer::intValue).toArray(), limits, readAhead);
        int[] order = Sort.order(sort, m.records(), Sort.sizes(sort, view, m), m.count());
        long[] sorted = new long[order.length];
        for (int i = 0; i < order.length; i++) {
            sorted[i] = m.uids()[order[i]];
        }
        setMembers(sorted);
        Map<Long, Boolean> isNew = new HashMap<>();
        joined.forEach(j -> isNew.put(j, true));
        out.untagged().raw("ESEARCH (TAG ").string(tag).raw(")").raw(uid ? " UID" : "");
        for (int i = 0; i < sorted.length; i++) {
            if (isNew.containsKey(sorted[i])) {
                out.raw(" ADDTO (").number(i + 1).sp().number(number(view, sorted[i])).raw(")");
            }
        }
        out.crlf();
    }

    private long number(SelectedMailbox view, long u) {
        return uid ? u : view.seqOf(u);
    }

    private List<Long> numbers(SelectedMailbox view, List<Long> uids) {
        List<Long> out = new ArrayList<>(uids.size());
        for (long u : uids) {
            out.add(number(view, u));
        }
        return out;
    }
}
