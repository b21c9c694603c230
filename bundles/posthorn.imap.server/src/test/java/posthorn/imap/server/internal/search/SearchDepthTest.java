package posthorn.imap.server.internal.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.IntFunction;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.MemoryStore;
import posthorn.imap.server.internal.mime.MimeCuts;
import posthorn.imap.server.internal.mime.MimeLimits;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.store.api.Mailbox;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * Issue 10, item 4: search keys nested past search.max.depth are refused (BAD) before the parser or
 * the matcher recurse into them, in every shape that nests (OR, NOT, parentheses, mixed); keys
 * nested up to the bound parse and evaluate. Table: shape, levels per repetition.
 */
class SearchDepthTest {
    /** List nesting as high as the line allows, so that parentheses meet the search bound first. */
    private static final int LISTS = 100_000;

    static String shape(String name, int n) {
        return switch (name) {
            case "OR" -> "OR ".repeat(n) + "SEEN ".repeat(n) + "ALL";
            case "NOT" -> "NOT ".repeat(n) + "ALL";
            case "parentheses" -> "(".repeat(n) + "ALL" + ")".repeat(n);
            case "OR NOT" -> "OR NOT ".repeat(n) + "ALL ".repeat(n) + "ALL";
            case "NOT (" -> "NOT (".repeat(n) + "ALL" + ")".repeat(n);
            case "OR in a list" -> "(OR SEEN ".repeat(n) + "ALL" + ")".repeat(n);
            default -> throw new IllegalArgumentException(name);
        };
    }

    static SearchKey parse(String keys, int maxDepth) throws ProtocolException {
        ArgReader r = new ArgReader(keys.getBytes(StandardCharsets.US_ASCII), LISTS);
        SearchKey k = new SearchParser(r, StandardCharsets.UTF_8, maxDepth).keys();
        r.end();
        return k;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"OR, 1", "NOT, 1", "parentheses, 1", "OR NOT, 2", "NOT (, 2", "OR in a list, 2"})
    void nestedToTheBoundIsEvaluated(String name, int levels) throws Exception {
        int max = SearchParser.DEFAULT_MAX_DEPTH;
        SearchKey k = parse(shape(name, max / levels), max);
        MemoryStore store = new MemoryStore();
        store.deliver("u", "Subject: one\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
        try (UserMail mail = store.open(new StoreUser("u", null, null, null)); Mailbox box = mail.open("INBOX", true);
             SelectedMailbox view = SelectedMailbox.open(box)) {
            List<Integer> seqs = new Matcher(view, k, new MimeCuts(MimeLimits.DEFAULTS)).matching();
            assertTrue(seqs.size() <= 1, name);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"OR, 1", "NOT, 1", "parentheses, 1", "OR NOT, 2", "NOT (, 2", "OR in a list, 2"})
    void oneLevelMoreIsRefused(String name, int levels) {
        for (int max : new int[] {1, 5, SearchParser.DEFAULT_MAX_DEPTH}) {
            String keys = shape(name, max / levels + 1);
            ProtocolException e = assertThrows(ProtocolException.class, () -> parse(keys, max), name);
            assertInstanceOf(SearchParser.TooDeepException.class, e, name);
            assertEquals("Search keys nested too deeply (more than " + max + " levels of OR, NOT and parentheses)",
                    e.getMessage());
        }
    }

    /** What the end-to-end test sends (e2e_hostile.py, deep_search_terms_answer_bad): refused at once. */
    @ParameterizedTest(name = "{0} x {1}")
    @CsvSource({"OR, 5000", "NOT, 16000", "parentheses, 5000", "OR NOT, 3000", "NOT (, 5000", "OR in a list, 5000"})
    void hostileDepthsAreRefusedAtOnce(String name, int n) {
        IntFunction<String> line = k -> shape(name, k);
        long t0 = System.nanoTime();
        assertThrows(SearchParser.TooDeepException.class, () -> parse(line.apply(n), SearchParser.DEFAULT_MAX_DEPTH));
        // with the session's list bound (nesting.max, 32 by default) parentheses stop there first
        ArgReader r = new ArgReader(line.apply(n).getBytes(StandardCharsets.US_ASCII), ArgReader.DEFAULT_MAX_NESTING);
        assertThrows(ProtocolException.class, () -> new SearchParser(r, StandardCharsets.UTF_8).keys());
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L, name);
    }
}
