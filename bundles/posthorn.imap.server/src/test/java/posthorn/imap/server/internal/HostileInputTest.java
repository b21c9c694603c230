package posthorn.imap.server.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import posthorn.imap.server.internal.mime.HostileMessages;

/**
 * Issue 10, items 2 and 4, through a real session: a hostile message in the mailbox and hostile
 * search keys from the client get a tagged answer (OK for the message, BAD for the keys) in bounded
 * time, and the session goes on. The unit tests beside the code (MimeBoundsTest, SearchDepthTest)
 * check each parser; this checks that the session hands the settings over and survives.
 */
class HostileInputTest {
    private static final int TIMEOUT_MS = 20_000;

    @Test
    void hostileMessageIsSearchedAndFetched(@TempDir Path root) throws Exception {
        try (TestServer server = new TestServer(root, Map.of()).user("u", "p")) {
            server.store.deliver("u", HostileMessages.nestedPrefixBoundaries(20_000));
            server.store.deliver("u", HostileMessages.nestedMessages(20_000));
            server.store.deliver("u", HostileMessages.siblings(100_000));
            server.deliver("u", "Subject: plain\r\n\r\nThe word zanzibarquill is in here.\r\n");
            try (Client c = new Client(server.port())) {
                c.ok("l", "LOGIN u p");
                c.ok("s", "SELECT INBOX");
                for (String key : List.of("BODY", "TEXT")) {
                    List<String> r = c.ok("b", "SEARCH " + key + " zanzibarquill");
                    assertTrue(r.contains("* SEARCH 4"), r.toString());
                }
                c.ok("f", "FETCH 1:3 (BODYSTRUCTURE)");
                c.ok("g", "FETCH 1:3 (BODY.PEEK[1.1.1] BINARY.SIZE[2.1])");
                c.ok("t", "THREAD REFERENCES UTF-8 TEXT deepword");
                c.ok("n", "NOOP");
            }
        }
    }

    /** The e2e cases (e2e_hostile.py, deep_search_terms_answer_bad) and one level past the bound in each command. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "5000 nested OR, SEARCH, OR |5000, ALL |5000, ALL,",
        "16000 NOT, SEARCH, NOT |16000, , ALL,",
        "5000 parentheses, SEARCH, (|5000, , ALL, )|5000",
        "3000 OR NOT, SEARCH, OR NOT |3000, ALL |3000, ALL,",
        "101 OR, UID SEARCH, OR |101, ALL |101, ALL,",
        "101 NOT in SORT, SORT (DATE) UTF-8, NOT |101, , ALL,",
        "101 NOT in THREAD, THREAD REFERENCES UTF-8, NOT |101, , ALL,"})
    void deepSearchKeysAnswerBad(String what, String command, String head, String middle, String key, String close,
                                 @TempDir Path root) throws Exception {
        String keys = repeat(head) + repeat(middle) + key + repeat(close);
        try (TestServer server = new TestServer(root, Map.of()).user("u", "p")) {
            server.deliver("u", "Subject: one\r\n\r\nbody\r\n");
            try (Client c = new Client(server.port())) {
                c.ok("l", "LOGIN u p");
                c.ok("s", "SELECT INBOX");
                List<String> r = c.command("d", command + " " + keys);
                String last = r.getLast();
                assertTrue(last.startsWith("d BAD "), what + ": " + last);
                assertTrue(last.contains("nested too deeply"), what + ": " + last);
                c.ok("n", "NOOP");
            }
        }
    }

    /** "X |n" is X n times; anything else as it is. */
    private static String repeat(String spec) {
        if (spec == null) {
            return "";
        }
        int bar = spec.lastIndexOf('|');
        return bar < 0 ? spec : spec.substring(0, bar).repeat(Integer.parseInt(spec.substring(bar + 1)));
    }

    /** A client that reads responses with their literals. */
    private static final class Client implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Client(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(TIMEOUT_MS);
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            out = socket.getOutputStream();
            assertTrue(line().startsWith("* OK"));
        }

        List<String> ok(String tag, String command) throws IOException {
            List<String> r = command(tag, command);
            assertTrue(r.getLast().startsWith(tag + " OK"), command + ": " + r.getLast());
            return r;
        }

        /** The responses up to the tagged one; literals are left out of the lines. */
        List<String> command(String tag, String command) throws IOException {
            out.write((tag + " " + command + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            List<String> lines = new ArrayList<>();
            while (true) {
                String l = line();
                lines.add(l);
                if (l.startsWith(tag + " ")) {
                    return lines;
                }
            }
        }

        private String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                int c = in.read();
                assertNotEquals(-1, c);
                b.write(c);
                if (c == '\n') {
                    String s = b.toString(StandardCharsets.ISO_8859_1);
                    if (s.endsWith("}\r\n") && s.lastIndexOf('{') >= 0) {
                        in.skipNBytes(Long.parseLong(s.substring(s.lastIndexOf('{') + 1, s.length() - 3)));
                        b.reset();
                        b.writeBytes(s.substring(0, s.lastIndexOf('{')).getBytes(StandardCharsets.ISO_8859_1));
                        continue;
                    }
                    return s.substring(0, s.length() - 2);
                }
            }
        }

        private static void assertNotEquals(int unexpected, int actual) {
            assertTrue(actual != unexpected, "the server closed the connection");
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
