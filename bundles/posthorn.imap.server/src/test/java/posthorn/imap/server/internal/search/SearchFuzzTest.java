package posthorn.imap.server.internal.search;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.MemoryStore;
import posthorn.imap.server.internal.mime.HostileMessages;
import posthorn.imap.server.internal.mime.MimeCuts;
import posthorn.imap.server.internal.mime.MimeLimits;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.store.api.Mailbox;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * Coverage-guided fuzzing (Jazzer) of the search-key parser and the matcher, as SEARCH, SORT and
 * THREAD run them, over a small mailbox (a plain message, a multipart with an encoded text part and
 * an encapsulated message, a message nested past the MIME bounds). In the ordinary test run it
 * replays the seeds under src/test/resources (SearchFuzzTestInputs); `./posthorn test` fuzzes it for
 * a bounded time, `./posthorn fuzz [SECONDS]` for longer.
 *
 * <p>The input's first byte chooses the depth bound (1 to 8) and the list nesting bound (1 to 8),
 * the rest is the command's search keys. The properties: the parser ends in keys or a
 * {@link ProtocolException} (BAD), nothing else; keys that parse are nested no deeper than the bound;
 * the matcher answers every key that parses with ascending sequence numbers of the mailbox.
 */
class SearchFuzzTest {
    private static final SelectedMailbox VIEW = mailbox();

    @FuzzTest(maxDuration = "10s")
    void searchKeys(byte[] input) throws Exception {
        if (input.length == 0) {
            return;
        }
        int maxDepth = 1 + (input[0] & 7);
        int maxNesting = 1 + ((input[0] >> 3) & 7);
        ArgReader args = new ArgReader(Arrays.copyOfRange(input, 1, input.length), maxNesting);
        SearchKey key;
        try {
            key = new SearchParser(args, StandardCharsets.UTF_8, maxDepth).keys();
            args.end();
        } catch (ProtocolException e) {
            return; // BAD: fine
        }
        assertTrue(depth(key) <= maxDepth, "keys nested " + depth(key) + " deep, bound " + maxDepth);
        List<Integer> seqs = new Matcher(VIEW, key, new MimeCuts(MimeLimits.DEFAULTS)).matching();
        for (int i = 0; i < seqs.size(); i++) {
            assertTrue(seqs.get(i) >= 1 && seqs.get(i) <= VIEW.exists() && (i == 0 || seqs.get(i - 1) < seqs.get(i)),
                    "not ascending sequence numbers of the mailbox: " + seqs);
        }
    }

    /** Levels of OR and NOT: at most the levels the parser counted (it counts parentheses too). */
    static int depth(SearchKey k) {
        return switch (k) {
            case SearchKey.Not n -> 1 + depth(n.key());
            case SearchKey.Or o -> 1 + Math.max(depth(o.a()), depth(o.b()));
            case SearchKey.And a -> a.keys().stream().mapToInt(SearchFuzzTest::depth).max().orElse(0);
            default -> 0;
        };
    }

    private static SelectedMailbox mailbox() {
        MemoryStore store = new MemoryStore();
        store.deliver("fuzz", ("From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: Hello there\r\n"
                + "Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\nPlain words.\r\n").getBytes(StandardCharsets.US_ASCII));
        store.deliver("fuzz", ("From: =?UTF-8?Q?K=C3=B6ln?= <k@example.org>\r\nSubject: Re: parts\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe\r\n--b\r\n"
                + "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--b--\r\n")
                .getBytes(StandardCharsets.UTF_8));
        store.deliver("fuzz", HostileMessages.nestedMultiparts(120));
        try {
            UserMail mail = store.open(new StoreUser("fuzz", null, null, null));
            Mailbox box = mail.open("INBOX", true);
            return SelectedMailbox.open(box);
        } catch (StoreException e) {
            throw new AssertionError(e);
        }
    }
}
