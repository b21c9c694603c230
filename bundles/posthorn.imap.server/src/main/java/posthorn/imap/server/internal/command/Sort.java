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
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.imap.server.internal.search.SearchKey;
import posthorn.imap.server.internal.fetch.DerivedCache;
import posthorn.imap.server.internal.fetch.ReadAhead;
import posthorn.imap.server.internal.mime.MimeCuts;
import posthorn.imap.server.internal.search.SortData;
import posthorn.imap.server.internal.search.SortKeys;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;

/**
 * SORT and UID SORT (RFC 5256): the messages that match the search criteria, sorted (ARRIVAL CC
 * DATE FROM REVERSE SIZE SUBJECT TO, and DISPLAYFROM DISPLAYTO of RFC 5957; ties by sequence number).
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
        List<Criterion> order = criteria(args);
        args.sp();
        Matched m = matchingRecords(ctx, state, tag, args);
        if (m == null) {
            return;
        }
        int[] sorted = order(order, m.records, sizes(order, state.mailbox(), m), m.count);
        ctx.out().untagged().raw("SORT");
        for (int i : sorted) {
            ctx.out().sp().number(uid ? m.uids[i] : m.seqs[i]);
        }
        ctx.out().crlf();
        ctx.completed(tag);
    }

    /**
     * The matching messages' sequence numbers, UIDs and {@link SortKeys} records, in ascending sequence
     * order, the first {@code count} entries of each array (messages expunged meanwhile are left out).
     */
    record Matched(int count, int[] seqs, long[] uids, byte[][] records) {
    }

    /**
     * What SORT and THREAD share after their first argument: the charset and the search criteria, and
     * the sort-key records of the matching messages. Null if the charset is unknown, which has been
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
        List<Integer> found = Search.matching(ctx, view, key);
        int n = found.size();
        int[] seqs = new int[n];
        long[] uids = new long[n];
        byte[][] records = new byte[n][];
        int count = 0;
        MessageMeta[] metas = new MessageMeta[n];
        for (int i = 0; i < n; i++) {
            metas[i] = view.meta(view.uidAt(found.get(i)));
        }
        try (ReadAhead ahead = new ReadAhead(view.store(), metas, ReadAhead.Need.SORT_KEYS,
                new MimeCuts(ctx.mimeLimits()), ctx.readAheadBytes())) {
            for (int i = 0; i < n; i++) {
                ahead.prepare(i);
                byte[] rec = DerivedCache.sortKeys(view.store(), metas[i]);
                if (rec != null) {
                    seqs[count] = found.get(i);
                    uids[count] = metas[i].uid();
                    records[count] = rec;
                    count++;
                }
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
            data.add(new SortData(m.seqs[i], m.uids[i], SortKeys.decode(m.records[i])));
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
    private static long[] sizes(List<Criterion> criteria, SelectedMailbox view, Matched m) throws StoreException {
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
                one = (a, b) -> ASCII_CASEMAP.compare(col[a], col[b]);
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
     * i;ascii-casemap (RFC 4790 9.2), the collation RFC 5256 sorts strings by: a-z compare as A-Z, all
     * else by its code, so "[" and "_" come after the letters. The keys arrive case-folded to lower case.
     */
    static final Comparator<String> ASCII_CASEMAP = (a, b) -> {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            int d = upper(a.charAt(i)) - upper(b.charAt(i));
            if (d != 0) {
                return d;
            }
        }
        return a.length() - b.length();
    };

    private static char upper(char c) {
        return c >= 'a' && c <= 'z' ? (char) (c - 'a' + 'A') : c;
    }

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
