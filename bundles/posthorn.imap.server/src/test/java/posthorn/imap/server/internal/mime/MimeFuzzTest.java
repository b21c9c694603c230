package posthorn.imap.server.internal.mime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.FetchAttribute;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.server.internal.MemoryStore;
import posthorn.imap.server.internal.fetch.FetchRenderer;
import posthorn.imap.server.internal.search.TextScanner;
import posthorn.store.api.Mailbox;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * Coverage-guided fuzzing (Jazzer) of everything that parses a message: the structure parser
 * ({@link MimePart}), the BODYSTRUCTURE and ENVELOPE writer, the FETCH renderer with body sections
 * and BINARY, and SEARCH's text scan. In the ordinary test run it replays the seeds under
 * src/test/resources (MimeFuzzTestInputs); `./posthorn test` fuzzes it for a bounded time,
 * `./posthorn fuzz [SECONDS]` for longer.
 *
 * <p>The properties, whatever the bytes: no exception but the one BINARY may throw (an encoding the
 * server cannot undo); the tree stays within the limits (tight ones here, so that the bounds are
 * reached often) and within the message, each part inside its parent; BODY and BODYSTRUCTURE are
 * well-formed IMAP lists; the FETCH response is written whole.
 */
class MimeFuzzTest {
    /** Bounds small inputs reach often (the defaults are Dovecot's, checked by the fixtures). */
    private static final MimeLimits TIGHT = new MimeLimits(6, 40);
    private static final List<FetchAttribute> ITEMS = items(
            "(ENVELOPE BODYSTRUCTURE BODY RFC822.SIZE BODY.PEEK[HEADER] BODY.PEEK[1] BODY.PEEK[1.MIME] "
            + "BODY.PEEK[2.HEADER.FIELDS (FROM SUBJECT)] BODY.PEEK[1.2.TEXT] BODY.PEEK[2.1.1]<1.7>)");
    /** Items that decode a transfer encoding, which may be one the server does not know (NO [UNKNOWN-CTE]). */
    private static final List<FetchAttribute> BINARY = items("(BINARY.PEEK[1] BINARY.PEEK[2.1]<2.9> BINARY.SIZE[1.1])");

    @FuzzTest(maxDuration = "10s")
    void structure(byte[] m) throws Exception {
        MimePart root = MimePart.parse(m, TIGHT);
        int[] parts = new int[1];
        within(root, 0, m.length, 1, TIGHT, parts);
        assertTrue(parts[0] <= TIGHT.maxParts(), parts[0] + " parts");
        wellFormed(Structure.bodyStructure(m, root, true));
        wellFormed(Structure.bodyStructure(m, root, false));
        wellFormed(Structure.envelope(root.header()));
        for (List<Integer> path : List.of(List.<Integer>of(), List.of(1), List.of(2))) {
            try {
                // BINARY.SIZE is the length BINARY sends (RFC 3516 4.2), whatever the message
                byte[] bin = TransferDecoding.binarySection(m, root, path);
                assertEquals(bin == null ? -1 : bin.length, TransferDecoding.binarySize(m, root, path));
            } catch (TransferDecoding.UnknownCteException expected) {
                // NO [UNKNOWN-CTE]: fine
            }
        }
        TextScanner.scan(new ByteArrayInputStream(m), TIGHT, List.of(TextScanner.fold("a"), "--"), new boolean[2], List.of(TextScanner.fold("from")),
                new boolean[1]);
        MemoryStore store = new MemoryStore();
        store.deliver("fuzz", m);
        try (UserMail mail = store.open(new StoreUser("fuzz", null, null, null)); Mailbox box = mail.open("INBOX", true)) {
            box.sync();
            fetch(box, ITEMS);
            try {
                fetch(box, BINARY);
            } catch (TransferDecoding.UnknownCteException expected) {
                // NO [UNKNOWN-CTE]: fine
            }
        }
    }

    /** Every part within its parent's bytes and the limits; counts the parts. */
    private static void within(MimePart p, int from, int to, int level, MimeLimits limits, int[] parts) {
        parts[0]++;
        assertTrue(level <= limits.maxDepth(), "level " + level);
        assertTrue(from <= p.headerStart() && p.headerStart() <= p.bodyStart() && p.bodyStart() <= p.end() && p.end() <= to,
                "part outside its parent");
        if (p.opaque()) {
            assertTrue(p.children().isEmpty() && p.message() == null, "an opaque part has no parts");
        }
        if (p.message() != null) {
            within(p.message(), p.bodyStart(), p.end(), level + 1, limits, parts);
        }
        for (MimePart c : p.children()) {
            within(c, p.bodyStart(), p.end(), level + 1, limits, parts);
        }
    }

    private static void fetch(Mailbox box, List<FetchAttribute> items) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ResponseWriter w = new ResponseWriter(bytes);
        assertTrue(FetchRenderer.write(w, box, 1, box.messages().get(0), false, items, new MimeCuts(TIGHT)));
        w.flush();
        String r = bytes.toString(StandardCharsets.ISO_8859_1);
        assertTrue(r.startsWith("* 1 FETCH (") && r.endsWith(")\r\n"), "a FETCH response written whole");
    }

    private static List<FetchAttribute> items(String text) {
        try {
            return new ArgReader(text.getBytes(StandardCharsets.US_ASCII)).fetchAttributes();
        } catch (ProtocolException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Checks that {@code b} is one parenthesised list of IMAP values (RFC 3501 9: NIL, numbers,
     * quoted strings, literals, lists), and nothing after it.
     */
    static void wellFormed(byte[] b) {
        int[] pos = {0};
        value(b, pos);
        assertEquals(b.length, pos[0], "bytes after the list");
        assertEquals('(', b[0], "not a list");
    }

    private static void value(byte[] b, int[] pos) {
        assertTrue(pos[0] < b.length, "missing value");
        byte c = b[pos[0]];
        if (c == '(') {
            pos[0]++;
            boolean first = true;
            while (pos[0] < b.length && b[pos[0]] != ')') {
                // SP between items, but for the bodies of a multipart: "((...)(...) "mixed")"
                if (!first && !(b[pos[0] - 1] == ')' && b[pos[0]] == '(')) {
                    assertEquals(' ', b[pos[0]++], "SP between list items");
                }
                first = false;
                value(b, pos);
            }
            assertTrue(pos[0] < b.length, "unclosed list");
            pos[0]++;
        } else if (c == '"') {
            pos[0]++;
            while (true) {
                assertTrue(pos[0] < b.length, "unclosed quoted string");
                byte q = b[pos[0]++];
                assertTrue(q != '\r' && q != '\n' && q != 0, "CR, LF or NUL in a quoted string");
                if (q == '\\') {
                    assertTrue(pos[0] < b.length && (b[pos[0]] == '"' || b[pos[0]] == '\\'), "bad escape");
                    pos[0]++;
                } else if (q == '"') {
                    return;
                }
            }
        } else if (c == '{') {
            int close = pos[0] + 1;
            while (close < b.length && b[close] >= '0' && b[close] <= '9') {
                close++;
            }
            assertTrue(close < b.length - 2 && b[close] == '}' && b[close + 1] == '\r' && b[close + 2] == '\n', "literal");
            int n = Integer.parseInt(new String(b, pos[0] + 1, close - pos[0] - 1, StandardCharsets.US_ASCII));
            pos[0] = close + 3 + n;
            assertTrue(pos[0] <= b.length, "literal longer than the data");
        } else if (c >= '0' && c <= '9') {
            while (pos[0] < b.length && b[pos[0]] >= '0' && b[pos[0]] <= '9') {
                pos[0]++;
            }
        } else if (b.length - pos[0] >= 3 && b[pos[0]] == 'N' && b[pos[0] + 1] == 'I' && b[pos[0] + 2] == 'L') {
            pos[0] += 3;
        } else {
            fail("unexpected byte " + c + " at " + pos[0]);
        }
    }
}
