package posthorn.imap.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SequenceSetTest {

    private static final long STAR = Long.MAX_VALUE;

    static Stream<Arguments> canonical() {
        return Stream.of(
                Arguments.of("1", "1"),
                Arguments.of("*", "*"),
                Arguments.of("1,3:5,7:*,*", "1,3:5,7:*"),
                Arguments.of("5:3", "3:5"),
                Arguments.of("*:4", "4:*"),
                Arguments.of("3,1,2", "1:3"),
                Arguments.of("1:3,2:6,8,9,11:10", "1:6,8:11"),
                Arguments.of("2,4:7,9,12:*", "2,4:7,9,12:*"),
                Arguments.of("3:*,10", "10,3:*"),
                Arguments.of("*,5:*", "5:*"),
                Arguments.of("4294967295", "4294967295"),
                Arguments.of("$", "$"));
    }

    @ParameterizedTest
    @MethodSource("canonical")
    void canonicalText(String text, String expected) throws ProtocolException {
        SequenceSet set = SequenceSet.parse(text);
        assertEquals(expected, set.toString());
        assertEquals(set, SequenceSet.parse(expected));
        assertEquals(set.hashCode(), SequenceSet.parse(expected).hashCode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0", "1:0", "0:*", ",1", "1,", "1,,2", "1::2", "a", "1:a", "-1", "4294967296",
            "99999999999", "$,1", "1:$", "**", " 1", "1 "})
    void rejects(String text) {
        assertThrows(ProtocolException.class, () -> SequenceSet.parse(text));
    }

    static Stream<Arguments> membership() {
        return Stream.of(
                // set, max, members among 1..10
                Arguments.of("2,4:7,9,12:*", 15L, List.of(2L, 4L, 5L, 6L, 7L, 9L)),
                Arguments.of("2,4:7,9,12:*", 8L, List.of(2L, 4L, 5L, 6L, 7L, 8L, 9L, 10L)),
                Arguments.of("*", 5L, List.of(5L)),
                Arguments.of("1:*", 3L, List.of(1L, 2L, 3L)),
                // RFC 3501 6.4.8: "n:*" with n above the largest UID still names the largest
                Arguments.of("20:*", 6L, List.of(6L, 7L, 8L, 9L, 10L)),
                Arguments.of("7:5", 10L, List.of(5L, 6L, 7L)),
                Arguments.of("3,1", 10L, List.of(1L, 3L)));
    }

    @ParameterizedTest
    @MethodSource("membership")
    void contains(String text, long max, List<Long> members) throws ProtocolException {
        SequenceSet set = SequenceSet.parse(text);
        for (long n = 1; n <= 10; n++) {
            assertEquals(members.contains(n), set.contains(n, max), text + " contains " + n + " (max " + max + ")");
        }
    }

    @Test
    void rangesAsWritten() throws ProtocolException {
        assertEquals(List.of(new SequenceSet.Range(5, 9), new SequenceSet.Range(1, 1), new SequenceSet.Range(3, STAR),
                new SequenceSet.Range(STAR, STAR)), SequenceSet.parse("9:5,1,*:3,*").ranges());
    }

    @Test
    void resolveReplacesStar() throws ProtocolException {
        assertEquals(List.of(new SequenceSet.Range(1, 1), new SequenceSet.Range(3, 8)),
                SequenceSet.parse("1,3:*,5").resolve(8));
        assertEquals(List.of(new SequenceSet.Range(4, 10)), SequenceSet.parse("10:*").resolve(4));
        assertEquals(List.of(new SequenceSet.Range(2, 2)), SequenceSet.parse("2,*").resolve(0));
    }

    @Test
    void savedResult() throws ProtocolException {
        SequenceSet saved = SequenceSet.parse("$");
        assertTrue(saved.isSaved());
        assertEquals(SequenceSet.saved(), saved);
        assertEquals(List.of(), saved.ranges());
        assertThrows(IllegalStateException.class, () -> saved.contains(1, 1));
        assertFalse(SequenceSet.parse("1").isSaved());
    }

    @Test
    void factories() throws ProtocolException {
        assertEquals("1:3,7,9:10", SequenceSet.ofNumbers(9, 1, 2, 3, 7, 10).toString());
        assertEquals("1:3,7,9:10", SequenceSet.ofNumbers(9, 1, 2, 3, 7, 10).ranges().stream()
                .map(r -> r.first() == r.last() ? "" + r.first() : r.first() + ":" + r.last())
                .reduce((a, b) -> a + "," + b).orElseThrow());
        assertEquals(SequenceSet.parse("2:4"), SequenceSet.of(List.of(new SequenceSet.Range(4, 2))));
        assertThrows(IllegalArgumentException.class, () -> SequenceSet.ofNumbers());
        assertThrows(IllegalArgumentException.class, () -> SequenceSet.ofNumbers(0));
        assertNotEquals(SequenceSet.parse("1"), SequenceSet.parse("2"));
        assertNotEquals(SequenceSet.parse("5:*"), SequenceSet.parse("5:10"));
    }
}
