package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.SequenceSet;

/**
 * The RETURN options of SEARCH and SORT and the ESEARCH response that answers them: MIN MAX ALL COUNT
 * (RFC 4731 3.1, for SORT RFC 5267 3 ESORT), SAVE (RFC 5182), UPDATE (RFC 5267 4.2, CONTEXT=SEARCH and
 * CONTEXT=SORT) and PARTIAL.
 *
 * <p>PARTIAL: RFC 5267 4.4 defined it with positive ranges (positions 1:500 of the result); RFC 9394
 * (the PARTIAL capability) redefines it, adding ranges counted from the end (-1:-100: the last 100) and
 * saying that 500:400 is 400:500. Where the two differ this follows RFC 9394: a negative range is
 * taken, the two ends may come in either order, and PARTIAL may not come with ALL (9394 3.1; RFC 5267
 * let both be asked, and says nothing of what ALL then means). The range is echoed
 * with the lower magnitude first. One rule is common: "*" and 0 are not positions (BAD).
 *
 * @param options the options but PARTIAL, upper case; {@code ()} is ALL (RFC 4731 3.1)
 * @param partial the PARTIAL range, or null
 */
record SearchReturn(Set<String> options, Partial partial) {

    private static final Set<String> KNOWN = Set.of("MIN", "MAX", "ALL", "COUNT", "SAVE", "UPDATE");

    /**
     * A PARTIAL range (RFC 9394 4: partial-range-first / partial-range-last).
     *
     * @param low     the first position, 1-based, counted from the start, or from the end when {@code fromEnd}
     * @param high    the last such position, at least {@code low}
     * @param fromEnd counted from the last message (-1 is the last)
     */
    record Partial(long low, long high, boolean fromEnd) {
        /** The range as the answer echoes it: lower magnitude first ("2:5" for 5:2, as Dovecot echoes). */
        String text() {
            return fromEnd ? "-" + low + ":-" + high : low + ":" + high;
        }

        /** The indexes (0-based, from, to exclusive) the range selects of a result of {@code size}. */
        int[] window(int size) {
            long from;
            long to;
            if (fromEnd) {
                from = size - high;
                to = size - low + 1;
            } else {
                from = low - 1;
                to = high;
            }
            from = Math.max(0, Math.min(size, from));
            to = Math.max(from, Math.min(size, to));
            return new int[] {(int) from, (int) to};
        }
    }

    private static final Pattern RANGE = Pattern.compile("(-?)([1-9][0-9]{0,9}):(-?)([1-9][0-9]{0,9})");
    private static final long NZ_MAX = 4_294_967_295L;

    boolean has(String option) {
        return options.contains(option);
    }

    /** Whether the client wants an ESEARCH response with data beyond the tag (not SAVE or UPDATE alone). */
    boolean answers() {
        return partial != null || has("MIN") || has("MAX") || has("ALL") || has("COUNT");
    }

    /**
     * Parses "(" [option *(SP option)] ")" after RETURN SP.
     *
     * @param partialFromEnd whether RFC 9394's negative ranges are taken
     */
    static SearchReturn parse(ArgReader args) throws ProtocolException {
        Set<String> opts = new LinkedHashSet<>();
        Partial partial = null;
        args.listOpen();
        boolean first = true;
        while (!args.peek(')')) {
            if (!first) {
                args.sp();
            }
            first = false;
            String o = args.atom().toUpperCase(Locale.ROOT);
            if (o.equals("PARTIAL")) {
                if (partial != null) {
                    throw new ProtocolException("PARTIAL given twice");
                }
                args.sp();
                partial = range(args.atom());
                continue;
            }
            if (!KNOWN.contains(o)) {
                throw new ProtocolException("Unknown search return option " + o);
            }
            if (!opts.add(o) && o.equals("UPDATE")) {
                throw new ProtocolException("UPDATE given twice");
            }
        }
        args.listClose();
        if (partial != null && opts.contains("ALL")) {
            throw new ProtocolException("PARTIAL and ALL cannot be combined (RFC 9394 3.1)");
        }
        if (opts.isEmpty() && partial == null) {
            opts.add("ALL");
        }
        return new SearchReturn(Set.copyOf(opts), partial);
    }

    /** partial-range (RFC 9394 4); anything else is BAD. */
    static Partial range(String text) throws ProtocolException {
        Matcher m = RANGE.matcher(text);
        if (!m.matches() || !m.group(1).equals(m.group(3))) {
            throw new ProtocolException("PARTIAL range broken: " + text);
        }
        long a = Long.parseLong(m.group(2));
        long b = Long.parseLong(m.group(4));
        if (a > NZ_MAX || b > NZ_MAX) {
            throw new ProtocolException("PARTIAL range beyond 32 bits: " + text);
        }
        return new Partial(Math.min(a, b), Math.max(a, b), !m.group(1).isEmpty());
    }

    /**
     * The ESEARCH response (RFC 4731 3.1, RFC 5267 3 and 4.4, RFC 9394 3.1) for a result in its order:
     * ascending for SEARCH, sorted for SORT (then MIN and MAX are its first and last, ALL lists it in
     * that order).
     */
    void esearch(ResponseWriter out, String tag, boolean uid, List<Long> result, boolean sorted) throws IOException {
        esearch(out, tag, uid, result, sorted, 0);
    }

    /** As above; {@code modSeq} above 0 is the MODSEQ return data (RFC 7162 3.1.5, RFC 4731). */
    void esearch(ResponseWriter out, String tag, boolean uid, List<Long> result, boolean sorted, long modSeq)
            throws IOException {
        out.untagged().raw("ESEARCH (TAG ").string(tag).raw(")");
        if (uid) {
            out.raw(" UID");
        }
        if (!result.isEmpty()) {
            if (has("MIN")) {
                out.raw(" MIN ").number(result.get(0));
            }
            if (has("MAX")) {
                out.raw(" MAX ").number(result.get(result.size() - 1));
            }
            if (has("ALL")) {
                out.raw(" ALL ").raw(set(result, sorted));
            }
        }
        if (partial != null) {
            int[] w = partial.window(result.size());
            out.raw(" PARTIAL (").raw(partial.text()).sp();
            out.raw(w[0] == w[1] ? "NIL" : set(result.subList(w[0], w[1]), sorted));
            out.raw(")");
        }
        if (has("COUNT")) {
            out.raw(" COUNT ").number(result.size());
        }
        if (modSeq > 0) {
            out.raw(" MODSEQ ").number(modSeq);
        }
        out.crlf();
    }

    /**
     * A sequence set of the numbers: compressed freely when their order means nothing (SEARCH), in
     * their order with only ascending runs as ranges when it does (SORT: "1,10,2:3", as Dovecot writes it).
     */
    static String set(List<Long> numbers, boolean ordered) {
        if (!ordered) {
            return SequenceSet.ofNumbers(numbers.stream().mapToLong(Long::longValue).toArray()).toString();
        }
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (i < numbers.size()) {
            long start = numbers.get(i);
            int j = i;
            while (j + 1 < numbers.size() && numbers.get(j + 1) == numbers.get(j) + 1) {
                j++;
            }
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(start);
            if (j > i) {
                b.append(':').append(numbers.get(j));
            }
            i = j + 1;
        }
        return b.toString();
    }
}
