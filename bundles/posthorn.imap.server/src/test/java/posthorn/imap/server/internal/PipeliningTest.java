package posthorn.imap.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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

/**
 * Pipelining (RFC 3501 5.5) over a real socket: the session runs the commands a client has already
 * sent before it flushes their responses, and must still answer each in order, hold EXPUNGE back
 * while a command that uses sequence numbers completes (RFC 3501 7.4.1), and flush before it waits
 * for the rest of a command whose start came in the same read.
 */
class PipeliningTest {
    @TempDir
    Path root;

    private static final class Client implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Client(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(20_000);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
            assertTrue(line().startsWith("* OK"));
        }

        void send(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new IOException("connection closed; read so far: " + b.toString(StandardCharsets.US_ASCII));
                }
                if (c != '\r') {
                    b.write(c);
                }
            }
            return b.toString(StandardCharsets.US_ASCII);
        }

        /** Every line up to and including the tagged answer to {@code tag}. */
        List<String> until(String tag) throws IOException {
            List<String> lines = new ArrayList<>();
            while (true) {
                String l = line();
                lines.add(l);
                if (l.startsWith(tag + " ")) {
                    return lines;
                }
            }
        }

        void command(String tag, String command) throws IOException {
            send(tag + " " + command + "\r\n");
            String last = until(tag).getLast();
            assertTrue(last.startsWith(tag + " OK"), last);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private TestServer server(int messages) throws IOException {
        TestServer t = new TestServer(root, Map.of()).user("alice", "secret");
        for (int i = 1; i <= messages; i++) {
            t.deliver("alice", "Subject: m" + i + "\r\n\r\nBody " + i + "\r\n");
        }
        return t;
    }

    private static Client selected(TestServer t) throws IOException {
        Client c = new Client(t.port());
        c.command("l", "LOGIN alice secret");
        c.command("s", "SELECT INBOX");
        return c;
    }

    @Test
    void manyCommandsInOneWriteAreAnsweredInOrder() throws Exception {
        try (TestServer t = server(20); Client c = selected(t)) {
            StringBuilder batch = new StringBuilder();
            int n = 300;
            for (int i = 1; i <= n; i++) {
                int m = 1 + i % 20;
                batch.append("p").append(i).append(switch (i % 5) {
                    case 0 -> " UID FETCH " + m + " (FLAGS)";
                    case 1 -> " UID FETCH " + m + " (BODY.PEEK[])";
                    case 2 -> " UID STORE " + m + " +FLAGS (\\Seen)";
                    case 3 -> " UID STORE " + m + " -FLAGS (\\Seen)";
                    default -> " NOOP";
                }).append("\r\n");
            }
            c.send(batch.toString());
            List<String> tagged = new ArrayList<>();
            int fetches = 0;
            while (tagged.size() < n) {
                String l = c.line();
                if (l.startsWith("p")) {
                    tagged.add(l);
                } else if (l.matches("\\* \\d+ FETCH \\(.*")) {
                    fetches++;
                }
            }
            for (int i = 1; i <= n; i++) {
                assertTrue(tagged.get(i - 1).startsWith("p" + i + " OK "), "answer " + i + ": " + tagged.get(i - 1));
            }
            // Every UID FETCH and every UID STORE that changed the flags answers with a FETCH.
            assertTrue(fetches >= n * 2 / 5, "FETCH responses: " + fetches);
            c.command("z", "NOOP");
        }
    }

    @Test
    void theStartOfACommandLeftInTheBufferDoesNotHoldBackTheAnswersBeforeIt() throws Exception {
        try (TestServer t = server(3); Client c = selected(t)) {
            // One write: a whole command and the first half of the next. The first must be answered
            // before the client sends the rest, as a client that waits for it would.
            c.send("a1 UID FETCH 1:* (FLAGS)\r\na2 UID FETCH 2 (FL");
            List<String> first = c.until("a1");
            assertEquals("a1 OK UID FETCH completed", first.getLast());
            assertEquals(4, first.size(), first.toString());
            c.send("AGS)\r\n");
            assertEquals("a2 OK UID FETCH completed", c.until("a2").getLast());
        }
    }

    @Test
    void anExpungeWaitsForTheEndOfPipelinedCommandsThatUseSequenceNumbers() throws Exception {
        try (TestServer t = server(4); Client a = selected(t); Client b = selected(t)) {
            b.command("b1", "UID STORE 1 +FLAGS.SILENT (\\Deleted)");
            b.command("b2", "EXPUNGE");
            // a still sees four messages. In one write: FETCH, STORE and SEARCH by number, during
            // which no EXPUNGE may be sent, then UID FETCH, after which it may (RFC 3501 7.4.1).
            a.send("a1 FETCH 1:4 (UID)\r\na2 STORE 2 +FLAGS (\\Flagged)\r\na3 SEARCH ALL\r\n"
                    + "a4 UID FETCH 1:* (FLAGS)\r\na5 NOOP\r\n");
            List<String> lines = a.until("a5");
            int expunge = lines.indexOf("* 1 EXPUNGE");
            assertTrue(expunge >= 0, lines.toString());
            assertEquals(1, lines.stream().filter(l -> l.endsWith(" EXPUNGE")).count(), lines.toString());
            assertTrue(expunge > index(lines, "a3 OK"), lines.toString());
            assertTrue(expunge < index(lines, "a4 OK"), lines.toString());
            // The FETCH by number answered message 1 (expunged, held back) with what is known of it.
            assertTrue(lines.contains("* 1 FETCH (UID 1)"), lines.toString());
        }
    }

    private static int index(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        assertNotNull(null, "no line starting " + prefix + " in " + lines);
        return -1;
    }
}
