package posthorn.imap.server.internal.mime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.server.internal.MemoryStore;
import posthorn.imap.server.internal.fetch.FetchRenderer;
import posthorn.imap.server.internal.search.TextScanner;
import posthorn.store.api.Mailbox;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * Issue 10, item 2: hostile messages through every path that parses a message -- the structure
 * (FETCH BODYSTRUCTURE, BODY, sections, BINARY) and the text scan (SEARCH BODY, TEXT) -- answer
 * within a bound of time and stack, with the structure cut where {@link MimeLimits} says.
 */
class MimeBoundsTest {
    /** Generous for a loaded 2-core machine; the figures measured are far below. */
    private static final long SECONDS = 10;

    static Stream<Arguments> hostile() {
        return Stream.of(
                Arguments.of("20,000 nested multiparts", HostileMessages.nestedMultiparts(20_000)),
                Arguments.of("20,000 nested multiparts, prefix boundaries", HostileMessages.nestedPrefixBoundaries(20_000)),
                Arguments.of("20,000 nested message/rfc822", HostileMessages.nestedMessages(20_000)),
                Arguments.of("100,000 sibling parts", HostileMessages.siblings(100_000)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void structureIsBounded(String what, byte[] m) {
        MimePart root = timed(what + " parse", () -> MimePart.parse(m));
        assertTrue(depth(root) <= MimeLimits.DEFAULTS.maxDepth(), what + ": " + depth(root) + " levels");
        assertTrue(count(root) <= MimeLimits.DEFAULTS.maxParts(), what + ": " + count(root) + " parts");
        byte[] bs = timed(what + " BODYSTRUCTURE", () -> Structure.bodyStructure(m, root, true));
        assertTrue(bs.length > 0 && bs.length < 2 * m.length + 1000, what);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void textScanIsBounded(String what, byte[] m) {
        boolean[] body = new boolean[2];
        boolean[] text = new boolean[1];
        timed(what + " SEARCH", () -> {
            return TextScanner.scan(new ByteArrayInputStream(m), MimeLimits.DEFAULTS, List.of(TextScanner.fold("shallowword"), TextScanner.fold("deepword")),
                    body, List.of(TextScanner.fold("mallory")), text);
        });
        assertTrue(text[0], what + ": the header is searched");
        assertTrue(body[0] || what.contains("prefix") || what.contains("rfc822"), what + ": text within the bounds is searched");
        assertFalse(body[1], what + ": text beyond the bounds is not searched");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void fetchIsBounded(String what, byte[] m) throws Exception {
        MemoryStore store = new MemoryStore();
        store.deliver("u", m);
        String deepPath = String.join(".", Collections.nCopies(30_000, "1"));
        try (UserMail mail = store.open(new StoreUser("u", null, null, null)); Mailbox box = mail.open("INBOX", true)) {
            box.sync();
            for (String items : List.of("BODYSTRUCTURE", "BODY", "(ENVELOPE BODY.PEEK[1.1.1])", "BINARY.PEEK[1.1.1]",
                    "BINARY.SIZE[2.2.2]", "BODY.PEEK[" + deepPath + "]", "BODY.PEEK[" + deepPath + ".MIME]")) {
                String response = timed(what + " FETCH " + items.substring(0, Math.min(40, items.length())),
                        () -> fetch(box, items));
                assertTrue(response.startsWith("* 1 FETCH ("), what + " " + items);
            }
        }
    }

    /** The maxDepth-th level is reached, and a container there is opaque. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void cutWhereTheBoundsSay(String what, byte[] m) {
        MimePart root = MimePart.parse(m);
        if (what.startsWith("100,000")) {
            // Dovecot's rule: the 10,000th part (the message counts) takes the rest of its multipart
            assertEquals(MimeLimits.DEFAULTS.maxParts() - 1, root.children().size());
            MimePart last = root.children().getLast();
            String rest = new String(m, last.bodyStart(), last.end() - last.bodyStart(), StandardCharsets.US_ASCII);
            assertTrue(rest.startsWith("part 9999\r\n--s\r\n") && rest.contains("deepword 100000\r\n--s--"), rest.substring(0, 40));
            assertEquals(root.end(), last.end());
            return;
        }
        if (what.contains("prefix")) {
            return; // a bushy tree: "--b1" starts "--b10" too (Dovecot reads it so as well)
        }
        assertEquals(MimeLimits.DEFAULTS.maxDepth(), depth(root), what);
        MimePart deepest = deepest(root);
        assertTrue(deepest.opaque(), what);
        assertTrue(deepest.type().equalsIgnoreCase(what.contains("rfc822") ? "message" : "multipart"), what);
        String bs = new String(Structure.bodyStructure(m, root, true), StandardCharsets.ISO_8859_1);
        assertTrue(bs.contains("(\"application\" \"octet-stream\" "), what);
    }

    /** BODYSTRUCTURE is cached per bounds: a changed setting never serves a structure cut at the old one. */
    @Test
    void cachedStructureFollowsTheLimits() throws Exception {
        MemoryStore store = new MemoryStore();
        store.deliver("u", DovecotFixturesTest.resource("deepnest.eml"));
        try (UserMail mail = store.open(new StoreUser("u", null, null, null)); Mailbox box = mail.open("INBOX", true)) {
            box.sync();
            MimeLimits three = new MimeLimits(3, 10_000);
            String dovecots = fetch(box, "BODYSTRUCTURE", MimeLimits.DEFAULTS);
            String shallow = fetch(box, "BODYSTRUCTURE", three);
            // level 3 of 3: the multipart with boundary lv002 is opaque, after its sibling "words at level 2"
            assertTrue(shallow.contains("\"7bit\" 16 0 NIL NIL NIL NIL)(\"application\" \"octet-stream\" (\"boundary\" \"lv002\")"),
                    shallow);
            assertTrue(dovecots.contains("(\"application\" \"octet-stream\" (\"boundary\" \"lv099\")"), dovecots);
            assertEquals(dovecots, fetch(box, "BODYSTRUCTURE", MimeLimits.DEFAULTS));
            assertEquals(shallow, fetch(box, "BODYSTRUCTURE", three));
        }
    }

    @Test
    void oneLogLineNamesTheMessagesCut() {
        MimeCuts cuts = new MimeCuts(MimeLimits.DEFAULTS);
        assertEquals(null, cuts.summary());
        cuts.note(7, null);
        assertEquals(null, cuts.summary());
        for (long uid = 20; uid > 5; uid--) {
            cuts.note(uid, uid % 2 == 0 ? "more than 100 levels" : "more than 10000 parts");
        }
        assertEquals("UIDs 6,7,8,9,10,11,12,13,14,15 and 5 more: MIME structure with more than 100 levels or more than "
                + "10000 parts (mime.max.depth=100, mime.max.parts=10000); the rest is read as one opaque part",
                cuts.summary());
    }

    static int depth(MimePart p) {
        int d = 0;
        for (MimePart c : parts(p)) {
            d = Math.max(d, depth(c));
        }
        return d + 1;
    }

    static int count(MimePart p) {
        int n = 1;
        for (MimePart c : parts(p)) {
            n += count(c);
        }
        return n;
    }

    private static MimePart deepest(MimePart p) {
        MimePart best = p;
        int bestDepth = 0;
        List<MimePart> level = List.of(p);
        for (int d = 0; !level.isEmpty(); d++) {
            List<MimePart> next = new ArrayList<>();
            for (MimePart x : level) {
                next.addAll(parts(x));
                if (d > bestDepth || (d == bestDepth && x.opaque())) {
                    best = x;
                    bestDepth = d;
                }
            }
            level = next;
        }
        return best;
    }

    private static List<MimePart> parts(MimePart p) {
        return p.message() != null ? List.of(p.message()) : p.children();
    }

    private static String fetch(Mailbox box, String items) throws Exception {
        return fetch(box, items, MimeLimits.DEFAULTS);
    }

    private static String fetch(Mailbox box, String items, MimeLimits limits) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ResponseWriter w = new ResponseWriter(bytes);
        FetchRenderer.write(w, box, 1, box.messages().get(0), false,
                new ArgReader(items.getBytes(StandardCharsets.US_ASCII)).fetchAttributes(), new MimeCuts(limits));
        w.flush();
        return bytes.toString(StandardCharsets.ISO_8859_1);
    }

    interface Step<T> {
        T run() throws Exception;
    }

    /** Runs a step, which must end within {@link #SECONDS} without a StackOverflowError. */
    static <T> T timed(String what, Step<T> step) {
        long t0 = System.nanoTime();
        T result;
        try {
            result = step.run();
        } catch (StackOverflowError e) {
            throw new AssertionError(what + ": stack overflow");
        } catch (Exception e) {
            throw new AssertionError(what + ": " + e, e);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < SECONDS * 1000, what + " took " + ms + " ms");
        if (Boolean.getBoolean("posthorn.timings")) {
            System.out.println(what + ": " + ms + " ms");
        }
        return result;
    }
}
