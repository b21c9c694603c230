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
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.imap.server.admin.ProxyAuth;
import posthorn.imap.server.admin.ServerObserver;
import posthorn.imap.server.internal.admin.ProxyAuthService;
import posthorn.imap.server.internal.stats.ServerCounters;

/**
 * The server's side of the metrics and auth_http hooks (admin.ServerObserver, admin.ProxyAuth), with
 * a real session on a socket: observers hear each command and store call, a failing observer harms
 * nobody, none bound means no calls; a proxy's login check counts and throttles as LOGIN does; the
 * server says why it does not take logins.
 */
class ObserversAndProxyAuthTest {
    @TempDir
    Path root;

    static final class Recorder implements ServerObserver {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void command(String name, long nanos) {
            assertTrue(nanos > 0);
            events.add("command " + name);
        }

        @Override
        public void store(String operation, long nanos, boolean failed) {
            events.add("store " + operation + (failed ? " failed" : ""));
        }
    }

    @Test
    void observersHearEachCommandAndStoreCallOfARealSession() throws Exception {
        try (TestServer t = new TestServer(root, Map.of())) {
            t.user("alice", "secret");
            Recorder r = new Recorder();
            ServerObserver broken = new ServerObserver() {
                @Override
                public void command(String name, long nanos) {
                    throw new IllegalStateException("observer bug");
                }
            };
            t.server.bindObserver(broken);
            t.server.bindObserver(r);
            session(t.port(), "a LOGIN alice secret", "b SELECT INBOX", "c NOOP", "d LOGOUT");
            assertTrue(r.events.contains("command LOGIN"), r.events.toString());
            assertTrue(r.events.contains("command SELECT"), r.events.toString());
            assertTrue(r.events.contains("command NOOP"), r.events.toString());
            assertTrue(r.events.contains("store open"), r.events.toString());
            assertTrue(r.events.contains("store sync"), r.events.toString());
            t.server.unbindObserver(r);
            t.server.unbindObserver(broken);
            assertFalse(t.server.counters().observed());
            int heard = r.events.size();
            session(t.port(), "a LOGIN alice secret", "b NOOP", "c LOGOUT");
            assertEquals(heard, r.events.size(), "an unbound observer is not called");
        }
    }

    @Test
    void aProxysLoginIsCheckedCountedAndThrottledAsLoginIs() throws Exception {
        try (TestServer t = new TestServer(root, Map.of("auth.delay.base", 200L))) {
            t.user("alice", "secret");
            ProxyAuthService proxy = new ProxyAuthService(t.server);
            InetAddress client = InetAddress.getByName("192.0.2.5");
            ProxyAuth.Result ok = proxy.check("alice", "secret", "imap", client);
            assertEquals(ProxyAuth.Outcome.OK, ok.outcome());
            assertEquals("alice", ok.user());
            assertEquals(1, t.server.counters().logins(ServerCounters.Login.OK));
            ProxyAuth.Result wrong = proxy.check("alice", "nope", "imap", client);
            assertEquals(ProxyAuth.Outcome.FAILED, wrong.outcome());
            assertTrue(wrong.waitMillis() > 0 && wrong.waitMillis() <= 200, "wait " + wrong.waitMillis());
            ProxyAuth.Result unknown = proxy.check("nobody", "x", "imap", client);
            assertEquals(ProxyAuth.Outcome.FAILED, unknown.outcome());
            assertEquals(2, t.server.counters().logins(ServerCounters.Login.FAILED));
            // the second failure of the address waited its delay before the check
            long start = System.nanoTime();
            proxy.check("nobody2", "x", "imap", client);
            assertTrue(System.nanoTime() - start >= 300_000_000L, "the third failure waited its delay");
            // The delay is the address's and the user's: alice (one failure) from another address is let in.
            assertEquals(ProxyAuth.Outcome.OK, proxy.check("alice", "secret", "imap", InetAddress.getByName("192.0.2.6"))
                    .outcome());
        }
    }

    @Test
    void theServerSaysWhyItDoesNotTakeLogins() throws Exception {
        TestServer t = new TestServer(root, Map.of());
        try {
            assertNull(t.server.notAccepting());
        } finally {
            t.close();
        }
        assertEquals("stopping", t.server.notAccepting());
    }

    private static void session(int port, String... commands) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            assertTrue(in.readLine().startsWith("* OK"));
            for (String c : commands) {
                out.write((c + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String tag = c.substring(0, c.indexOf(' '));
                String line;
                do {
                    line = in.readLine();
                } while (line != null && !line.startsWith(tag + " "));
                assertTrue(line != null && line.startsWith(tag + " OK"), c + " -> " + line);
            }
        }
    }
}
