package posthorn.imap.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 9586 3: after ENABLE UIDONLY a command or search key with message sequence numbers is answered
 * BAD [UIDREQUIRED], and, as every refused input, with a log line naming the session and command.
 */
class UidOnlyRefusalLogTest {

    @Test
    void refusalsAreAnsweredAndLogged(@TempDir Path root) throws Exception {
        try (TestServer server = new TestServer(root, Map.of()); LogCapture log = new LogCapture()) {
            server.user("fred", "pw");
            server.deliver("fred", "Subject: m1\n\n1\n");
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(10_000);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                OutputStream out = s.getOutputStream();
                in.readLine();
                for (String c : new String[] {"a1 LOGIN fred pw", "a2 ENABLE UIDONLY", "a3 SELECT INBOX"}) {
                    assertTrue(tagged(in, out, c).contains(" OK "), c);
                }
                assertTrue(tagged(in, out, "a4 FETCH 1 (FLAGS)").startsWith("a4 BAD [UIDREQUIRED] "));
                assertTrue(tagged(in, out, "a5 UID SEARCH NOT 1").startsWith("a5 BAD [UIDREQUIRED] "));
                // the session goes on: the UID form works
                assertTrue(tagged(in, out, "a6 UID SEARCH ALL").startsWith("a6 OK "));
            }
            assertEquals(1, log.lines("BAD [UIDREQUIRED] FETCH after ENABLE UIDONLY").size(), log.lines().toString());
            assertEquals(1, log.lines("BAD UID SEARCH: Message sequence numbers are not allowed").size(),
                    log.lines().toString());
        }
    }

    /** Sends a command and returns its tagged answer. */
    private static String tagged(BufferedReader in, OutputStream out, String command) throws Exception {
        out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String tag = command.substring(0, command.indexOf(' ') + 1);
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.startsWith(tag)) {
                return line;
            }
        }
        throw new AssertionError("connection closed before the answer to " + command);
    }
}
