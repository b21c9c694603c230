package posthorn.imap.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CommandReceiverTest {

    /** Small limits so the limit cases stay short: lines of 40 bytes, literals of 10. */
    private static final ParserLimits SMALL = new ParserLimits(40, 10, 4);

    private static final String APPEND_310 = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
            + "From: Fred Foobar <foobar@Blurdybloop.COM>\r\n"
            + "Subject: afternoon meeting\r\n"
            + "To: mooch@owatagu.siam.edu\r\n"
            + "Message-Id: <B27397-0100000@Blurdybloop.COM>\r\n"
            + "MIME-Version: 1.0\r\n"
            + "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
            + "\r\n"
            + "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

    /**
     * Input, limits, whether the server refuses synchronizing literals, and the expected events:
     * {@code LINE:text}, {@code LIT:tag:size:sync|nonsync}, {@code BIG:tag:fatal|ok}.
     */
    static Stream<Arguments> cases() {
        return Stream.of(
                // RFC 3501 examples
                c("a002 LOGIN SMITH SESAME\r\n", SMALL, false, "LINE:a002 LOGIN SMITH SESAME"),
                c("A142 SELECT INBOX\r\n", SMALL, false, "LINE:A142 SELECT INBOX"),
                c("A003 APPEND saved-messages (\\Seen) {310}\r\n" + APPEND_310 + "\r\n", ParserLimits.DEFAULTS, false,
                        "LIT:A003:310:sync", "LINE:A003 APPEND saved-messages (\\Seen) {310}\r\n" + APPEND_310),
                c("A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man\r\n", ParserLimits.DEFAULTS, false,
                        "LIT:A001:11:sync", "LIT:A001:7:sync", "LINE:A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man"),
                // framing
                c("a LOGIN x y\n", SMALL, false, "LINE:a LOGIN x y"),
                c("a NOOP\r\nb NOOP\nc NOOP\r\n", SMALL, false, "LINE:a NOOP", "LINE:b NOOP", "LINE:c NOOP"),
                c("\r\n", SMALL, false, "LINE:"),
                c("a X\rY\r\n", SMALL, false, "LINE:a X\rY"),
                c("a LOGIN bob pass}\r\n", SMALL, false, "LINE:a LOGIN bob pass}"),
                c("a NOOP\r\nb NO", SMALL, false, "LINE:a NOOP"),
                // literals
                c("a LOGIN {3+}\r\nbob {6+}\r\nsecret\r\n", SMALL, false,
                        "LIT:a:3:nonsync", "LIT:a:6:nonsync", "LINE:a LOGIN {3+}\r\nbob {6+}\r\nsecret"),
                c("a LOGIN {3}\nbob x\n", SMALL, false, "LIT:a:3:sync", "LINE:a LOGIN {3}\r\nbob x"),
                c("a X {3}\r\n{1}\r\nb NOOP\r\n", SMALL, false, "LIT:a:3:sync", "LINE:a X {3}\r\n{1}", "LINE:b NOOP"),
                c("a X {1}\r\n\r\r\n", SMALL, false, "LIT:a:1:sync", "LINE:a X {1}\r\n\r"),
                c("a X {2}\r\n\r\n\r\n", SMALL, false, "LIT:a:2:sync", "LINE:a X {2}\r\n\r\n"),
                c("a X {0}\r\n\r\n", SMALL, false, "LIT:a:0:sync", "LINE:a X {0}\r\n"),
                c("a APPEND x ~{3}\r\n\0\1\2\r\n", SMALL, false, "LIT:a:3:sync", "LINE:a APPEND x ~{3}\r\n\0\1\2"),
                c("+x NOOP {1}\r\nz\r\n", SMALL, false, "LIT:null:1:sync", "LINE:+x NOOP {1}\r\nz"),
                c("{1}\r\nz\r\n", SMALL, false, "LIT:null:1:sync", "LINE:{1}\r\nz"),
                c("a X {10}\r\n0123456789\r\n", SMALL, false, "LIT:a:10:sync", "LINE:a X {10}\r\n0123456789"),
                // refused synchronizing literal: the client does not send it
                c("a APPEND x {5}\r\nb NOOP\r\n", SMALL, true, "LIT:a:5:sync", "LINE:b NOOP"),
                // bad announcements are complete lines
                c("a X {abc}\r\nb NOOP\r\n", SMALL, false, "BIG:a:ok", "LINE:b NOOP"),
                c("a X {}\r\n", SMALL, false, "BIG:a:ok"),
                c("a X {+}\r\n", SMALL, false, "BIG:a:ok"),
                c("a X {5-}\r\n", SMALL, false, "BIG:a:ok"),
                c("a X {9999999999999999999}\r\n", SMALL, false, "BIG:a:ok"),
                // line limit: 40 bytes, literal contents and line ends not counted
                c("a NOOP " + "x".repeat(33) + "\r\n", SMALL, false, "LINE:a NOOP " + "x".repeat(33)),
                c("a NOOP " + "x".repeat(34) + "\r\nb NOOP\r\n", SMALL, false, "BIG:a:ok", "LINE:b NOOP"),
                c("a NOOP " + "x".repeat(33) + "\r\r\nb NOOP\r\n", SMALL, false, "BIG:a:ok", "LINE:b NOOP"),
                c("x".repeat(50) + "\r\nb NOOP\r\n", SMALL, false, "BIG:null:ok", "LINE:b NOOP"),
                c("a X {10}\r\n0123456789" + " y".repeat(16) + "\r\n", SMALL, false,
                        "LIT:a:10:sync", "LINE:a X {10}\r\n0123456789" + " y".repeat(16)),
                c("a X {10}\r\n0123456789" + " y".repeat(17) + "\r\nb NOOP\r\n", SMALL, false,
                        "LIT:a:10:sync", "BIG:a:ok", "LINE:b NOOP"),
                c("a X {2}\r\nab {2}\r\ncd" + "z".repeat(40) + "\r\nb NOOP\r\n", SMALL, false,
                        "LIT:a:2:sync", "LIT:a:2:sync", "BIG:a:ok", "LINE:b NOOP"),
                // an over-long line ending in a non-synchronizing literal: its bytes are skipped too
                c("a " + "x".repeat(40) + " {3+}\r\nabc more {2+}\r\nde\r\nb NOOP\r\n", SMALL, false,
                        "BIG:a:ok", "LINE:b NOOP"),
                c("a " + "x".repeat(34) + " {3+}\r\nabc\r\nb NOOP\r\n", SMALL, false, "BIG:a:ok", "LINE:b NOOP"),
                // ... or a synchronizing one: the client waits for the server's answer
                c("a " + "x".repeat(40) + " {3}\r\nb NOOP\r\n", SMALL, false, "BIG:a:ok", "LINE:b NOOP"),
                // literal limit
                c("a APPEND x {11}\r\nb NOOP\r\n", SMALL, false, "BIG:a:ok", "LINE:b NOOP"),
                c("a APPEND x {11+}\r\n01234567890 rest\r\nb NOOP\r\n", SMALL, false, "BIG:a:fatal", "LINE:b NOOP"),
                c("a APPEND x {12+}\r\n0123456789\r\n {3+}\r\nabc\r\nb NOOP\r\n", SMALL, false,
                        "BIG:a:fatal", "LINE:b NOOP"),
                c("a APPEND x {4294967296}\r\n", ParserLimits.DEFAULTS, false, "BIG:a:ok"));
    }

    private static Arguments c(String input, ParserLimits limits, boolean refuse, String... events) {
        return Arguments.of(input, limits, refuse, List.of(events));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void wholeInput(String input, ParserLimits limits, boolean refuse, List<String> expected) {
        assertEquals(expected, run(input, limits, refuse, Integer.MAX_VALUE));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void byteAtATime(String input, ParserLimits limits, boolean refuse, List<String> expected) {
        assertEquals(expected, run(input, limits, refuse, 1));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void threeBytesAtATime(String input, ParserLimits limits, boolean refuse, List<String> expected) {
        assertEquals(expected, run(input, limits, refuse, 3));
    }

    /** Feeds {@code input} in chunks of {@code chunk} bytes, as a session would, and lists the events. */
    static List<String> run(String input, ParserLimits limits, boolean refuse, int chunk) {
        byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
        CommandReceiver receiver = new CommandReceiver(limits);
        List<String> events = new ArrayList<>();
        for (int off = 0; off < bytes.length; off += chunk) {
            ByteBuffer in = ByteBuffer.wrap(bytes, off, Math.min(chunk, bytes.length - off));
            while (true) {
                CommandReceiver.Event e = receiver.receive(in);
                if (e instanceof CommandReceiver.Event.NeedMore) {
                    assertTrue(!in.hasRemaining(), "NeedMore with bytes left");
                    break;
                }
                events.add(describe(e));
                if (refuse && e instanceof CommandReceiver.Event.LiteralAnnounced a && !a.nonSynchronizing()) {
                    receiver.rejectLiteral();
                }
            }
        }
        return events;
    }

    private static String describe(CommandReceiver.Event e) {
        return switch (e) {
            case CommandReceiver.Event.Line l -> "LINE:" + new String(l.bytes(), StandardCharsets.ISO_8859_1);
            case CommandReceiver.Event.LiteralAnnounced a ->
                    "LIT:" + a.tag() + ":" + a.size() + ":" + (a.nonSynchronizing() ? "nonsync" : "sync");
            case CommandReceiver.Event.TooLarge t -> {
                assertTrue(!t.reason().isBlank());
                yield "BIG:" + t.tag() + ":" + (t.fatal() ? "fatal" : "ok");
            }
            case CommandReceiver.Event.LiteralData d -> throw new AssertionError("data of a literal nobody streamed");
            case CommandReceiver.Event.NeedMore n -> throw new AssertionError();
        };
    }

    /** Lines of 40 bytes as SMALL, literals up to 1000 bytes: room for literals worth streaming. */
    private static final ParserLimits STREAMING = new ParserLimits(40, 1000, 4);

    /** What the server decides after each literal announcement in {@link #decisions()}. */
    enum Decision {
        /** Every literal: its bytes come as {@code LiteralData}, not into the line. */
        STREAM,
        /** Non-synchronizing literals: read and dropped with the rest of the command. */
        DISCARD
    }

    /**
     * As {@link #cases()}, with the server streaming or discarding literals. Events as there, and
     * {@code DATA:bytes} (a streamed literal's bytes, consecutive pieces joined), and
     * {@code LINE:text@o1,o2} for a line whose literals at those offsets were streamed.
     */
    static Stream<Arguments> decisions() {
        return Stream.of(
                // a streamed literal's bytes arrive as data; the line keeps its announcement, without them
                d("a APPEND x {10}\r\n0123456789\r\nb NOOP\r\n", Decision.STREAM,
                        "LIT:a:10:sync", "DATA:0123456789", "LINE:a APPEND x {10}\r\n@17", "LINE:b NOOP"),
                d("a APPEND x {3}\r\nabc {4+}\r\ndefg\r\n", Decision.STREAM,
                        "LIT:a:3:sync", "DATA:abc", "LIT:a:4:nonsync", "DATA:defg", "LINE:a APPEND x {3}\r\n {4+}\r\n@16,23"),
                d("a APPEND x (\\Seen) {3}\r\nabc\r\n", Decision.STREAM,
                        "LIT:a:3:sync", "DATA:abc", "LINE:a APPEND x (\\Seen) {3}\r\n@24"),
                d("a APPEND x {0}\r\n\r\n", Decision.STREAM, "LIT:a:0:sync", "LINE:a APPEND x {0}\r\n@16"),
                d("a APPEND x {3}\nabc\n", Decision.STREAM, "LIT:a:3:sync", "DATA:abc", "LINE:a APPEND x {3}\r\n@16"),
                d("a APPEND x ~{3}\r\n\0\1\2\r\n", Decision.STREAM,
                        "LIT:a:3:sync", "DATA:\0\1\2", "LINE:a APPEND x ~{3}\r\n@17"),
                d("a APPEND x {5}\r\na\r\nb\n\r\n", Decision.STREAM, "LIT:a:5:sync", "DATA:a\r\nb\n", "LINE:a APPEND x {5}\r\n@16"),
                // limits hold around a streamed literal: the line's bytes still count, the literal's not
                d("a APPEND x {500}\r\n" + "z".repeat(500) + " " + "y".repeat(20) + "\r\n", Decision.STREAM,
                        "LIT:a:500:sync", "DATA:" + "z".repeat(500), "LINE:a APPEND x {500}\r\n " + "y".repeat(20) + "@18"),
                d("a APPEND x {3}\r\nabc" + " y".repeat(20) + "\r\nb NOOP\r\n", Decision.STREAM,
                        "LIT:a:3:sync", "DATA:abc", "BIG:a:ok", "LINE:b NOOP"),
                d("a APPEND x {1001}\r\nb NOOP\r\n", Decision.STREAM, "BIG:a:ok", "LINE:b NOOP"),
                // a dropped non-synchronizing literal takes the rest of its command with it, and nothing is reported
                d("a LOGIN {5+}\r\nabcde rest {2+}\r\nxy\r\nb NOOP\r\n", Decision.DISCARD,
                        "LIT:a:5:nonsync", "LINE:b NOOP"),
                d("a X {2+}\r\nab more {3}\r\nb NOOP\r\n", Decision.DISCARD, "LIT:a:2:nonsync", "LINE:b NOOP"),
                d("a X {2}\r\nab {2+}\r\ncd\r\nb NOOP\r\n", Decision.DISCARD,
                        "LIT:a:2:sync", "LIT:a:2:nonsync", "LINE:b NOOP"),
                d("a X {0+}\r\n\r\nb NOOP\r\n", Decision.DISCARD, "LIT:a:0:nonsync", "LINE:b NOOP"));
    }

    private static Arguments d(String input, Decision decision, String... events) {
        return Arguments.of(input, decision, List.of(events));
    }

    @ParameterizedTest
    @MethodSource("decisions")
    void decidedWholeInput(String input, Decision decision, List<String> expected) {
        assertEquals(expected, runDeciding(input, decision, Integer.MAX_VALUE));
    }

    @ParameterizedTest
    @MethodSource("decisions")
    void decidedByteAtATime(String input, Decision decision, List<String> expected) {
        assertEquals(expected, runDeciding(input, decision, 1));
    }

    @ParameterizedTest
    @MethodSource("decisions")
    void decidedThreeBytesAtATime(String input, Decision decision, List<String> expected) {
        assertEquals(expected, runDeciding(input, decision, 3));
    }

    private static List<String> runDeciding(String input, Decision decision, int chunk) {
        byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
        CommandReceiver receiver = new CommandReceiver(STREAMING);
        List<String> events = new ArrayList<>();
        for (int off = 0; off < bytes.length; off += chunk) {
            ByteBuffer in = ByteBuffer.wrap(bytes, off, Math.min(chunk, bytes.length - off));
            while (true) {
                CommandReceiver.Event e = receiver.receive(in);
                if (e instanceof CommandReceiver.Event.NeedMore) {
                    assertTrue(!in.hasRemaining(), "NeedMore with bytes left");
                    break;
                }
                if (e instanceof CommandReceiver.Event.LiteralData data) {
                    byte[] piece = new byte[data.bytes().remaining()];
                    data.bytes().get(piece);
                    assertTrue(piece.length > 0, "empty LiteralData");
                    String text = new String(piece, StandardCharsets.ISO_8859_1);
                    int last = events.size() - 1;
                    if (last >= 0 && events.get(last).startsWith("DATA:")) {
                        events.set(last, events.get(last) + text);
                    } else {
                        events.add("DATA:" + text);
                    }
                    continue;
                }
                if (e instanceof CommandReceiver.Event.Line line && line.streamed().length > 0) {
                    events.add(describe(e) + "@" + java.util.Arrays.stream(line.streamed())
                            .mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(",")));
                } else {
                    events.add(describe(e));
                }
                if (e instanceof CommandReceiver.Event.LiteralAnnounced a) {
                    if (decision == Decision.STREAM) {
                        receiver.streamLiteral();
                    } else if (a.nonSynchronizing()) {
                        receiver.discardLiteral();
                    }
                }
            }
        }
        return events;
    }

    @Test
    void streamLiteralOnlyRightAfterAnnouncement() {
        CommandReceiver r = new CommandReceiver(STREAMING);
        assertThrows(IllegalStateException.class, r::streamLiteral);
        ByteBuffer in = ByteBuffer.wrap("a APPEND x {3}\r\nab".getBytes(StandardCharsets.US_ASCII));
        assertInstanceOf(CommandReceiver.Event.LiteralAnnounced.class, r.receive(in));
        assertInstanceOf(CommandReceiver.Event.NeedMore.class, r.receive(in));
        assertThrows(IllegalStateException.class, r::streamLiteral, "bytes already arrived");
        r = new CommandReceiver(STREAMING);
        in = ByteBuffer.wrap("a APPEND x {3}\r\nab".getBytes(StandardCharsets.US_ASCII));
        assertInstanceOf(CommandReceiver.Event.LiteralAnnounced.class, r.receive(in));
        r.streamLiteral();
        assertThrows(IllegalStateException.class, r::streamLiteral, "decided already");
        assertThrows(IllegalStateException.class, r::rejectLiteral, "decided already");
    }

    @Test
    void discardLiteralOnlyAfterNonSynchronizingAnnouncement() {
        CommandReceiver r = new CommandReceiver(STREAMING);
        assertThrows(IllegalStateException.class, r::discardLiteral);
        ByteBuffer in = ByteBuffer.wrap("a X {3}\r\n".getBytes(StandardCharsets.US_ASCII));
        assertInstanceOf(CommandReceiver.Event.LiteralAnnounced.class, r.receive(in));
        assertThrows(IllegalStateException.class, r::discardLiteral, "synchronizing: reject it instead");
        r = new CommandReceiver(STREAMING);
        in = ByteBuffer.wrap("a X {3+}\r\nab".getBytes(StandardCharsets.US_ASCII));
        assertInstanceOf(CommandReceiver.Event.LiteralAnnounced.class, r.receive(in));
        assertInstanceOf(CommandReceiver.Event.NeedMore.class, r.receive(in));
        assertThrows(IllegalStateException.class, r::discardLiteral, "bytes already arrived");
    }

    @Test
    void announcementNamesTheCommand() {
        assertEquals("APPEND", announced("a append INBOX {3}\r\n").command());
        assertEquals("LOGIN", announced("a LOGIN {3}\r\n").command());
        assertEquals("APPEND", announced("a APPEND x {1}\r\nz {2}\r\n", 2).command(), "a later literal of the command");
        assertEquals(null, announced("{3}\r\n").command());
        assertEquals(null, announced("a {3}\r\n").command());
        assertEquals(null, announced("a AP\u00c4ND {3}\r\n").command());
        // UID names the command with its second word: only UID REPLACE's literal is a message
        assertEquals("UID REPLACE", announced("a uid replace 1 INBOX {3}\r\n").command());
        assertEquals("UID SEARCH", announced("a UID SEARCH TEXT {3}\r\n").command());
        assertEquals("UID SEARCH", announced("a UID SEARCH CHARSET {5}\r\nUTF-8 TEXT {2}\r\n", 2).command());
        assertEquals("UID", announced("a UID {3}\r\n").command(), "no second word");
        assertEquals("UID", announced("a UID F\u00c4TCH {3}\r\n").command(), "no second word of letters");
    }

    private static CommandReceiver.Event.LiteralAnnounced announced(String input) {
        return announced(input, 1);
    }

    /** The nth literal announcement in the input. */
    private static CommandReceiver.Event.LiteralAnnounced announced(String input, int nth) {
        CommandReceiver r = new CommandReceiver(STREAMING);
        ByteBuffer in = ByteBuffer.wrap(input.getBytes(StandardCharsets.ISO_8859_1));
        CommandReceiver.Event.LiteralAnnounced found = null;
        for (int i = 0; i < nth; i++) {
            CommandReceiver.Event e;
            do {
                e = r.receive(in);
            } while (!(e instanceof CommandReceiver.Event.LiteralAnnounced) && in.hasRemaining());
            found = assertInstanceOf(CommandReceiver.Event.LiteralAnnounced.class, e);
        }
        return found;
    }

    @Test
    void limitsChangeForTheNextCommand() {
        // before login the limit is small; after it the session raises it
        CommandReceiver r = new CommandReceiver(SMALL);
        ByteBuffer in = ByteBuffer.wrap("a LOGIN {11}\r\n".getBytes(StandardCharsets.US_ASCII));
        assertInstanceOf(CommandReceiver.Event.TooLarge.class, r.receive(in));
        r.limits(STREAMING);
        in = ByteBuffer.wrap("b APPEND x {11}\r\n".getBytes(StandardCharsets.US_ASCII));
        CommandReceiver.Event.LiteralAnnounced a = assertInstanceOf(CommandReceiver.Event.LiteralAnnounced.class, r.receive(in));
        assertEquals(11, a.size());
        r.limits(SMALL);
        r.rejectLiteral();
        in = ByteBuffer.wrap(("c NOOP " + "x".repeat(40) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        assertInstanceOf(CommandReceiver.Event.TooLarge.class, r.receive(in));
    }

    @Test
    void streamedLiteralIsNotBuffered() {
        // 10 MB streamed in 64 KiB reads: each read comes back as one slice of the read itself
        CommandReceiver r = new CommandReceiver(new ParserLimits(100, 20L << 20, 4));
        CommandReceiver.Event e = r.receive(ByteBuffer.wrap("a APPEND x {10485760}\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertInstanceOf(CommandReceiver.Event.LiteralAnnounced.class, e);
        r.streamLiteral();
        byte[] chunk = new byte[65536];
        long got = 0;
        for (int i = 0; i < 160; i++) {
            ByteBuffer in = ByteBuffer.wrap(chunk);
            CommandReceiver.Event.LiteralData data = assertInstanceOf(CommandReceiver.Event.LiteralData.class, r.receive(in));
            assertEquals(chunk.length, data.bytes().remaining());
            assertTrue(data.bytes().hasArray() && data.bytes().array() == chunk, "a view of the input, not a copy");
            got += data.bytes().remaining();
            assertInstanceOf(CommandReceiver.Event.NeedMore.class, r.receive(in));
        }
        assertEquals(10L << 20, got);
        CommandReceiver.Event.Line line = assertInstanceOf(CommandReceiver.Event.Line.class,
                r.receive(ByteBuffer.wrap("\r\n".getBytes(StandardCharsets.US_ASCII))));
        assertEquals("a APPEND x {10485760}\r\n", new String(line.bytes(), StandardCharsets.US_ASCII));
    }

    @Test
    void rejectLiteralOnlyAfterSynchronizingAnnouncement() {
        CommandReceiver r = new CommandReceiver(SMALL);
        assertThrows(IllegalStateException.class, r::rejectLiteral);
        ByteBuffer in = ByteBuffer.wrap("a X {3+}\r\nab".getBytes(StandardCharsets.US_ASCII));
        assertInstanceOf(CommandReceiver.Event.LiteralAnnounced.class, r.receive(in));
        assertThrows(IllegalStateException.class, r::rejectLiteral, "non-synchronizing");
        r = new CommandReceiver(SMALL);
        in = ByteBuffer.wrap("a X {3}\r\nab".getBytes(StandardCharsets.US_ASCII));
        assertInstanceOf(CommandReceiver.Event.LiteralAnnounced.class, r.receive(in));
        assertInstanceOf(CommandReceiver.Event.NeedMore.class, r.receive(in));
        assertThrows(IllegalStateException.class, r::rejectLiteral, "bytes already arrived");
    }

    @Test
    void emptyBufferNeedsMore() {
        CommandReceiver r = new CommandReceiver(SMALL);
        assertInstanceOf(CommandReceiver.Event.NeedMore.class, r.receive(ByteBuffer.allocate(0)));
    }

    @Test
    void eventStopsAtCommandEndAndLeavesTheRest() {
        CommandReceiver r = new CommandReceiver(SMALL);
        ByteBuffer in = ByteBuffer.wrap("a NOOP\r\nb NOOP\r\n".getBytes(StandardCharsets.US_ASCII));
        assertInstanceOf(CommandReceiver.Event.Line.class, r.receive(in));
        assertEquals(8, in.position());
    }

    @Test
    void longSkippedLineIsNotBuffered() {
        // 10 MB of one line with a 40-byte limit: skipped in constant memory and reported once
        CommandReceiver r = new CommandReceiver(SMALL);
        byte[] chunk = new byte[65536];
        java.util.Arrays.fill(chunk, (byte) 'x');
        chunk[1] = ' ';
        ByteBuffer first = ByteBuffer.wrap(chunk);
        assertInstanceOf(CommandReceiver.Event.NeedMore.class, r.receive(first));
        chunk[1] = 'x';
        for (int i = 0; i < 160; i++) {
            assertInstanceOf(CommandReceiver.Event.NeedMore.class, r.receive(ByteBuffer.wrap(chunk)));
        }
        CommandReceiver.Event e = r.receive(ByteBuffer.wrap("\r\n".getBytes(StandardCharsets.US_ASCII)));
        CommandReceiver.Event.TooLarge t = assertInstanceOf(CommandReceiver.Event.TooLarge.class, e);
        assertEquals("x", t.tag());
    }
}
