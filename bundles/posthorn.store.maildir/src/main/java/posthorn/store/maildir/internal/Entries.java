package posthorn.store.maildir.internal;

import java.time.Instant;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.RandomAccess;
import java.util.Set;

/**
 * A folder's messages at one moment, in ascending UID order, as columns: one primitive array per
 * attribute instead of an object per message (issue 14: a 50,000-message folder kept an entry, an
 * {@link Instant} and a list slot per message, and every young collection while the heap grew copied
 * them). Flag sets are interned ({@link FlagSets}) and kept once in a small table each message points
 * into. {@link #get} builds a {@link MaildirFolder.Entry} on demand, for callers that want one; the
 * column accessors ({@link #uid}, {@link #base}, ...) build nothing.
 *
 * <p>Threading: immutable once built ({@link Builder#build}); shared by every handle synced to the
 * snapshot holding it, and safely published through {@link FolderState}'s volatile record.
 */
final class Entries extends AbstractList<MaildirFolder.Entry> implements RandomAccess {
    static final Entries EMPTY = new Builder(0).build();

    private final int size;
    private final long[] uids;
    private final String[] bases;
    /** Index into {@link #flagTable} per message. */
    private final int[] flagIds;
    private final Set<String>[] flagTable;
    private final long[] sizes;
    /** INTERNALDATE as epoch milliseconds. */
    private final long[] dates;
    private final long[] modseqs;

    private Entries(int size, long[] uids, String[] bases, int[] flagIds, Set<String>[] flagTable, long[] sizes,
                    long[] dates, long[] modseqs) {
        this.size = size;
        this.uids = uids;
        this.bases = bases;
        this.flagIds = flagIds;
        this.flagTable = flagTable;
        this.sizes = sizes;
        this.dates = dates;
        this.modseqs = modseqs;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public MaildirFolder.Entry get(int i) {
        return new MaildirFolder.Entry(uid(i), base(i), flags(i), size(i), internalDate(i), modseq(i));
    }

    long uid(int i) {
        check(i);
        return uids[i];
    }

    String base(int i) {
        check(i);
        return bases[i];
    }

    /** The message's flag set: the interned instance, so equal sets are usually the same object. */
    Set<String> flags(int i) {
        check(i);
        return flagTable[flagIds[i]];
    }

    long size(int i) {
        check(i);
        return sizes[i];
    }

    long dateMillis(int i) {
        check(i);
        return dates[i];
    }

    Instant internalDate(int i) {
        return Instant.ofEpochMilli(dateMillis(i));
    }

    long modseq(int i) {
        check(i);
        return modseqs[i];
    }

    private void check(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(i);
        }
    }

    /** Position of a UID (binary search), or a negative number as {@link Arrays#binarySearch} gives. */
    int position(long uid) {
        return Arrays.binarySearch(uids, 0, size, uid);
    }

    /** True if message {@code i} here and message {@code j} of {@code o} have the same UID, file, flags, size and date. */
    boolean sameAs(int i, Entries o, int j) {
        return uids[i] == o.uids[j] && bases[i].equals(o.bases[j]) && sameFlags(i, o, j)
                && sizes[i] == o.sizes[j] && dates[i] == o.dates[j];
    }

    boolean sameFlags(int i, Entries o, int j) {
        Set<String> a = flagTable[flagIds[i]];
        Set<String> b = o.flagTable[o.flagIds[j]];
        return a == b || a.equals(b);
    }

    /**
     * Collects messages in ascending UID order. Not thread-safe; {@link #build} hands the arrays over
     * (trimmed), after which the builder is not used again.
     */
    static final class Builder {
        private int n;
        private long[] uids;
        private String[] bases;
        private int[] flagIds;
        private long[] sizes;
        private long[] dates;
        private long[] modseqs;
        /** The distinct (interned) flag sets so far and their positions in the table. */
        private final Map<Set<String>, Integer> ids = new IdentityHashMap<>();
        private Set<String>[] table;

        @SuppressWarnings("unchecked")
        Builder(int capacity) {
            int c = Math.max(capacity, 4);
            uids = new long[c];
            bases = new String[c];
            flagIds = new int[c];
            sizes = new long[c];
            dates = new long[c];
            modseqs = new long[c];
            table = (Set<String>[]) new Set<?>[4];
        }

        int size() {
            return n;
        }

        /** Adds a message; {@code uid} must be above every UID added before. */
        Builder add(long uid, String base, Set<String> flags, long size, long dateMillis, long modseq) {
            if (n > 0 && uid <= uids[n - 1]) {
                throw new IllegalArgumentException("UIDs out of order: " + uid + " after " + uids[n - 1]);
            }
            if (n == uids.length) {
                grow();
            }
            uids[n] = uid;
            bases[n] = base;
            flagIds[n] = flagId(FlagSets.intern(flags));
            sizes[n] = size;
            dates[n] = dateMillis;
            modseqs[n] = modseq;
            n++;
            return this;
        }

        Builder add(MaildirFolder.Entry e) {
            return add(e.uid(), e.base(), e.flags(), e.size(), e.internalDate().toEpochMilli(), e.modseq());
        }

        /** Adds message {@code i} of {@code from} as it is. */
        Builder add(Entries from, int i) {
            return add(from.uids[i], from.bases[i], from.flagTable[from.flagIds[i]], from.sizes[i], from.dates[i],
                    from.modseqs[i]);
        }

        private int flagId(Set<String> interned) {
            Integer id = ids.get(interned);
            if (id != null) {
                return id;
            }
            int next = ids.size();
            if (next == table.length) {
                table = Arrays.copyOf(table, next * 2);
            }
            table[next] = interned;
            ids.put(interned, next);
            return next;
        }

        private void grow() {
            int c = uids.length * 2;
            uids = Arrays.copyOf(uids, c);
            bases = Arrays.copyOf(bases, c);
            flagIds = Arrays.copyOf(flagIds, c);
            sizes = Arrays.copyOf(sizes, c);
            dates = Arrays.copyOf(dates, c);
            modseqs = Arrays.copyOf(modseqs, c);
        }

        Entries build() {
            if (n < uids.length) {
                uids = Arrays.copyOf(uids, n);
                bases = Arrays.copyOf(bases, n);
                flagIds = Arrays.copyOf(flagIds, n);
                sizes = Arrays.copyOf(sizes, n);
                dates = Arrays.copyOf(dates, n);
                modseqs = Arrays.copyOf(modseqs, n);
            }
            return new Entries(n, uids, bases, flagIds, Arrays.copyOf(table, ids.size()), sizes, dates, modseqs);
        }
    }
}
