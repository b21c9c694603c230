package posthorn.imap.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.imap.server.internal.auth.AuthChain;
import posthorn.imap.server.internal.net.ImapdConfig;

/**
 * The component around the listeners: a configuration is taken whole or refused whole, a port that
 * cannot be had at start ends the process, one that cannot be had later leaves the old listener, and
 * refused connections make a few log lines, not one each.
 */
class ImapServerTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** The greeting a new connection gets on the port. */
    private static String greeting(int port) throws IOException {
        try (Socket s = new Socket(LOOPBACK, port)) {
            s.setSoTimeout(5000);
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }

    /** A bad value of each type no key accepts (see ImapdSettingsTest). */
    private static Object badValue(Class<?> type) {
        return type == boolean.class ? "maybe" : type == String.class || type == String[].class ? "bad\u0001value" : "lots";
    }

    @Test
    void aBadValueForAnyKeyIsRefusedInOneLineAndTheServerKeepsListening(@TempDir Path root) throws Exception {
        // one greeting per key, each session ending on its own thread after the client closes: under
        // load they can outlast the next greetings, so the per-address limit leaves room for every key
        Map<String, Object> base = Map.of("port", 0, "tls.port", 0, "max.per.ip", 1000);
        try (TestServer t = new TestServer(root, base); LogCapture log = new LogCapture()) {
            ImapdConfig good = t.server.config();
            int port = t.port();
            List<String> keys = new ArrayList<>();
            for (Method m : ImapdConfig.class.getDeclaredMethods()) {
                if (m.getDefaultValue() == null) {
                    continue;
                }
                String key = m.getName().replace('_', '.');
                Map<String, Object> change = new HashMap<>(base);
                change.put(key, badValue(m.getReturnType()));
                int before = log.lines().size();
                t.server.modified(change);
                // the server's own lines: the sessions of earlier greetings may still be logging theirs
                List<String> all = log.lines();
                List<String> said = all.subList(before, all.size()).stream().filter(l -> l.contains("ImapServer - ")).toList();
                assertEquals(1, said.size(), key + ": " + said);
                assertTrue(said.get(0).contains(" ERROR ") && said.get(0).contains("imapd.cfg refused: " + key + "=")
                        && said.get(0).endsWith("the previous configuration stays in force"), said.get(0));
                assertSame(good, t.server.config(), key);
                assertEquals(port, t.port(), key);
                assertTrue(greeting(port).startsWith("* OK "), "still accepting after a bad " + key);
                keys.add(key);
            }
            assertTrue(keys.contains("max.per.ip") && keys.contains("bind") && keys.contains("trusted.networks"), keys.toString());
        }
    }

    @Test
    void theRefusalNamesTheFileTheValueCameFrom(@TempDir Path root) throws Exception {
        try (TestServer t = new TestServer(root, Map.of()); LogCapture log = new LogCapture()) {
            t.server.modified(Map.of("port", 0, "max.per.ip", "lots", "felix.fileinstall.filename", "file:/etc/posthorn/imapd.cfg"));
            assertEquals(1, log.lines("imapd: /etc/posthorn/imapd.cfg refused: max.per.ip=lots: not a whole number;").size(),
                    log.lines().toString());
        }
    }

    @Test
    void aGoodChangeIsTakenWhole(@TempDir Path root) throws Exception {
        try (TestServer t = new TestServer(root, Map.of()); LogCapture log = new LogCapture()) {
            t.server.modified(Map.of("port", 0, "tls.port", 0, "max.per.ip", "7", "trusted.networks", "10.0.0.0/8"));
            assertEquals(7, t.server.config().max_per_ip());
            assertEquals("10.0.0.0/8", t.server.config().trusted_networks());
            assertEquals(1, log.lines("imapd: configuration updated").size());
        }
    }

    private static ImapServer unwired() {
        ImapServer server = new ImapServer();
        server.auth = new AuthChain();
        server.store = new MemoryStore();
        return server;
    }

    @Test
    void aTakenPortAtStartEndsTheProcessWithStatusOneAndOneLine() throws Exception {
        ImapServer.forgetLastGood(); // a new process: its first start
        try (ServerSocket taken = new ServerSocket(0, 1, LOOPBACK); LogCapture log = new LogCapture()) {
            ImapServer server = unwired();
            List<String> exits = new ArrayList<>();
            server.exitWith((status, reason) -> exits.add(status + " " + reason));
            server.activate(Map.of("port", taken.getLocalPort(), "tls.port", 0));
            try {
                assertEquals(-1, server.port());
                assertEquals(1, exits.size(), exits.toString());
                assertTrue(exits.get(0).startsWith("1 imapd cannot listen on 127.0.0.1:" + taken.getLocalPort() + " (port): "),
                        exits.get(0));
                List<String> errors = log.lines(" ERROR ");
                assertEquals(1, errors.size(), log.lines().toString());
                assertTrue(errors.get(0).contains(":" + taken.getLocalPort()), errors.get(0));
                assertTrue(log.lines("\tat ").isEmpty(), "no stack trace");
            } finally {
                server.deactivate();
            }
        }
    }

    @Test
    void aFailureBeforeTheLauncherIsThereIsHandedToItWhenItComes() throws Exception {
        ImapServer.forgetLastGood(); // a new process: its first start
        try (ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
            ImapServer server = unwired();
            server.activate(Map.of("port", taken.getLocalPort(), "tls.port", 0));
            try {
                assertTrue(server.fatal().contains(":" + taken.getLocalPort()), server.fatal());
                List<Integer> exits = new ArrayList<>();
                server.exitWith((status, reason) -> exits.add(status));
                assertEquals(List.of(1), exits);
            } finally {
                server.deactivate();
            }
        }
    }

    @Test
    void aTakenImapsPortAtStartEndsTheProcessToo(@TempDir Path dir) throws Exception {
        ImapServer.forgetLastGood(); // a new process: its first start
        try (ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
            ImapServer server = unwired();
            List<String> exits = new ArrayList<>();
            server.exitWith((status, reason) -> exits.add(status + " " + reason));
            server.activate(Map.of("port", 0, "tls.port", taken.getLocalPort(), "tls.selfsigned", true,
                    "tls.cert", dir.resolve("cert.pem").toString(), "tls.key", dir.resolve("key.pem").toString()));
            try {
                assertEquals(1, exits.size());
                assertTrue(exits.get(0).contains("IMAPS on 127.0.0.1:" + taken.getLocalPort() + " (tls.port)"), exits.get(0));
            } finally {
                server.deactivate();
            }
        }
    }

    @Test
    void aBadConfigurationAtStartEndsTheProcessAndAGoodOneLaterStartsTheServer() throws Exception {
        ImapServer.forgetLastGood(); // a new process
        ImapServer server = unwired();
        List<String> exits = new ArrayList<>();
        server.exitWith((status, reason) -> exits.add(status + " " + reason));
        server.activate(Map.of("port", 0, "max.per.ip", "lots"));
        try {
            assertEquals(1, exits.size());
            assertTrue(exits.get(0).startsWith("1 imapd: imapd.cfg refused: max.per.ip=lots"), exits.get(0));
            assertNull(server.config());
            assertEquals(-1, server.port());
            server.modified(Map.of("port", 0, "tls.port", 0, "max.per.ip", "3"));
            assertTrue(greeting(server.port()).startsWith("* OK "), "embedded without a launcher, it starts once it can");
        } finally {
            server.deactivate();
        }
    }

    @Test
    void activatedAnewWithARefusedEditItStartsWithTheLastGoodConfiguration(@TempDir Path root) throws Exception {
        try (TestServer t = new TestServer(root, Map.of("max.per.ip", 4))) {
            t.server.modified(Map.of("port", 0, "max.per.ip", "lots"));
            ImapServer again = unwired(); // as DS makes it when the store bundle restarts
            List<Integer> exits = new ArrayList<>();
            again.exitWith((status, reason) -> exits.add(status));
            try (LogCapture log = new LogCapture()) {
                again.activate(Map.of("port", 0, "max.per.ip", "lots"));
                assertEquals(List.of(), exits, "a refused edit is no reason to end the process later");
                assertEquals(4, again.config().max_per_ip());
                assertTrue(greeting(again.port()).startsWith("* OK "));
                assertEquals(1, log.lines("refused: max.per.ip=lots").size());
            } finally {
                again.deactivate();
            }
        }
    }

    @Test
    void aRebindThatFailsKeepsTheOldListenerAndMovesOnceThePortIsFree(@TempDir Path root) throws Exception {
        try (TestServer t = new TestServer(root, Map.of()); LogCapture log = new LogCapture()) {
            int old = t.port();
            int wanted;
            try (ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
                wanted = taken.getLocalPort();
                t.server.modified(Map.of("port", wanted, "tls.port", 0));
                assertEquals(old, t.port());
                assertTrue(greeting(old).startsWith("* OK "));
                List<String> said = log.lines("cannot listen on 127.0.0.1:" + wanted);
                assertEquals(1, said.size(), log.lines().toString());
                assertTrue(said.get(0).contains("still listening on 127.0.0.1:" + old + "; attempt 1, next in 1000 ms"), said.get(0));
                assertTrue(t.server.fatal() == null, "a failed change does not end the process");
            }
            // The port is free now: the next attempt (after 1 s) takes it, and lets the old one go.
            long deadline = System.currentTimeMillis() + 10_000;
            while (t.port() != wanted && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(wanted, t.port(), log.lines().toString());
            assertTrue(greeting(wanted).startsWith("* OK "));
            assertThrows(IOException.class, () -> greeting(old), "the old port is let go");
            assertEquals(1, log.lines("imapd listening on 127.0.0.1:" + wanted + " again, after").size(), log.lines().toString());

            t.server.modified(Map.of("port", 0, "tls.port", 0, "max.per.ip", 5));
            assertNotEquals(-1, t.port());
            assertTrue(greeting(t.port()).startsWith("* OK "), "a later change moves it");
        }
    }

    @Test
    void activatedAgainLaterWithItsPortTakenItRetriesInsteadOfEndingTheProcess() throws Exception {
        ImapServer first = unwired();
        first.activate(Map.of("port", 0, "tls.port", 0)); // the process's first start
        int port = first.port();
        first.deactivate();
        try (ServerSocket taken = new ServerSocket(port, 1, LOOPBACK); LogCapture log = new LogCapture()) {
            ImapServer again = unwired(); // as DS makes it when the store bundle restarts
            List<Integer> exits = new ArrayList<>();
            again.exitWith((status, reason) -> exits.add(status));
            again.activate(Map.of("port", port, "tls.port", 0));
            try {
                assertEquals(List.of(), exits, "not the start of the process: no exit");
                assertEquals(-1, again.port());
                assertEquals(1, log.lines("cannot listen on 127.0.0.1:" + port + ": ").size(), log.lines().toString());
                assertTrue(log.lines("cannot listen on").get(0).contains("not listening meanwhile; attempt 1"), log.lines().toString());
                taken.close();
                long deadline = System.currentTimeMillis() + 10_000;
                while (again.port() != port && System.currentTimeMillis() < deadline) {
                    Thread.sleep(50);
                }
                assertTrue(greeting(port).startsWith("* OK "), log.lines().toString());
            } finally {
                again.deactivate();
            }
        }
    }

    @Test
    void refusedConnectionsMakeAFewLinesAndOneThatCountsTheRest(@TempDir Path root) throws Exception {
        try (TestServer t = new TestServer(root, Map.of("max.per.ip", 1, "log.repeat.max", 3, "log.repeat.window", 3));
             LogCapture log = new LogCapture(); Socket held = new Socket(LOOPBACK, t.port())) {
            held.setSoTimeout(5000);
            new BufferedReader(new InputStreamReader(held.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            for (int i = 0; i < 40; i++) {
                assertEquals("* BYE Too many connections from your address", greeting(t.port()));
            }
            assertEquals(3, log.lines("(max.per.ip)").stream().filter(l -> l.contains("refused 127.0.0.1:")).count());
            long deadline = System.currentTimeMillis() + 8000;
            while (log.lines("suppressed").isEmpty() && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(1, log.lines("refused connection (max.per.ip): 37 similar events from 127.0.0.1 suppressed in the last 3 s").size(),
                    log.lines("suppressed").toString());
        }
    }
}
