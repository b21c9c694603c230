package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.IntBinaryOperator;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.acl.GuardedMailbox;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.imap.server.internal.search.SearchKey;
import posthorn.imap.server.internal.fetch.DerivedCache;
import posthorn.imap.server.internal.fetch.ReadAhead;
import posthorn.imap.server.internal.mime.MimeCuts;
import posthorn.imap.server.internal.mime.MimeLimits;
import posthorn.imap.server.internal.search.SortData;
import posthorn.imap.server.internal.search.SortKeys;
import posthorn.text.support.UnicodeCasemap;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;

/**
 * SORT and UID SORT (RFC 5256): the messages that match the search criteria, sorted (ARRIVAL CC
 * DATE FROM REVERSE SIZE SUBJECT TO, and DISPLAYFROM DISPLAYTO of RFC 5957; ties by sequence number),
 * strings by i;unicode-casemap (I18NLEVEL=1, RFC 5255). With RETURN (...) the answer is ESEARCH
 * (ESORT, RFC 5267 3), PARTIAL windows of the sorted result (RFC 5267 4.4, RFC 9394) and UPDATE
 * contexts whose ADDTO/REMOVEFROM carry positions in the sorted result (CONTEXT=SORT, {@link UpdateContext}).
 *
 * <p>The keys come from each message's {@link SortKeys} record in the store's index, derived from its
 * header the first time ({@link DerivedCache#sortKeys}): once a mailbox is indexed a SORT opens no
 * message file. Each criterion's key is taken into one column, primitive for dates and sizes, and an
 * index array is merge-sorted over the columns, so that sorting 50,000 messages makes no object per
 * message and key beyond the strings a string key compares.
 */
final class Sort implements Command<SessionState.Selected> {
    private final boolean uid;

    Sort(boolean uid) {
        this.uid = uid;
    }

    /** A sort key (RFC 5256 3, RFC 5957 3) and where its value is in a {@link SortKeys} record. */
    enum Key {
        ARRIVAL(-1), CC(SortKeys.CC), DATE(-1), FROM(SortKeys.FROM), SIZE(-1), SUBJECT(SortKeys.SUBJECT),
        TO(SortKeys.TO), DISPLAYFROM(SortKeys.DISPLAY_FROM), DISPLAYTO(SortKeys.DISPLAY_TO);

        /** The record's string field, or -1 for a number. */
        final int field;

        Key(int field) {
            this.field = field;
        }
    }

    /** One criterion of the sort program. */
    record Criterion(Key key, boolean reverse) {
    }

    @Override
    public void execute(CommandContext ctx, SessionState.Selected state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        SearchReturn returns = null;
        if (args.peekKeyword("RETURN")) {
            // ESORT (RFC 5267 3): SORT RETURN (...) answers with ESEARCH
            args.atom();
            args.sp();
            returns = SearchReturn.parse(args);
            args.sp();
        }
        List<Criterion> order = criteria(args);
        args.sp();
        SelectedMailbox view = state.mailbox();
        if (returns != null && returns.has("UPDATE") && view.watcher(tag) != null) {
            throw new ProtocolException("Duplicate search update tag " + tag);
        }
        Charset charset = Search.charset(args.astring());
        if (charset == null) {
            ctx.out().status(tag, Status.NO, Search.BADCHARSET, "Unsupported charset");
            if (returns != null && returns.has("SAVE")) {
                view.saveResult(List.of());
            }
            return;
        }
        args.sp();
        SearchKey key = Search.keys(ctx, args, charset);
        args.end();
        Matched m;
        // r is checked once for the messages this command reads, not once a message
        try (GuardedMailbox.Held rights = GuardedMailbox.hold(view.store())) {
            m = records(view, Search.matchingSeqs(ctx, view, key), ctx.mimeLimits(), ctx.readAheadBytes());
        }
        int[] sorted = order(order, m.records, sizes(order, view, m), m.count);
        if (returns == null) {
            ctx.out().untagged().raw("SORT");
            for (int i : sorted) {
                ctx.out().sp().number(uid ? m.uids[i] : m.seqs[i]);
            }
            ctx.out().crlf();
            ctx.completed(tag);
            return;
        }
        long[] sortedUids = new long[sorted.length];
        List<Long> result = new ArrayList<>(sorted.length);
        for (int k = 0; k < sorted.length; k++) {
            int i = sorted[k];
            sortedUids[k] = m.uids[i];
            result.add(uid ? m.uids[i] : (long) m.seqs[i]);
        }
        if (returns.has("SAVE")) {
            // RFC 5182 2.1 with RFC 5267 3: MIN/MAX alone save those messages; else all of them
            view.saveResult(Search.saved(returns, result.stream().map(n -> uid ? n : view.uidAt(n.intValue())).toList()));
        }
        if (returns.answers() || returns.has("UPDATE")) {
            returns.esearch(ctx.out(), tag, uid, result, true);
        }
        if (returns.has("UPDATE")) {
            Search.startUpdates(ctx, view, tag, uid, key, order, sortedUids);
        }
        ctx.completed(tag);
    }

    /**
     * The matching messages' sequence numbers, UIDs and {@link SortKeys} records, in ascending sequence
     * order, the first {@code count} entries of each array (messages expunged meanwhile are left out).
     */
    record Matched(int count, int[] seqs, long[] uids, byte[][] records) {
    }

    /**
     * What THREAD does after its first argument: the charset and the search criteria, and the
     * sort-key records of the matching messages. Null if the charset is unknown, which has been
     * answered NO [BADCHARSET].
     */
    static Matched matchingRecords(CommandContext ctx, SessionState.Selected state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        Charset charset = Search.charset(args.astring());
        if (charset == null) {
            ctx.out().status(tag, Status.NO, Search.BADCHARSET, "Unsupported charset");
            return null;
        }
        args.sp();
        SearchKey key = Search.keys(ctx, args, charset);
        args.end();
        SelectedMailbox view = state.mailbox();
        // r is checked once for the messages this command reads, not once a message
        try (GuardedMailbox.Held rights = GuardedMailbox.hold(view.store())) {
            return records(view, Search.matchingSeqs(ctx, view, key), ctx.mimeLimits(), ctx.readAheadBytes());
        }
    }

    /**
     * The sort-key records of these messages (sequence numbers ascending), derived where not indexed
     * yet. Warm, this is one bulk read of the store's own records ({@link posthorn.store.api.Mailbox#cachedValues},
     * no copy and no {@link MessageMeta} per message), each checked {@link SortKeys#valid}; only the
     * messages without a valid record go through the read-ahead and {@link DerivedCache#sortKeys}.
     * The records are read-only: they may be the store's own arrays.
     */
    static Matched records(SelectedMailbox view, int[] found, MimeLimits limits, long readAhead)
            throws IOException, StoreException {
        int n = found.length;
        long[] uids = new long[n];
        for (int i = 0; i < n; i++) {
            uids[i] = view.uidAt(found[i]);
        }
        byte[][] records = new byte[n][];
        view.store().cachedValues(uids, n, DerivedCache.SORTKEYS, records);
        int missing = 0;
        for (int i = 0; i < n; i++) {
            if (!SortKeys.valid(records[i])) {
                missing++;
            }
        }
        if (missing > 0) {
            int[] at = new int[missing];
            MessageMeta[] metas = new MessageMeta[missing];
            int k = 0;
            for (int i = 0; i < n; i++) {
                if (!SortKeys.valid(records[i])) {
                    at[k] = i;
                    metas[k++] = view.meta(uids[i]);
                }
            }
            try (ReadAhead ahead = new ReadAhead(view.store(), metas, ReadAhead.Need.SORT_KEYS,
                    new MimeCuts(limits), readAhead)) {
                for (k = 0; k < missing; k++) {
                    ahead.prepare(k);
                    records[at[k]] = DerivedCache.sortKeys(view.store(), metas[k]); // null: expunged meanwhile
                }
            }
        }
        int[] seqs = new int[n];
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (records[i] != null) {
                seqs[count] = found[i];
                uids[count] = uids[i];
                records[count] = records[i];
                count++;
            }
        }
        return new Matched(count, seqs, uids, records);
    }

    /** THREAD's view of the matching messages: each record decoded. Null as for {@link #matchingRecords}. */
    static List<SortData> matching(CommandContext ctx, SessionState.Selected state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        Matched m = matchingRecords(ctx, state, tag, args);
        if (m == null) {
            return null;
        }
        List<SortData> data = new ArrayList<>(m.count);
        for (int i = 0; i < m.count; i++) {
            // DerivedCache.sortKeys hands out valid records only, so decode cannot fail here
            data.add(SortKeys.forThreads(m.seqs[i], m.uids[i], m.records[i]));
        }
        return data;
    }

    /**
     * The indexes {@code 0..count-1} of {@code records} (in ascending sequence order) in the order of
     * the criteria; a stable sort, so that ties stay in sequence order (RFC 5256 3).
     */
    static int[] order(List<Criterion> criteria, byte[][] records, int count) {
        return order(criteria, records, null, count);
    }

    /**
     * The SIZE column when a criterion needs one, else null: RFC822.SIZE as the view knows it, and
     * from the store where it was not measured yet (store.api 1.5 measures sizes on first need; a
     * record derived before that carries none).
     */
    static long[] sizes(List<Criterion> criteria, SelectedMailbox view, Matched m) throws StoreException {
        if (criteria.stream().noneMatch(c -> c.key() == Key.SIZE)) {
            return null;
        }
        long[] col = new long[m.count];
        List<Long> unknown = new ArrayList<>();
        for (int i = 0; i < m.count; i++) {
            col[i] = view.meta(m.uids[i]).size();
            if (col[i] == MessageMeta.UNKNOWN_SIZE) {
                unknown.add(m.uids[i]);
            }
        }
        if (!unknown.isEmpty()) {
            java.util.Map<Long, Long> measured = view.store().sizes(unknown);
            for (int i = 0; i < m.count; i++) {
                if (col[i] == MessageMeta.UNKNOWN_SIZE) {
                    Long size = measured.get(m.uids[i]);
                    col[i] = size == null ? 0 : size; // expunged meanwhile: sorts first, as an empty message
                }
            }
        }
        return col;
    }

    /** As {@link #order(List, byte[][], int)}, with the SIZE column given ({@code sizes}, or null: from the records). */
    static int[] order(List<Criterion> criteria, byte[][] records, long[] sizes, int count) {
        IntBinaryOperator cmp = null;
        for (Criterion c : criteria) {
            IntBinaryOperator one;
            if (c.key().field >= 0) {
                String[] col = new String[count];
                for (int i = 0; i < count; i++) {
                    col[i] = SortKeys.string(records[i], c.key().field);
                }
                one = (a, b) -> UnicodeCasemap.compareKeys(col[a], col[b]);
            } else {
                long[] col = new long[count];
                for (int i = 0; i < count; i++) {
                    col[i] = switch (c.key()) {
                        case ARRIVAL -> SortKeys.arrival(records[i]);
                        case DATE -> SortKeys.sent(records[i]);
                        case SIZE -> sizes != null ? sizes[i] : SortKeys.size(records[i]);
                        default -> throw new AssertionError(c.key());
                    };
                }
                one = (a, b) -> Long.compare(col[a], col[b]);
            }
            if (c.reverse()) {
                IntBinaryOperator forward = one;
                one = (a, b) -> forward.applyAsInt(b, a);
            }
            IntBinaryOperator before = cmp;
            IntBinaryOperator next = one;
            cmp = before == null ? one : (a, b) -> {
                int d = before.applyAsInt(a, b);
                return d != 0 ? d : next.applyAsInt(a, b);
            };
        }
        int[] idx = new int[count];
        for (int i = 0; i < count; i++) {
            idx[i] = i;
        }
        mergeSort(idx, cmp);
        return idx;
    }

    /** A stable bottom-up merge sort of {@code a} by {@code cmp}: O(n log n), one scratch array. */
    static void mergeSort(int[] a, IntBinaryOperator cmp) {
        int n = a.length;
        int[] src = a;
        int[] dst = new int[n];
        for (int width = 1; width < n; width *= 2) {
            for (int lo = 0; lo < n; lo += 2 * width) {
                int mid = Math.min(lo + width, n);
                int hi = Math.min(lo + 2 * width, n);
                int i = lo;
                int j = mid;
                int k = lo;
                while (i < mid && j < hi) {
                    dst[k++] = cmp.applyAsInt(src[j], src[i]) < 0 ? src[j++] : src[i++];
                }
                while (i < mid) {
                    dst[k++] = src[i++];
                }
                while (j < hi) {
                    dst[k++] = src[j++];
                }
            }
            int[] t = src;
            src = dst;
            dst = t;
        }
        if (src != a) {
            System.arraycopy(src, 0, a, 0, n);
        }
    }

    /**
     * The collation SORT's string keys compare by: i;unicode-casemap (RFC 5051), the default of
     * I18NLEVEL=1 (RFC 5255 4.3), in place of RFC 5256's i;ascii-casemap, which it orders the same for
     * plain ASCII ("[" and "_" after the letters).
     */
    static final Comparator<String> COLLATION = UnicodeCasemap::compareKeys;

    /** The sort criteria list (RFC 5256 3: sort-criteria; RFC 5957 adds DISPLAYFROM and DISPLAYTO). */
    static List<Criterion> criteria(ArgReader args) throws ProtocolException {
        args.listOpen();
        List<Criterion> all = new ArrayList<>();
        boolean reverse = false;
        boolean first = true;
        while (!args.peek(')')) {
            if (!first) {
                args.sp();
            }
            first = false;
            String word = args.atom().toUpperCase(Locale.ROOT);
            if (word.equals("REVERSE")) {
                if (reverse) {
                    throw new ProtocolException("REVERSE twice");
                }
                reverse = true;
                continue;
            }
            Key k;
            try {
                k = Key.valueOf(word);
            } catch (IllegalArgumentException e) {
                throw new ProtocolException("Unknown sort key " + word);
            }
            all.add(new Criterion(k, reverse));
            reverse = false;
        }
        args.listClose();
        if (all.isEmpty() || reverse) {
            throw new ProtocolException(all.isEmpty() ? "Empty sort criteria" : "REVERSE without a sort key");
        }
        return all;
    }
}
