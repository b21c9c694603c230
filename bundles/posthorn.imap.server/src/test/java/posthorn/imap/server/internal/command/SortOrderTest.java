package posthorn.imap.server.internal.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.server.internal.search.SortKeys;

/**
 * The string sort keys compare with i;ascii-casemap (RFC 5256 3, RFC 4790 9.2): a-z map to A-Z, then
 * octets compare, so "[" (0x5B) and "_" (0x5F) come after "Z" (0x5A) and before nothing else of the
 * letters.
 */
class SortOrderTest {

    private static byte[] msg(int seq, String subject, String address) {
        return new SortKeys(0, 0, 0, false, subject, address, address, address, address, address, null, List.of())
                .encode();
    }

    /** The sequence numbers (1-based positions in {@code data}) in the order the criteria give. */
    private static List<Integer> sorted(String criteria, List<byte[]> data) throws Exception {
        List<Sort.Criterion> order = Sort.criteria(new ArgReader(criteria.getBytes(StandardCharsets.US_ASCII)));
        int[] idx = Sort.order(order, data.toArray(new byte[0][]), data.size());
        List<Integer> out = new ArrayList<>();
        for (int i : idx) {
            out.add(i + 1);
        }
        return out;
    }

    @Test
    void subjectsWithBracketAndUnderscoreSortAfterLetters() throws Exception {
        // BaseSubject hands over its subjects case-folded to lower case
        List<byte[]> data = List.of(msg(1, "[xyz]", ""), msg(2, "_under", ""), msg(3, "abc", ""),
                msg(4, "zed", ""), msg(5, "0num", ""));
        assertEquals(List.of(5, 3, 4, 1, 2), sorted("(SUBJECT)", data));
        assertEquals(List.of(2, 1, 4, 3, 5), sorted("(REVERSE SUBJECT)", data));
    }

    @Test
    void addressKeysUseTheSameCollation() throws Exception {
        List<byte[]> data = List.of(msg(1, "", "_x"), msg(2, "", "bob"), msg(3, "", "[a"), msg(4, "", "alice"));
        for (String key : List.of("FROM", "TO", "CC", "DISPLAYFROM", "DISPLAYTO")) {
            assertEquals(List.of(4, 2, 3, 1), sorted("(" + key + ")", data), key);
        }
    }

    /**
     * The column sort against a plain comparator over decoded keys (the definition): every program of
     * one to three keys, with and without REVERSE, on records with many ties, ties broken by sequence.
     */
    @Test
    void columnSortAgreesWithTheDefinition() throws Exception {
        java.util.Random r = new java.util.Random(5256);
        String[] words = {"a", "B", "b", "[x", "_y", "zz", ""};
        List<SortKeys> keys = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            keys.add(new SortKeys(r.nextInt(5) - 2, r.nextInt(4), r.nextInt(3), r.nextBoolean(),
                    words[r.nextInt(words.length)], words[r.nextInt(words.length)], words[r.nextInt(words.length)],
                    words[r.nextInt(words.length)], words[r.nextInt(words.length)], words[r.nextInt(words.length)],
                    null, List.of()));
        }
        byte[][] recs = keys.stream().map(SortKeys::encode).toArray(byte[][]::new);
        Sort.Key[] all = Sort.Key.values();
        for (int round = 0; round < 300; round++) {
            StringBuilder program = new StringBuilder("(");
            java.util.Comparator<Integer> definition = null;
            for (int k = 0, n = 1 + r.nextInt(3); k < n; k++) {
                Sort.Key key = all[r.nextInt(all.length)];
                boolean reverse = r.nextBoolean();
                program.append(k > 0 ? " " : "").append(reverse ? "REVERSE " : "").append(key.name());
                java.util.Comparator<Integer> c = switch (key) {
                    case ARRIVAL -> java.util.Comparator.comparingLong(i -> keys.get(i).arrival());
                    case DATE -> java.util.Comparator.comparingLong(i -> keys.get(i).sent());
                    case SIZE -> java.util.Comparator.comparingLong(i -> keys.get(i).size());
                    case SUBJECT -> java.util.Comparator.comparing(i -> keys.get(i).subject(), Sort.COLLATION);
                    case FROM -> java.util.Comparator.comparing(i -> keys.get(i).from(), Sort.COLLATION);
                    case TO -> java.util.Comparator.comparing(i -> keys.get(i).to(), Sort.COLLATION);
                    case CC -> java.util.Comparator.comparing(i -> keys.get(i).cc(), Sort.COLLATION);
                    case DISPLAYFROM -> java.util.Comparator.comparing(i -> keys.get(i).displayFrom(), Sort.COLLATION);
                    case DISPLAYTO -> java.util.Comparator.comparing(i -> keys.get(i).displayTo(), Sort.COLLATION);
                };
                if (reverse) {
                    c = c.reversed();
                }
                definition = definition == null ? c : definition.thenComparing(c);
            }
            program.append(")");
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                expected.add(i);
            }
            expected.sort(definition.thenComparingInt(i -> i));
            int[] got = Sort.order(Sort.criteria(new ArgReader(program.toString().getBytes(StandardCharsets.US_ASCII))),
                    recs, recs.length);
            assertEquals(expected, java.util.Arrays.stream(got).boxed().toList(), program.toString());
        }
    }
}
