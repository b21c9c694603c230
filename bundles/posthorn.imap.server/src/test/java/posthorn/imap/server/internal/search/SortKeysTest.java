package posthorn.imap.server.internal.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import posthorn.imap.server.internal.mime.MimePart;
import posthorn.store.api.MessageMeta;

/**
 * The {@link SortKeys} record: what goes in comes out, field by field and through the allocation-free
 * accessors SORT uses; and whatever bytes the store hands back (a damaged index, another version) are
 * either a whole valid record or {@linkplain SortKeys#valid not one}, never half read and never a crash.
 */
class SortKeysTest {

    static Stream<SortKeys> records() {
        return Stream.of(
                new SortKeys(0, 0, 0, false, "", "", "", "", "", "", null, List.of()),
                new SortKeys(1_700_000_000L, 1_700_000_100L, 4242, true, "hello world", "alice", "bob", "carol",
                        "Alice Example", "bob@example.org", "id1@example.org", List.of("a@x", "b@y", "c@z")),
                // extremes of the numbers: dates before 1970 and far ahead, a huge size
                new SortKeys(Long.MIN_VALUE, -1, Long.MAX_VALUE, false, "x", "", "", "", "", "", "", List.of("")),
                // non-ASCII in every string, 2-, 3- and 4-byte UTF-8
                new SortKeys(5, 6, 7, true, "grüße 日本 \uD83D\uDE00", "ü", "日", "\uD83D\uDE00", "Jörg", "山田",
                        "\u00e9@x", List.of("\u00e9")),
                // a string longer than one LEB128 byte (and than two) can say
                new SortKeys(1, 2, 3, false, "s".repeat(200), "f".repeat(20_000), "", "", "", "", null,
                        java.util.Collections.nCopies(300, "r@x")));
    }

    @ParameterizedTest
    @MethodSource("records")
    void roundTrips(SortKeys k) {
        byte[] rec = k.encode();
        assertEquals(SortKeys.VERSION, rec[0]);
        assertTrue(SortKeys.valid(rec));
        assertEquals(k, SortKeys.decode(rec));
        assertEquals(k.sent(), SortKeys.sent(rec));
        assertEquals(k.arrival(), SortKeys.arrival(rec));
        assertEquals(k.size(), SortKeys.size(rec));
        assertEquals(k.subject(), SortKeys.string(rec, SortKeys.SUBJECT));
        assertEquals(k.from(), SortKeys.string(rec, SortKeys.FROM));
        assertEquals(k.to(), SortKeys.string(rec, SortKeys.TO));
        assertEquals(k.cc(), SortKeys.string(rec, SortKeys.CC));
        assertEquals(k.displayFrom(), SortKeys.string(rec, SortKeys.DISPLAY_FROM));
        assertEquals(k.displayTo(), SortKeys.string(rec, SortKeys.DISPLAY_TO));
    }

    @ParameterizedTest
    @MethodSource("records")
    void everyTruncationIsInvalid(SortKeys k) {
        byte[] rec = k.encode();
        for (int n = 0; n < rec.length; n++) {
            byte[] cut = Arrays.copyOf(rec, n);
            assertFalse(SortKeys.valid(cut), "cut at " + n);
            assertNull(SortKeys.decode(cut));
        }
    }

    @ParameterizedTest
    @MethodSource("records")
    void trailingBytesAreInvalid(SortKeys k) {
        byte[] rec = k.encode();
        assertFalse(SortKeys.valid(Arrays.copyOf(rec, rec.length + 1)));
    }

    /** Hand-made records, each broken in one way (hex), and whether it is valid. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // version 1, flags 0, 24 zero bytes of numbers, six empty strings, no references: the smallest record
        "smallest|01 00 " + ZEROS + " 00 00 00 00 00 00 00|true",
        "null record|-|false",
        "empty|''|false",
        "version 2|02 00 " + ZEROS + " 00 00 00 00 00 00 00|false",
        "version 0|00 00 " + ZEROS + " 00 00 00 00 00 00 00|false",
        "unknown flag bit|01 04 " + ZEROS + " 00 00 00 00 00 00 00|false",
        "id flag but no id|01 02 " + ZEROS + " 00 00 00 00 00 00 00|false",
        "id flag with id|01 02 " + ZEROS + " 00 00 00 00 00 00 01 41 00|true",
        "string length past the end|01 00 " + ZEROS + " 05 41 00 00 00 00 00 00|false",
        "reference count past the end|01 00 " + ZEROS + " 00 00 00 00 00 00 02 00|false",
        "huge reference count|01 00 " + ZEROS + " 00 00 00 00 00 00 ff ff ff ff 0f|false",
        "six-byte varint|01 00 " + ZEROS + " 80 80 80 80 80 00 00 00 00 00 00 00|false",
        "redundant but short varint|01 00 " + ZEROS + " 80 00 00 00 00 00 00 00|true",
        "lone continuation byte|01 00 " + ZEROS + " 01 80 00 00 00 00 00 00|false",
        "overlong slash|01 00 " + ZEROS + " 02 c0 af 00 00 00 00 00 00|false",
        "overlong 3-byte|01 00 " + ZEROS + " 03 e0 80 af 00 00 00 00 00 00|false",
        "surrogate|01 00 " + ZEROS + " 03 ed a0 80 00 00 00 00 00 00|false",
        "above U+10FFFF|01 00 " + ZEROS + " 04 f4 90 80 80 00 00 00 00 00 00|false",
        "cut 2-byte sequence at the string's end|01 00 " + ZEROS + " 01 c3 01 a9 00 00 00 00 00|false",
        "2-byte sequence|01 00 " + ZEROS + " 02 c3 a9 00 00 00 00 00 00|true",
        "4-byte sequence|01 00 " + ZEROS + " 04 f0 9f 98 80 00 00 00 00 00 00|true",
    })
    void handMadeRecords(String what, String hex, boolean valid) {
        byte[] rec = hex.equals("-") ? null : parseHex(hex);
        assertEquals(valid, SortKeys.valid(rec), what);
        if (!valid) {
            assertNull(SortKeys.decode(rec), what);
        }
    }

    private static final String ZEROS = "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00";

    private static byte[] parseHex(String hex) {
        String[] p = hex.isBlank() ? new String[0] : hex.trim().split("\\s+");
        byte[] b = new byte[p.length];
        for (int i = 0; i < p.length; i++) {
            b[i] = (byte) Integer.parseInt(p[i], 16);
        }
        return b;
    }

    /** Random bytes and random damage to real records: valid or not, never an exception; valid decodes whole. */
    @Test
    void garbageNeverThrows() {
        Random r = new Random(14);
        List<byte[]> real = records().map(SortKeys::encode).filter(b -> b.length < 2000).toList();
        for (int i = 0; i < 50_000; i++) {
            byte[] b;
            if (i % 2 == 0) {
                b = new byte[r.nextInt(64)];
                r.nextBytes(b);
                if (b.length > 0 && r.nextBoolean()) {
                    b[0] = SortKeys.VERSION;
                }
                if (b.length > 1 && r.nextBoolean()) {
                    b[1] = (byte) r.nextInt(4);
                }
            } else {
                b = real.get(r.nextInt(real.size())).clone();
                for (int k = 1 + r.nextInt(3); k > 0; k--) {
                    b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                }
            }
            if (SortKeys.valid(b)) {
                SortKeys k = SortKeys.decode(b);
                // a valid record decodes to keys that encode to the same bytes, or to a shorter varint form
                assertEquals(k, SortKeys.decode(k.encode()));
                SortKeys.string(b, SortKeys.DISPLAY_TO);
            } else {
                assertNull(SortKeys.decode(b));
            }
        }
    }

    @Test
    void keysFromAHeader() {
        byte[] h = ("Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
                + "Subject: Re: [list] Fwd: The  Plan (fwd)\r\n"
                + "From: =?ISO-8859-1?Q?J=F6rg?= <JOERG@Example.org>\r\n"
                + "To: bob@example.org\r\n"
                + "Cc: team: a@x.org, b@y.org;\r\n"
                + "Message-ID: <m1@x>\r\n"
                + "In-Reply-To: <m0@x>\r\n"
                + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        MessageMeta meta = new MessageMeta(7, Set.of(), 999, Instant.ofEpochSecond(1_000), false);
        SortKeys k = SortKeys.of(meta, MimePart.parseHeader(h, h.length));
        assertEquals(1057049557L, k.sent());
        assertEquals(1_000, k.arrival());
        assertEquals(999, k.size());
        assertEquals("the plan", k.subject());
        assertTrue(k.reply());
        assertEquals("joerg", k.from());
        assertEquals("bob", k.to());
        assertEquals("team", k.cc());
        assertEquals("Jörg", k.displayFrom());
        assertEquals("bob@example.org", k.displayTo());
        assertEquals("m1@x", k.messageId());
        assertEquals(List.of("m0@x"), k.references());
        assertArrayEquals(k.encode(), SortKeys.decode(k.encode()).encode());
    }

    @Test
    void noDateFallsBackToArrivalAndNoAddressIsEmpty() {
        byte[] h = "Date: not a date\r\nSubject: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        MessageMeta meta = new MessageMeta(7, Set.of(), 1, Instant.ofEpochSecond(1234), false);
        SortKeys k = SortKeys.of(meta, MimePart.parseHeader(h, h.length));
        assertEquals(1234, k.sent());
        assertEquals("", k.from());
        assertEquals("", k.displayFrom());
        assertNull(k.messageId());
        assertEquals(List.of(), k.references());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "<a@b> <c@d>|a@b,c@d",
        "<a@b><c@d>|a@b,c@d",
        "junk <a b> <c@d>|c@d",
        "<<a@b>|a@b",
        "<>|''",
        "no brackets|''",
        "<a@b|''",
    })
    void messageIds(String value, String ids) {
        assertEquals(ids.isEmpty() ? List.of() : List.of(ids.split(",")), SortKeys.ids(value));
    }
}
