package posthorn.imap.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ResponseWriterTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ResponseWriter w = new ResponseWriter(out);

    private String written() throws IOException {
        w.flush();
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private static String utf8AsBytes(String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    static Stream<Arguments> strings() {
        String k = "x".repeat(1000);
        return Stream.of(
                Arguments.of("", "\"\""),
                Arguments.of("hello world", "\"hello world\""),
                Arguments.of("a\"b\\c", "\"a\\\"b\\\\c\""),
                Arguments.of("tab\there", "\"tab\there\""),
                Arguments.of("NIL", "\"NIL\""),
                Arguments.of(k, "\"" + k + "\""),
                Arguments.of(k + "x", "{1001}\r\n" + k + "x"),
                Arguments.of("two\r\nlines", "{10}\r\ntwo\r\nlines"),
                Arguments.of("lf\n", "{3}\r\nlf\n"),
                Arguments.of("nul\0", "{4}\r\nnul\0"),
                Arguments.of("J\u00f6rg", "{5}\r\n" + utf8AsBytes("J\u00f6rg")));
    }

    @ParameterizedTest
    @MethodSource("strings")
    void string(String s, String expected) throws IOException {
        w.string(s);
        assertEquals(expected, written());
    }

    static Stream<Arguments> astrings() {
        return Stream.of(
                Arguments.of("INBOX", "INBOX"),
                Arguments.of("INBOX.Sent]", "INBOX.Sent]"),
                Arguments.of("&ZeVnLIqe-", "&ZeVnLIqe-"),
                Arguments.of("", "\"\""),
                Arguments.of("nil", "\"nil\""),
                Arguments.of("My Folder", "\"My Folder\""),
                Arguments.of("a%b", "\"a%b\""),
                Arguments.of("a*", "\"a*\""),
                Arguments.of("(x)", "\"(x)\""),
                Arguments.of("{x", "\"{x\""),
                Arguments.of("a\"b", "\"a\\\"b\""),
                Arguments.of("\u65e5", "{3}\r\n" + utf8AsBytes("\u65e5")));
    }

    @ParameterizedTest
    @MethodSource("astrings")
    void astring(String s, String expected) throws IOException {
        w.astring(s);
        assertEquals(expected, written());
    }

    static Stream<Arguments> statuses() {
        return Stream.of(
                Arguments.of("a002", Status.OK, null, "LOGIN completed", "a002 OK LOGIN completed\r\n"),
                Arguments.of(null, Status.OK, "UIDVALIDITY 3857529045", "UIDs valid",
                        "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"),
                Arguments.of("A142", Status.OK, "READ-WRITE", "SELECT completed",
                        "A142 OK [READ-WRITE] SELECT completed\r\n"),
                Arguments.of(null, Status.BYE, null, "Autologout; idle for too long",
                        "* BYE Autologout; idle for too long\r\n"),
                Arguments.of("a", Status.BAD, "TOOBIG", "Line\r\ntoo\nlong", "a BAD [TOOBIG] Line  too long\r\n"),
                Arguments.of(null, Status.OK, "CLOSED", null, "* OK [CLOSED]\r\n"),
                Arguments.of(null, Status.PREAUTH, null, "", "* PREAUTH\r\n"),
                Arguments.of("x", Status.NO, null, "No such mailbox", "x NO No such mailbox\r\n"));
    }

    @ParameterizedTest
    @MethodSource("statuses")
    void status(String tag, Status status, String code, String text, String expected) throws IOException {
        w.status(tag, status, code, text);
        assertEquals(expected, written());
    }

    @Test
    void fetchResponseFromPieces() throws IOException {
        w.untagged().number(12).sp().raw("FETCH").sp().open()
                .raw("FLAGS").sp().open().raw("\\Seen").close().sp()
                .raw("BODY[HEADER]").sp().literal("Subject: hi\r\n\r\n".getBytes(StandardCharsets.US_ASCII)).sp()
                .raw("ENVELOPE").sp().open().nstring("Mon, 7 Feb 1994").sp().nil().sp().nstring(null).close()
                .close().crlf();
        assertEquals("* 12 FETCH (FLAGS (\\Seen) BODY[HEADER] {15}\r\nSubject: hi\r\n\r\n"
                + " ENVELOPE (\"Mon, 7 Feb 1994\" NIL NIL))\r\n", written());
    }

    @Test
    void buffersUntilFlush() throws IOException {
        w.status("a", Status.OK, null, "done");
        assertEquals(0, out.size());
        w.flush();
        assertEquals("a OK done\r\n", out.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void continuationIsFlushed() throws IOException {
        w.untagged().raw("OK").crlf();
        w.continuation("Ready");
        assertEquals("* OK\r\n+ Ready\r\n", out.toString(StandardCharsets.US_ASCII));
        w.continuation("");
        assertEquals("* OK\r\n+ Ready\r\n+ \r\n", out.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void streamedLiteralLargerThanTheBuffer() throws IOException {
        byte[] data = new byte[100_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        w.raw("x ").literal(new ByteArrayInputStream(data), data.length).raw(" y");
        w.flush();
        byte[] got = out.toByteArray();
        byte[] head = "x {100000}\r\n".getBytes(StandardCharsets.US_ASCII);
        assertEquals(head.length + data.length + 2, got.length);
        assertEquals(new String(head, StandardCharsets.US_ASCII),
                new String(got, 0, head.length, StandardCharsets.US_ASCII));
        assertEquals(0, Arrays.compare(data, Arrays.copyOfRange(got, head.length, head.length + data.length)));
    }

    @Test
    void streamedLiteralStopsAtSize() throws IOException {
        w.literal(new ByteArrayInputStream("abcdef".getBytes(StandardCharsets.US_ASCII)), 3);
        assertEquals("{3}\r\nabc", written());
    }

    @Test
    void shortStreamFails() {
        assertThrows(IOException.class,
                () -> w.literal(new ByteArrayInputStream("ab".getBytes(StandardCharsets.US_ASCII)), 3));
    }

    @Test
    void largeByteLiteral() throws IOException {
        byte[] data = new byte[20_000];
        Arrays.fill(data, (byte) 'z');
        w.raw("* ").literal(data).crlf();
        assertEquals("* {20000}\r\n" + "z".repeat(20_000) + "\r\n", written());
    }

    @Test
    void binaryIsALiteral8OnlyWhenItHoldsNul() throws IOException {
        w.binary(new byte[] {'a', (byte) 0xFF, '\r', '\n'}).sp().binary(new byte[] {'a', 0, 'b'}).sp()
                .binary(new byte[0]);
        assertEquals("{4}\r\na\u00ff\r\n ~{3}\r\na\u0000b {0}\r\n",
                new String(flushed(), StandardCharsets.ISO_8859_1));
    }

    @Test
    void numbersAreWrittenAsDecimalDigits() throws IOException {
        for (long n : new long[] {0, 7, 10, 99, 4294967295L, Long.MAX_VALUE, -42}) {
            w.number(n).sp();
        }
        assertEquals("0 7 10 99 4294967295 " + Long.MAX_VALUE + " -42 ", written());
    }

    @Test
    void numbersAndTextAcrossTheBufferEdgeAreWhole() throws IOException {
        // Pieces that end exactly at, or straddle, the 8 KB buffer's edge.
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            w.number(1_000_000_007L + i).raw(i % 2 == 0 ? " x" : " ab ");
            expected.append(1_000_000_007L + i).append(i % 2 == 0 ? " x" : " ab ");
        }
        String big = "y".repeat(9000);
        w.raw(big);
        expected.append(big);
        assertEquals(expected.toString(), written());
    }

    @Test
    void rawTextBeyondAsciiIsUtf8() throws IOException {
        w.raw("a\u00e9b").sp().raw("\u20ac" + "z".repeat(9000));
        assertEquals(utf8AsBytes("a\u00e9b \u20ac" + "z".repeat(9000)), written());
    }

    @Test
    void holdingTellsWhetherAFlushIsDue() throws IOException {
        assertFalse(w.holding());
        w.raw("* OK").crlf();
        assertTrue(w.holding());
        w.flush();
        assertFalse(w.holding());
        // Written through to the stream because the buffer filled, but not flushed yet.
        w.literal(new byte[20_000]);
        assertTrue(w.holding());
        w.flush();
        assertFalse(w.holding());
    }

    private byte[] flushed() throws IOException {
        w.flush();
        return out.toByteArray();
    }
}
