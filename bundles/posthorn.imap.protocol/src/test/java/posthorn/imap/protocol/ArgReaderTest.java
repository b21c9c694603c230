package posthorn.imap.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each case is a line, a script of reader calls separated by spaces, and the expected results joined
 * by "|" (or, for malformed input, the expected ProtocolException message). Script words: tag, sp,
 * atom, astring, mailbox, list, num, nz, seq, flags (flagList), storeflags (flags), fetch, string,
 * nstring, datetime, date, open, close, end. "sp" and "end" produce no result.
 */
class ArgReaderTest {

    static Stream<Arguments> valid() {
        return Stream.of(
                // RFC 3501 examples
                a("a002 LOGIN SMITH SESAME", "tag sp atom sp astring sp astring end", "a002|LOGIN|SMITH|SESAME"),
                a("A142 SELECT INBOX", "tag sp atom sp mailbox end", "A142|SELECT|INBOX"),
                a("A142 SELECT inbox", "tag sp atom sp mailbox end", "A142|SELECT|INBOX"),
                a("A142 SELECT \"InBox\"", "tag sp atom sp mailbox end", "A142|SELECT|INBOX"),
                a("a SELECT INBOX.Sent", "tag sp atom sp mailbox end", "a|SELECT|INBOX.Sent"),
                a("A003 APPEND saved-messages (\\Seen) {5}\r\nhello", "tag sp atom sp mailbox sp flags sp string end",
                        "A003|APPEND|saved-messages|[\\Seen]|hello"),
                a("A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man", "tag sp atom sp astring sp astring end",
                        "A001|LOGIN|FRED FOOBAR|fat man"),
                a("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])", "tag sp atom sp seq sp fetch end",
                        "A654|FETCH|2:4|FLAGS BODY[HEADER.FIELDS (DATE FROM)]"),
                a("a UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (From To Subject)]<0.2048>)",
                        "tag sp atom sp atom sp seq sp fetch end",
                        "a|UID|FETCH|1:*|UID FLAGS BODY.PEEK[HEADER.FIELDS (From To Subject)]<0.2048>"),
                a("A003 STORE 2:4 +FLAGS (\\Deleted)", "tag sp atom sp seq sp atom sp storeflags end",
                        "A003|STORE|2:4|+FLAGS|[\\Deleted]"),
                a("A003 STORE 2:4 +FLAGS.SILENT \\Deleted $Junk", "tag sp atom sp seq sp atom sp storeflags end",
                        "A003|STORE|2:4|+FLAGS.SILENT|[\\Deleted, $Junk]"),
                a("A682 LIST \"\" *", "tag sp atom sp mailbox sp list end", "A682|LIST||*"),
                a("A682 LIST ~/Mail/ %", "tag sp atom sp mailbox sp list end", "A682|LIST|~/Mail/|%"),
                a("a LIST \"\" foo/%/b*r]", "tag sp atom sp mailbox sp list end", "a|LIST||foo/%/b*r]"),
                a("a LIST \"\" \"*\"", "tag sp atom sp mailbox sp list end", "a|LIST||*"),
                a("a LOGIN ]x] \"p\\\"a\\\\ss\"", "tag sp atom sp astring sp astring end", "a|LOGIN|]x]|p\"a\\ss"),
                a("a LOGIN \"\" {0}\r\n", "tag sp atom sp astring sp astring end", "a|LOGIN||"),
                a("a LOGIN {3+}\r\nbob x", "tag sp atom sp astring sp astring end", "a|LOGIN|bob|x"),
                a("a LOGIN {3}\nbob x", "tag sp atom sp astring sp astring end", "a|LOGIN|bob|x"),
                a("a LOGIN \"j\u00f6rg\" {5}\r\nj\u00f6rg", "tag sp atom sp astring sp astring end",
                        "a|LOGIN|j\u00f6rg|j\u00f6rg"),
                a("a APPEND x ~{3}\r\n\0\1\2", "tag sp atom sp mailbox sp string end", "a|APPEND|x|\0\1\2"),
                a("a APPEND x \"17-Jul-1996 02:44:25 -0700\" {1}\r\nz",
                        "tag sp atom sp mailbox sp datetime sp string end",
                        "a|APPEND|x|1996-07-17T02:44:25-07:00|z"),
                a("a SEARCH SINCE 1-Feb-1994 BEFORE \"01-FEB-1995\"", "tag sp atom sp atom sp date sp atom sp date end",
                        "a|SEARCH|SINCE|1994-02-01|BEFORE|1995-02-01"),
                a("a X NIL \"NIL\"", "tag sp atom sp nstring sp nstring end", "a|X|null|NIL"),
                // numbers
                a("a 0 4294967295 1 007", "tag sp num sp num sp nz sp nz end", "a|0|4294967295|1|7"),
                // flags
                a("a ()", "tag sp flags end", "a|[]"),
                a("a (\\Seen \\ANSWERED $Forwarded foo)", "tag sp flags end", "a|[\\Seen, \\ANSWERED, $Forwarded, foo]"),
                a("a (\\Seen)", "tag sp storeflags end", "a|[\\Seen]"),
                // sequence sets
                a("a 1,3:5,7:*,*", "tag sp seq end", "a|1,3:5,7:*"),
                a("a $", "tag sp seq end", "a|$"),
                // fetch macros and items
                a("a ALL", "tag sp fetch end", "a|FLAGS INTERNALDATE RFC822.SIZE ENVELOPE"),
                a("a fast", "tag sp fetch end", "a|FLAGS INTERNALDATE RFC822.SIZE"),
                a("a FULL", "tag sp fetch end", "a|FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY"),
                a("a body[]", "tag sp fetch end", "a|BODY[]"),
                a("a BODY", "tag sp fetch end", "a|BODY"),
                a("a (uid rfc822 rfc822.header rfc822.text rfc822.size envelope bodystructure body internaldate)",
                        "tag sp fetch end",
                        "a|UID RFC822 RFC822.HEADER RFC822.TEXT RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY INTERNALDATE"),
                a("a BODY[1.2.3]", "tag sp fetch end", "a|BODY[1.2.3]"),
                a("a BODY[1.2.HEADER]", "tag sp fetch end", "a|BODY[1.2.HEADER]"),
                a("a BODY[3.mime]<0.100>", "tag sp fetch end", "a|BODY[3.MIME]<0.100>"),
                a("a BODY.PEEK[TEXT]<10.5>", "tag sp fetch end", "a|BODY.PEEK[TEXT]<10.5>"),
                a("a BODY[4.2.TEXT]", "tag sp fetch end", "a|BODY[4.2.TEXT]"),
                a("a BODY[HEADER.FIELDS.NOT (Received \"X-Odd(\" {4}\r\nX-Li)]", "tag sp fetch end",
                        "a|BODY[HEADER.FIELDS.NOT (Received \"X-Odd(\" X-Li)]"),
                // BINARY (RFC 3516)
                a("a (BINARY[] binary.peek[1.2]<0.100> BINARY.SIZE[3])", "tag sp fetch end",
                        "a|BINARY[] BINARY.PEEK[1.2]<0.100> BINARY.SIZE[3]"),
                a("a BINARY.PEEK[4]", "tag sp fetch end", "a|BINARY.PEEK[4]"),
                a("a APPEND x ~{3+}\r\nab\0", "tag sp atom sp mailbox sp string end", "a|APPEND|x|ab\0"),
                // lists a caller reads itself
                a("a (OR (SEEN) (DELETED))", "tag sp open atom sp open atom close sp open atom close close end",
                        "a|OR|SEEN|DELETED"));
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                a("", "tag", "Missing tag"),
                a("+a NOOP", "tag", "Invalid tag"),
                a("a  NOOP", "tag sp atom", "Expected atom"),
                a("a\tNOOP", "tag sp", "Expected SP"),
                a("a", "tag sp", "Missing argument"),
                a("a NOOP x", "tag sp atom end", "Unexpected arguments"),
                a("a (x)", "tag sp atom", "Expected atom"),
                a("a LOGIN (x)", "tag sp atom sp astring", "Expected string"),
                a("a LOGIN \"abc", "tag sp atom sp astring", "Unterminated quoted string"),
                a("a LOGIN \"a\\bc\"", "tag sp atom sp astring", "Invalid escape in quoted string"),
                a("a LOGIN \"a\rb\"", "tag sp atom sp astring", "Invalid character in quoted string"),
                a("a LOGIN {5}\r\nabc", "tag sp atom sp astring", "Literal size mismatch"),
                a("a LOGIN {5}abcde", "tag sp atom sp astring", "Expected CRLF after literal announcement"),
                a("a LOGIN {x}\r\nabc", "tag sp atom sp astring", "Invalid literal announcement"),
                a("a LOGIN {2}\r\n\u00c3(", "tag sp atom sp astring", "Invalid UTF-8 in string"),
                a("a LOGIN \"\u00ff\"", "tag sp atom sp astring", "Invalid UTF-8 in string"),
                a("a LIST \"\" a(b", "tag sp atom sp mailbox sp list end", "Unexpected arguments"),
                a("a 4294967296", "tag sp num", "Number out of range"),
                a("a 0", "tag sp nz", "Expected a non-zero number"),
                a("a x", "tag sp num", "Expected number"),
                a("a 1:0", "tag sp seq", "Invalid sequence number 0 in 1:0"),
                a("a 1,,2", "tag sp seq", "Invalid sequence set 1,,2"),
                a("a (", "tag sp seq", "Expected sequence set"),
                a("a \\Seen", "tag sp flags", "Expected flag list"),
                a("a (\\Seen", "tag sp flags", "Missing )"),
                a("a (\\Seen  foo)", "tag sp flags", "Invalid flag"),
                a("a (\\*)", "tag sp flags", "Invalid flag"),
                a("a (\\)", "tag sp flags", "Invalid flag"),
                a("a FOO", "tag sp fetch", "Unknown fetch attribute FOO"),
                a("a (FLAGS Foo)", "tag sp fetch", "Unknown fetch attribute Foo"),
                a("a ()", "tag sp fetch", "Expected fetch attribute"),
                a("a (ALL)", "tag sp fetch", "Unknown fetch attribute ALL"),
                a("a (FLAGS", "tag sp fetch", "Missing )"),
                a("a (FLAGS  UID)", "tag sp fetch", "Expected fetch attribute"),
                a("a BODY.PEEK", "tag sp fetch", "Expected [ after BODY.PEEK"),
                a("a BODY[MIME]", "tag sp fetch", "MIME needs a part number"),
                a("a BODY[1.FOO]", "tag sp fetch", "Unknown section FOO"),
                a("a BODY[0]", "tag sp fetch", "Expected a non-zero number"),
                a("a BODY[1.]", "tag sp fetch", "Invalid section"),
                a("a BODY[HEADER", "tag sp fetch", "Expected ] after section"),
                a("a BODY[HEADER.FIELDS]", "tag sp fetch", "Expected SP"),
                a("a BODY[HEADER.FIELDS ()]", "tag sp fetch", "Expected string"),
                a("a BODY[HEADER.FIELDS (\"a b\")]", "tag sp fetch", "Invalid header field name"),
                a("a BODY[HEADER.FIELDS FROM]", "tag sp fetch", "Expected header field list"),
                a("a BODY[]<0>", "tag sp fetch", "Expected . in partial"),
                a("a BODY[]<0.0>", "tag sp fetch", "Expected a non-zero number"),
                a("a BODY[]<0.1", "tag sp fetch", "Expected > after partial"),
                a("a BINARY", "tag sp fetch", "Expected [ after BINARY"),
                a("a BINARY.SIZE", "tag sp fetch", "Expected [ after BINARY.SIZE"),
                a("a BINARY[1.TEXT]", "tag sp fetch", "BINARY takes part numbers only"),
                a("a BINARY.PEEK[HEADER]", "tag sp fetch", "Expected number"),
                a("a BINARY[0]", "tag sp fetch", "Expected a non-zero number"),
                a("a BINARY[1", "tag sp fetch", "Expected ] after section"),
                a("a BINARY[1]<5>", "tag sp fetch", "Expected . in partial"),
                a("a x", "tag sp datetime", "Expected date-time"),
                a("a \"17-Jul-1996 02:44:25\"", "tag sp datetime", "Invalid date-time 17-Jul-1996 02:44:25"),
                a("a 31-Feb-1994", "tag sp date", "Invalid date 31-Feb-1994"),
                a("a x", "tag sp close", "Expected )"));
    }

    private static Arguments a(String line, String script, String expected) {
        return Arguments.of(line, script, expected);
    }

    @ParameterizedTest
    @MethodSource("valid")
    void parses(String line, String script, String expected) throws ProtocolException {
        assertEquals(expected, run(new ArgReader(bytes(line)), script));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void rejects(String line, String script, String message) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> run(new ArgReader(bytes(line)), script));
        assertEquals(message, e.getMessage());
    }

    /**
     * A literal the receiver streamed elsewhere (APPEND's message) is in the line without its bytes:
     * it is read as a streamed literal, by its number among the command's streamed ones.
     */
    @Test
    void streamedLiterals() throws ProtocolException {
        // a APPEND x {3}CRLF (streamed) SP {4+}CRLF (streamed): data offsets 16 and 23
        ArgReader r = new ArgReader(bytes("a APPEND x {3}\r\n {4+}\r\n"), 32, new int[] {16, 23});
        assertEquals("a", r.tag());
        r.sp();
        assertEquals("APPEND", r.atom());
        r.sp();
        assertEquals(-1, r.streamedLiteral(), "a mailbox name is not a streamed literal");
        assertEquals("x", r.mailbox());
        r.sp();
        assertEquals(0, r.streamedLiteral());
        r.sp();
        assertEquals(1, r.streamedLiteral());
        r.end();

        r = new ArgReader(bytes("a APPEND x ~{3}\r\n"), 32, new int[] {17});
        r.tag();
        r.sp();
        r.atom();
        r.sp();
        r.mailbox();
        r.sp();
        assertEquals(0, r.streamedLiteral(), "literal8");
        r.end();

        // literals held in the line are not streamed ones, and reading them as such consumes nothing
        r = new ArgReader(bytes("a APPEND {1}\r\nx {3}\r\nabc"), 32, new int[0]);
        r.tag();
        r.sp();
        r.atom();
        r.sp();
        assertEquals(-1, r.streamedLiteral());
        assertEquals("x", r.mailbox());
        r.sp();
        assertEquals(-1, r.streamedLiteral());
        assertEquals("abc", new String(r.stringBytes(), StandardCharsets.US_ASCII));
        r.end();
        r = new ArgReader(bytes("a \"quoted\""), 32, new int[0]);
        r.tag();
        r.sp();
        assertEquals(-1, r.streamedLiteral());
        assertEquals("quoted", r.astring());
    }

    /** A streamed literal where the command wants its bytes (a mailbox name, a search string): TOOBIG. */
    @Test
    void streamedLiteralWhereBytesAreNeeded() {
        ArgReader r = new ArgReader(bytes("a SELECT {300000}\r\n"), 32, new int[] {19});
        ProtocolException e = assertThrows(ProtocolException.class, () -> {
            r.tag();
            r.sp();
            r.atom();
            r.sp();
            r.mailbox();
        });
        assertEquals("TOOBIG", e.code());
        ArgReader s = new ArgReader(bytes("a APPEND x ~{300000}\r\n"), 32, new int[] {22});
        e = assertThrows(ProtocolException.class, () -> {
            s.tag();
            s.sp();
            s.atom();
            s.sp();
            s.mailbox();
            s.sp();
            s.stringBytes();
        });
        assertEquals("TOOBIG", e.code());
    }

    /** Lines framed by the receiver read the same as hand-written ones. */
    @ParameterizedTest
    @MethodSource("valid")
    void parsesWhatTheReceiverFrames(String line, String script, String expected) throws ProtocolException {
        if (line.endsWith("\r\n") || line.endsWith("\n")) {
            return; // a literal ending the line needs its own CRLF after it on the wire
        }
        String wire = new String(bytes(line), StandardCharsets.ISO_8859_1);
        List<String> events = CommandReceiverTest.run(wire + "\r\n", ParserLimits.DEFAULTS, false, 1);
        String last = events.get(events.size() - 1);
        assertTrue(last.startsWith("LINE:"), last);
        assertEquals(expected, run(new ArgReader(last.substring(5).getBytes(StandardCharsets.ISO_8859_1)), script));
    }

    private static byte[] bytes(String s) {
        // chars below 0x100 are taken as bytes, except that é, ö and ü stand for their UTF-8 form
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\u00f6' || c == '\u00e9' || c == '\u00fc') {
                sb.append(new String(String.valueOf(c).getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
            } else {
                sb.append(c);
            }
        }
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String run(ArgReader r, String script) throws ProtocolException {
        List<String> out = new ArrayList<>();
        for (String op : script.split(" ")) {
            switch (op) {
                case "tag" -> out.add(r.tag());
                case "sp" -> r.sp();
                case "atom" -> out.add(r.atom());
                case "astring" -> out.add(r.astring());
                case "mailbox" -> out.add(r.mailbox());
                case "list" -> out.add(r.listMailbox());
                case "num" -> out.add(Long.toString(r.number(false)));
                case "nz" -> out.add(Long.toString(r.number(true)));
                case "seq" -> out.add(r.sequenceSet().toString());
                case "flags" -> out.add(r.flagList().toString());
                case "storeflags" -> out.add(r.flags().toString());
                case "fetch" -> out.add(r.fetchAttributes().stream().map(ArgReaderTest::fetch)
                        .collect(Collectors.joining(" ")));
                case "string" -> out.add(new String(r.stringBytes(), StandardCharsets.ISO_8859_1));
                case "nstring" -> {
                    byte[] b = r.nstringBytes();
                    out.add(b == null ? "null" : new String(b, StandardCharsets.ISO_8859_1));
                }
                case "datetime" -> out.add(r.dateTime().toOffsetDateTime().toString());
                case "date" -> out.add(r.date().toString());
                case "open" -> r.listOpen();
                case "close" -> r.listClose();
                case "end" -> r.end();
                default -> throw new IllegalArgumentException(op);
            }
        }
        return String.join("|", out);
    }

    /** A fetch attribute as a client would write it. */
    static String fetch(FetchAttribute a) {
        return switch (a) {
            case FetchAttribute.Uid u -> "UID";
            case FetchAttribute.Flags f -> "FLAGS";
            case FetchAttribute.InternalDate d -> "INTERNALDATE";
            case FetchAttribute.Rfc822Size s -> "RFC822.SIZE";
            case FetchAttribute.Envelope e -> "ENVELOPE";
            case FetchAttribute.BodyStructure b -> b.extensible() ? "BODYSTRUCTURE" : "BODY";
            case FetchAttribute.Rfc822 r -> switch (r.kind()) {
                case ALL -> "RFC822";
                case HEADER -> "RFC822.HEADER";
                case TEXT -> "RFC822.TEXT";
                default -> throw new AssertionError(r);
            };
            case FetchAttribute.Body b -> (b.peek() ? "BODY.PEEK[" : "BODY[") + b.section().spec() + "]"
                    + (b.origin() < 0 ? "" : "<" + b.origin() + "." + b.length() + ">");
            case FetchAttribute.Binary b -> (b.peek() ? "BINARY.PEEK[" : "BINARY[") + b.spec() + "]"
                    + (b.origin() < 0 ? "" : "<" + b.origin() + "." + b.length() + ">");
            case FetchAttribute.BinarySize b -> "BINARY.SIZE[" + b.spec() + "]";
            case FetchAttribute.SaveDate d -> "SAVEDATE";
            case FetchAttribute.EmailId e -> "EMAILID";
            case FetchAttribute.ThreadId t -> "THREADID";
            case FetchAttribute.Preview p -> p.lazy() ? "PREVIEW (LAZY)" : "PREVIEW";
            case FetchAttribute.ModSeq m -> "MODSEQ";
        };
    }

    /** RFC 8514 SAVEDATE, RFC 8474 EMAILID/THREADID, RFC 8970 PREVIEW and its LAZY modifier (section 3.1's examples). */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
            "(SAVEDATE)|SAVEDATE",
            "(EMAILID THREADID)|EMAILID THREADID",
            "(UID PREVIEW)|UID PREVIEW",
            "(PREVIEW (LAZY))|PREVIEW (LAZY)",
            "(UID PREVIEW (lazy) FLAGS)|UID PREVIEW (LAZY) FLAGS",
            "PREVIEW|PREVIEW",
            "PREVIEW (LAZY)|PREVIEW (LAZY)",
    })
    void newerFetchItems(String wire, String parsed) throws ProtocolException {
        assertEquals(parsed, new ArgReader(bytes(wire)).fetchAttributes().stream().map(ArgReaderTest::fetch)
                .collect(Collectors.joining(" ")));
    }

    /** RFC 8970 3.1: an unknown PREVIEW modifier MUST be rejected (BAD). */
    @Test
    void unknownPreviewModifierIsBad() {
        org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class,
                () -> new ArgReader(bytes("(PREVIEW (FUZZY))")).fetchAttributes());
        org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class,
                () -> new ArgReader(bytes("(PREVIEW ())")).fetchAttributes().stream().toList());
    }

    @Test
    void fetchAttributesCarryTheirFields() throws ProtocolException {
        List<FetchAttribute> atts = new ArgReader(bytes("(BODY.PEEK[1.2.HEADER.FIELDS (From To)]<5.10> RFC822.HEADER)"))
                .fetchAttributes();
        FetchAttribute.Body body = (FetchAttribute.Body) atts.get(0);
        assertEquals(new Section(List.of(1, 2), Section.Kind.HEADER_FIELDS, List.of("From", "To")), body.section());
        assertTrue(body.peek());
        assertEquals(5, body.origin());
        assertEquals(10, body.length());
        assertFalse(body.setsSeen());
        assertFalse(atts.get(1).setsSeen());
        FetchAttribute.Body plain = (FetchAttribute.Body) new ArgReader(bytes("BODY[]")).fetchAttributes().get(0);
        assertEquals(-1, plain.origin());
        assertEquals(-1, plain.length());
        assertTrue(plain.setsSeen());
    }

    @Test
    void binaryAttributesCarryTheirFields() throws ProtocolException {
        List<FetchAttribute> atts = new ArgReader(bytes("(BINARY.PEEK[1.2]<5.10> BINARY[] BINARY.SIZE[3])"))
                .fetchAttributes();
        FetchAttribute.Binary peek = (FetchAttribute.Binary) atts.get(0);
        assertEquals(List.of(1, 2), peek.part());
        assertEquals("1.2", peek.spec());
        assertEquals(5, peek.origin());
        assertEquals(10, peek.length());
        assertFalse(peek.setsSeen());
        FetchAttribute.Binary whole = (FetchAttribute.Binary) atts.get(1);
        assertEquals(List.of(), whole.part());
        assertEquals(-1, whole.origin());
        assertTrue(whole.setsSeen());
        assertEquals(new FetchAttribute.BinarySize(List.of(3)), atts.get(2));
        assertFalse(atts.get(2).setsSeen());
    }

    /**
     * Issue 10, item 4: every reader that takes a parenthesised list answers a line of 60,000 "("
     * with a ProtocolException (BAD) at once; none recurses, so none can overflow the stack. Table:
     * what precedes the parentheses, and the reader.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"fetch attributes, ''", "fetch section header list, BODY[HEADER.FIELDS ", "flag list, ''",
        "store flags, ''", "lists entered one by one, ''"})
    void deepParenthesesAreRefusedAtOnce(String reader, String prefix) {
        byte[] line = bytes(prefix + "(".repeat(60_000) + "x" + ")".repeat(60_000));
        ArgReader r = new ArgReader(line);
        long t0 = System.nanoTime();
        ProtocolException e = assertThrows(ProtocolException.class, () -> {
            switch (reader) {
                case "fetch attributes", "fetch section header list" -> r.fetchAttributes();
                case "flag list" -> r.flagList();
                case "store flags" -> r.flags();
                default -> {
                    while (true) {
                        r.listOpen();
                    }
                }
            }
        });
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L, reader);
    }

    @Test
    void nestingIsLimited() throws ProtocolException {
        String deep = "(".repeat(33) + ")".repeat(33);
        ArgReader r = new ArgReader(bytes(deep));
        ProtocolException e = assertThrows(ProtocolException.class, () -> {
            while (true) {
                r.listOpen();
            }
        });
        assertEquals("Lists nested too deeply", e.getMessage());

        ArgReader shallow = new ArgReader(bytes("(((x)))"), 3);
        for (int i = 0; i < 3; i++) {
            shallow.listOpen();
        }
        assertEquals("x", shallow.atom());
        for (int i = 0; i < 3; i++) {
            shallow.listClose();
        }
        shallow.end();

        ArgReader tooShallow = new ArgReader(bytes("BODY[HEADER.FIELDS (A)]"), 0);
        assertEquals("Lists nested too deeply",
                assertThrows(ProtocolException.class, tooShallow::fetchAttributes).getMessage());
    }

    @Test
    void peekSkipAndAtEndDoNotOverrun() throws ProtocolException {
        ArgReader r = new ArgReader(bytes("a ("));
        assertFalse(r.atEnd());
        assertTrue(r.peek('a'));
        assertFalse(r.skip('b'));
        assertEquals("a", r.tag());
        assertTrue(r.skip(' '));
        assertTrue(r.skip('('));
        assertTrue(r.atEnd());
        assertFalse(r.peek('('));
        assertFalse(r.skip('('));
        r.end();
        assertNull(new ArgReader(bytes("nil")).nstringBytes());
        assertTrue(new ArgReader(bytes("NIL)")).peekKeyword("nil"));
        assertFalse(new ArgReader(bytes("NILS")).peekKeyword("NIL"));
    }
}
