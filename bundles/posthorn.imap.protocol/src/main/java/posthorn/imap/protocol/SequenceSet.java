package posthorn.imap.protocol;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * A sequence set (RFC 3501 9: sequence-set), of message sequence numbers or UIDs. {@code *} stands
 * for the largest number in use, given when the set is evaluated. Immutable.
 *
 * <p>Two sets are equal when their canonical forms ({@link #toString()}) are equal. The canonical form
 * merges numeric ranges with each other and ranges ending in '*' with each other, but never a numeric
 * range into a '*' range: "3:*,10" is not "3:*" when the largest number is 5.
 */
public final class SequenceSet {

    /** An inclusive range; {@code Long.MAX_VALUE} stands for '*'. */
    public record Range(long first, long last) {
    }

    /** The largest number a sequence set may name (RFC 3501 nz-number is 32-bit unsigned). */
    public static final long MAX_NUMBER = 0xFFFF_FFFFL;

    private static final long STAR = Long.MAX_VALUE;
    private static final SequenceSet SAVED = new SequenceSet(List.of(), List.of(), true);

    private final List<Range> ranges;
    /** Numeric ranges sorted and merged, then at most one range ending in '*'. */
    private final List<Range> canonical;
    private final boolean saved;

    private SequenceSet(List<Range> ranges, List<Range> canonical, boolean saved) {
        this.ranges = ranges;
        this.canonical = canonical;
        this.saved = saved;
    }

    public static SequenceSet parse(String text) throws ProtocolException {
        if (text == null || text.isEmpty()) {
            throw new ProtocolException("Expected sequence set");
        }
        if (text.equals("$")) {
            return SAVED;
        }
        List<Range> ranges = new ArrayList<>();
        for (String item : text.split(",", -1)) {
            int colon = item.indexOf(':');
            long first;
            long last;
            if (colon < 0) {
                first = last = seqNumber(item, text);
            } else {
                first = seqNumber(item.substring(0, colon), text);
                last = seqNumber(item.substring(colon + 1), text);
            }
            ranges.add(new Range(Math.min(first, last), Math.max(first, last)));
        }
        return of(ranges);
    }

    private static long seqNumber(String s, String whole) throws ProtocolException {
        if (s.equals("*")) {
            return STAR;
        }
        if (s.isEmpty() || s.length() > 10) {
            throw new ProtocolException("Invalid sequence set " + whole);
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new ProtocolException("Invalid sequence set " + whole);
            }
            n = n * 10 + (c - '0');
        }
        if (n == 0 || n > MAX_NUMBER) {
            throw new ProtocolException("Invalid sequence number " + s + " in " + whole);
        }
        return n;
    }

    /** The set "$" (RFC 5182). */
    public static SequenceSet saved() {
        return SAVED;
    }

    /**
     * A set of the given ranges; each range's ends are put in order, {@code Long.MAX_VALUE} stands for
     * '*'.
     *
     * @throws IllegalArgumentException if {@code ranges} is empty or names a number below 1
     */
    public static SequenceSet of(Collection<Range> ranges) {
        if (ranges.isEmpty()) {
            throw new IllegalArgumentException("empty sequence set");
        }
        List<Range> ordered = new ArrayList<>(ranges.size());
        for (Range r : ranges) {
            long first = Math.min(r.first(), r.last());
            long last = Math.max(r.first(), r.last());
            if (first < 1) {
                throw new IllegalArgumentException("sequence number below 1: " + r);
            }
            ordered.add(new Range(first, last));
        }
        return new SequenceSet(List.copyOf(ordered), canonicalize(ordered), false);
    }

    /**
     * A set of the given numbers (e.g. the UIDs of a COPYUID response), written compactly.
     *
     * @throws IllegalArgumentException if there are none or one is below 1
     */
    public static SequenceSet ofNumbers(long... numbers) {
        List<Range> ranges = new ArrayList<>(numbers.length);
        for (long n : numbers) {
            ranges.add(new Range(n, n));
        }
        SequenceSet set = of(ranges);
        return new SequenceSet(set.canonical, set.canonical, false);
    }

    private static List<Range> canonicalize(List<Range> ranges) {
        List<Range> numeric = new ArrayList<>();
        long starFirst = 0;
        for (Range r : ranges) {
            if (r.last() == STAR) {
                starFirst = starFirst == 0 ? r.first() : Math.min(starFirst, r.first());
            } else {
                numeric.add(r);
            }
        }
        List<Range> out = mergeSorted(numeric);
        if (starFirst != 0) {
            out.add(new Range(starFirst, STAR));
        }
        return List.copyOf(out);
    }

    private static List<Range> mergeSorted(List<Range> ranges) {
        List<Range> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparingLong(Range::first));
        List<Range> out = new ArrayList<>();
        for (Range r : sorted) {
            if (!out.isEmpty()) {
                Range prev = out.get(out.size() - 1);
                if (r.first() <= prev.last() + 1) {
                    out.set(out.size() - 1, new Range(prev.first(), Math.max(prev.last(), r.last())));
                    continue;
                }
            }
            out.add(r);
        }
        return out;
    }

    /** The ranges as written, each with {@code first <= last} after ordering its ends. */
    public List<Range> ranges() {
        return ranges;
    }

    /** Whether {@code n} is in the set, with '*' meaning {@code max}. */
    public boolean contains(long n, long max) {
        requireResolved();
        for (Range r : canonical) {
            long a = r.first() == STAR ? max : r.first();
            long b = r.last() == STAR ? max : r.last();
            if (n >= Math.min(a, b) && n <= Math.max(a, b)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The set with '*' replaced by {@code max}: ranges sorted, merged, without '*' (RFC 3501 6.4.8:
     * "n:*" with n above {@code max} is "max:n"). For a server that walks ranges instead of testing
     * every message. An empty mailbox ({@code max} 0) gives no ranges for '*'.
     */
    public List<Range> resolve(long max) {
        requireResolved();
        List<Range> out = new ArrayList<>(canonical.size());
        for (Range r : canonical) {
            if (r.last() != STAR) {
                out.add(r);
            } else if (max > 0) {
                long a = r.first() == STAR ? max : r.first();
                out.add(new Range(Math.min(a, max), Math.max(a, max)));
            }
        }
        return List.copyOf(mergeSorted(out));
    }

    private void requireResolved() {
        if (saved) {
            throw new IllegalStateException("\"$\" must be replaced by the saved search result first");
        }
    }

    /** Whether the set is "$" (RFC 5182 saved result). */
    public boolean isSaved() {
        return saved;
    }

    /** The canonical text: ranges sorted and merged, '*' kept. */
    @Override
    public String toString() {
        if (saved) {
            return "$";
        }
        StringBuilder sb = new StringBuilder();
        for (Range r : canonical) {
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append(text(r.first()));
            if (r.first() != r.last()) {
                sb.append(':').append(text(r.last()));
            }
        }
        return sb.toString();
    }

    private static String text(long n) {
        return n == STAR ? "*" : Long.toString(n);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SequenceSet other && saved == other.saved && canonical.equals(other.canonical);
    }

    @Override
    public int hashCode() {
        return canonical.hashCode() * 31 + Boolean.hashCode(saved);
    }
}
