package posthorn.imap.server.internal;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Table-driven command tests: each file under src/test/resources/transcripts is a conversation with
 * the server, run over a real socket against the in-memory store ({@link MemoryStore}).
 *
 * <pre>
 * # comment
 * !user NAME PASSWORD          add a user with an empty INBOX
 * !deliver NAME                deliver the message on the following lines, up to a line "."
 * !connect                     open a new connection (the first is opened before the first C:)
 * !session N                   go back to the Nth connection opened (1 is the first)
 * !imapd KEY=VALUE             an imapd.cfg setting for the whole transcript (read before the server starts)
 * C: text                      the client sends text + CRLF
 * S: regex                     the next line from the server matches regex (whole line, no CRLF);
 *                              a named group (?&lt;name&gt;...) keeps what it matched for later lines
 * </pre>
 * In C: lines, {@code ${name}} is replaced by what a named group matched before (a value the server
 * picks, such as UIDVALIDITY, that a later command must name).
 */
class TranscriptTest {

    static Stream<String> transcripts() throws IOException, URISyntaxException {
        Path dir = Path.of(TranscriptTest.class.getResource("/transcripts").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".imap")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transcripts")
    void conversation(String name, @TempDir Path root) throws Exception {
        List<String> lines;
        try (InputStream in = getClass().getResourceAsStream("/transcripts/" + name)) {
            assertNotNull(in, name);
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        Map<String, Object> imapd = new java.util.HashMap<>();
        for (String line : lines) {
            if (line.startsWith("!imapd ")) {
                String setting = line.substring(7);
                int eq = setting.indexOf('=');
                imapd.put(setting.substring(0, eq).trim(), setting.substring(eq + 1).trim());
            }
        }
        try (TestServer server = new TestServer(root, imapd)) {
            Connection c = null;
            List<Connection> open = new ArrayList<>();
            Map<String, String> captured = new java.util.HashMap<>();
            try {
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i);
                    String where = name + ":" + (i + 1);
                    if (line.isBlank() || line.startsWith("#") || line.startsWith("!imapd ")) {
                        continue;
                    }
                    if (line.startsWith("!user ")) {
                        String[] p = line.split(" ");
                        server.user(p[1], p[2]);
                    } else if (line.startsWith("!deliver ")) {
                        StringBuilder msg = new StringBuilder();
                        while (!lines.get(++i).equals(".")) {
                            msg.append(lines.get(i)).append('\n');
                        }
                        server.deliver(line.substring(9).trim(), msg.toString());
                    } else if (line.equals("!connect")) {
                        c = new Connection(server.port());
                        open.add(c);
                        c.expect("\\* OK .*", where);
                    } else if (line.startsWith("!session ")) {
                        // back to the Nth connection opened (1 is the first): conversations of two sessions
                        int n = Integer.parseInt(line.substring(9).trim());
                        assertTrue(n >= 1 && n <= open.size(), where + ": no session " + n);
                        c = open.get(n - 1);
                    } else if (line.startsWith("C: ")) {
                        if (c == null) {
                            c = new Connection(server.port());
                            open.add(c);
                            c.expect("\\* OK .*", where);
                        }
                        String text = line.substring(3);
                        for (Map.Entry<String, String> v : captured.entrySet()) {
                            text = text.replace("${" + v.getKey() + "}", v.getValue());
                        }
                        c.send(text);
                    } else if (line.startsWith("S: ")) {
                        assertNotNull(c, where + ": S: before any C:");
                        c.expect(line.substring(3), where, captured);
                    } else {
                        fail(where + ": cannot read transcript line: " + line);
                    }
                }
            } finally {
                for (Connection conn : open) {
                    conn.close();
                }
            }
        }
    }

    private static final class Connection implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        Connection(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(10_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
        }

        void send(String text) throws IOException {
            out.write((text + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        void expect(String regex, String where) throws IOException {
            expect(regex, where, new java.util.HashMap<>());
        }

        void expect(String regex, String where, Map<String, String> captured) throws IOException {
            String got = in.readLine();
            assertNotNull(got, where + ": connection closed; expected " + regex);
            java.util.regex.Matcher m = Pattern.compile(regex).matcher(got);
            assertTrue(m.matches(), where + ": expected /" + regex + "/ but the server said: " + got);
            java.util.regex.Matcher names = Pattern.compile("\\(\\?<([a-zA-Z][a-zA-Z0-9]*)>").matcher(regex);
            while (names.find()) {
                captured.put(names.group(1), m.group(names.group(1)));
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
