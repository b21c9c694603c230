package posthorn.imap.server.internal.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.junit.jupiter.api.Test;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.server.internal.search.SortData;

/**
 * The string sort keys compare with i;ascii-casemap (RFC 5256 3, RFC 4790 9.2): a-z map to A-Z, then
 * octets compare, so "[" (0x5B) and "_" (0x5F) come after "Z" (0x5A) and before nothing else of the
 * letters.
 */
class SortOrderTest {

    private static SortData msg(int seq, String subject, String address) {
        return new SortData(seq, seq, 0, 0, 0, subject, false, address, address, address, null, List.of());
    }

    private static List<Integer> sorted(String criteria, List<SortData> data) throws Exception {
        Comparator<SortData> order = Sort.criteria(new ArgReader(criteria.getBytes(StandardCharsets.US_ASCII)));
        List<SortData> copy = new ArrayList<>(data);
        copy.sort(order.thenComparingInt(SortData::seq));
        return copy.stream().map(SortData::seq).toList();
    }

    @Test
    void subjectsWithBracketAndUnderscoreSortAfterLetters() throws Exception {
        // BaseSubject hands over its subjects case-folded to lower case
        List<SortData> data = List.of(msg(1, "[xyz]", ""), msg(2, "_under", ""), msg(3, "abc", ""),
                msg(4, "zed", ""), msg(5, "0num", ""));
        assertEquals(List.of(5, 3, 4, 1, 2), sorted("(SUBJECT)", data));
        assertEquals(List.of(2, 1, 4, 3, 5), sorted("(REVERSE SUBJECT)", data));
    }

    @Test
    void addressKeysUseTheSameCollation() throws Exception {
        List<SortData> data = List.of(msg(1, "", "_x"), msg(2, "", "bob"), msg(3, "", "[a"), msg(4, "", "alice"));
        for (String key : List.of("FROM", "TO", "CC")) {
            assertEquals(List.of(4, 2, 3, 1), sorted("(" + key + ")", data), key);
        }
    }
}
