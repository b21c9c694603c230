package posthorn.imap.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The access rules at the listener, over real sockets: the whole of 127/8 is loopback, so a client
 * can come from 127.0.0.2, 127.0.0.3... and meet a different rule each. A denied client is closed
 * before the greeting; an allowed one is greeted; a rule's settings apply to its clients; a changed
 * file takes effect for new connections without touching open ones, and a bad one is refused.
 */
class AccessRulesServerTest {

    /** A client from the given loopback source address. */
    private static Socket from(String source, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        s.setSoTimeout(5000);
        return s;
    }

    /** The first line the server sends, or null if it closes the connection without a word. */
    private static String firstLine(Socket s) throws IOException {
        return reader(s).readLine();
    }

    private static BufferedReader reader(Socket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
    }

    private static String greeting(String source, int port) throws IOException {
        try (Socket s = from(source, port)) {
            return firstLine(s);
        }
    }

    @Test
    void aDeniedClientGetsNoGreetingAndOneLogLine(@TempDir Path root) throws Exception {
        Path rules = root.resolve("rules");
        Files.writeString(rules, "127.0.0.2:deny\n127.:allow,RELAYCLIENT=\"\",TCPREMOTEHOST=\"x\"\n:deny\n");
        try (LogCapture log = new LogCapture(); TestServer t = new TestServer(root, Map.of("rules", rules.toString()))) {
            int port = t.port();
            List<String> ignored = log.lines("settings Posthorn does not read");
            assertEquals(1, ignored.size(), log.lines().toString());
            assertTrue(ignored.get(0).endsWith("ignored: RELAYCLIENT, TCPREMOTEHOST"), ignored.get(0));
            assertNull(greeting("127.0.0.2", port), "denied: closed before the greeting");
            String denied = log.lines("denied by rule").get(0);
            assertTrue(denied.contains("refused 127.0.0.2:") && denied.contains("\"127.0.0.2:deny\"")
                    && denied.contains(rules + " (text)"), denied);
            assertTrue(greeting("127.0.0.1", port).startsWith("* OK "));
            assertTrue(greeting("127.0.0.3", port).startsWith("* OK "));
        }
    }

    @Test
    void aFloodOfDeniedConnectionsMakesAFewLines(@TempDir Path root) throws Exception {
        Path rules = root.resolve("rules");
        Files.writeString(rules, ":deny\n");
        try (TestServer t = new TestServer(root, Map.of("rules", rules.toString(), "log.repeat.max", 3,
                "log.repeat.window", 60)); LogCapture log = new LogCapture()) {
            for (int i = 0; i < 20; i++) {
                assertNull(greeting("127.0.0.9", t.port()));
            }
            assertEquals(3, log.lines("denied by rule").size(), log.lines().toString());
        }
    }

    @Test
    void aCdbFromTcprulesIsReadAsItIs(@TempDir Path root) throws Exception {
        Path cdb = root.resolve("imap.cdb");
        Files.write(cdb, posthorn.imap.server.internal.net.CdbTestAccess.cdb(List.of(
                new String[] {"127.0.0.2", "D\0"}, new String[] {"127.", ""}, new String[] {"", "D\0"})));
        try (TestServer t = new TestServer(root, Map.of("rules", cdb.toString())); LogCapture log = new LogCapture()) {
            assertNull(greeting("127.0.0.2", t.port()));
            assertTrue(greeting("127.0.0.5", t.port()).startsWith("* OK "));
            assertEquals(cdb + " (cdb)", t.server.rules().source());

            // a cdb cut short (a copy that did not finish): refused with the reason, the rules stay
            byte[] whole = Files.readAllBytes(cdb);
            Files.write(cdb, java.util.Arrays.copyOf(whole, whole.length - 5));
            assertTrue(t.server.reloadRules().refused());
            List<String> refused = log.lines(" refused: "); // the watchdog's look may have come first
            assertTrue(refused.size() == 1 || refused.size() == 2, log.lines().toString());
            for (String line : refused) {
                assertTrue(line.contains(cdb + ": not a cdb tcprules wrote: table ")
                        && line.endsWith("the previous rules stay in force"), line);
            }
            assertNull(greeting("127.0.0.2", t.port()), "the previous rules are in force");
            assertTrue(greeting("127.0.0.5", t.port()).startsWith("* OK "));
        }
    }

    @Test
    void aRuleSettingsApplyToItsClients(@TempDir Path root) throws Exception {
        Path rules = root.resolve("rules");
        Files.writeString(rules, String.join("\n",
                "127.0.0.3:allow,max.per.ip=\"1\"",
                "127.0.0.1:allow,allow.plaintext=\"false\"",
                "127.0.0.5:allow,allow.plaintext=\"true\"",
                "127.0.1.:allow,max.connections=\"2\"",
                ":deny", ""));
        try (TestServer t = new TestServer(root, Map.of("rules", rules.toString(), "max.per.ip", 20))) {
            int port = t.port();
            try (Socket first = from("127.0.0.3", port)) {
                assertTrue(firstLine(first).startsWith("* OK "));
                assertEquals("* BYE Too many connections from your address", greeting("127.0.0.3", port),
                        "the rule's max.per.ip, not imapd.cfg's");
            }
            try (Socket a = from("127.0.1.1", port); Socket b = from("127.0.1.2", port)) {
                assertTrue(firstLine(a).startsWith("* OK "));
                assertTrue(firstLine(b).startsWith("* OK "));
                assertEquals("* BYE Too many connections from your network", greeting("127.0.1.3", port),
                        "the rule's max.connections counts all its clients");
            }
            // trusted.networks has 127.0.0.1, but its rule says no; 127.0.0.5 is not trusted, but its rule says yes
            assertTrue(greeting("127.0.0.1", port).contains("LOGINDISABLED"));
            assertFalse(greeting("127.0.0.5", port).contains("LOGINDISABLED"));
        }
    }

    @Test
    void aChangedFileTakesEffectForNewConnectionsAndOpenSessionsStay(@TempDir Path root) throws Exception {
        Path rules = root.resolve("rules");
        Files.writeString(rules, "127.:allow\n");
        try (TestServer t = new TestServer(root, Map.of("rules", rules.toString())); LogCapture log = new LogCapture();
             Socket open = from("127.0.0.7", t.port())) {
            BufferedReader in = reader(open);
            assertTrue(in.readLine().startsWith("* OK "));
            // the watchdog looks at the file every second: no reload asked for
            Files.writeString(rules, "127.0.0.7:deny\n127.:allow\n# longer now\n");
            long deadline = System.currentTimeMillis() + 10_000;
            while (greeting("127.0.0.7", t.port()) != null) {
                assertTrue(System.currentTimeMillis() < deadline, "the changed file was not read");
                Thread.sleep(100);
            }
            OutputStream out = open.getOutputStream();
            out.write("a NOOP\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertEquals("a OK NOOP completed", in.readLine(), "the open session is not touched");
            assertEquals(1, log.lines("rules: " + rules + ": 2 rules from").size(), log.lines().toString());

            // a bad edit: refused in one line naming the file and the line; the rules stay
            Files.writeString(rules, "127.0.0.7:allow\n127.:allow,max.per.ip=\"many\"\n");
            assertFalse(t.server.reloadRules().changed());
            // the reload's line; the watchdog's look may have refused the new file just before it
            List<String> refused = log.lines(" refused: ");
            assertTrue(refused.size() == 1 || refused.size() == 2, log.lines().toString());
            for (String line : refused) {
                assertTrue(line.contains("rules: " + rules + " refused: " + rules + " line 2: max.per.ip=\"many\"")
                        && line.endsWith("the previous rules stay in force"), line);
            }
            assertNull(greeting("127.0.0.7", t.port()), "the previous rules are in force");
            Thread.sleep(2500);
            assertEquals(refused.size(), log.lines(" refused: ").size(), "refused once per change, not at every look");

            // a forced reload reads a good file at once
            Files.writeString(rules, "127.:allow\n");
            assertTrue(t.server.reloadRules().changed());
            assertTrue(greeting("127.0.0.7", t.port()).startsWith("* OK "));
        }
    }
}
