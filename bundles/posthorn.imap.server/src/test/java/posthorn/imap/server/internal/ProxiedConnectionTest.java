package posthorn.imap.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.imap.server.internal.session.Session;

/**
 * The PROXY protocol through the real listener: from a trusted proxy (proxy.trusted) the header's
 * client is the client for limits, logs and the console; a trusted proxy that sends no valid header
 * in time is cut off with a log line; from anyone else a PROXY header is never parsed and ends the
 * connection. The test's connections come from 127.0.0.1 and play the proxy.
 */
class ProxiedConnectionTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private static Socket connect(TestServer t, String header) throws IOException {
        Socket s = new Socket(LOOPBACK, t.port());
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write(header.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return s;
    }

    private static BufferedReader reader(Socket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
    }

    private static List<String> peers(TestServer t) {
        return t.server.sessions().stream().map(Session::peer).sorted().toList();
    }

    @Test
    void aTrustedProxysHeaderNamesTheClientForTheSessionTheConsoleAndTheLog(@TempDir Path root) throws Exception {
        try (TestServer t = new TestServer(root, Map.of("proxy.trusted", "127.0.0.1/32"));
             LogCapture log = new LogCapture();
             Socket s = connect(t, "PROXY TCP4 203.0.113.7 127.0.0.1 40001 143\r\n")) {
            t.user("alice", "secret");
            BufferedReader in = reader(s);
            assertTrue(in.readLine().startsWith("* OK"));
            assertEquals(List.of("203.0.113.7:40001"), peers(t));
            waitFor(() -> !log.lines("connect remote=203.0.113.7:40001 port=imap proxy=127.0.0.1:").isEmpty(), "the connect line");
            // the password crossed the proxy's hop (127.0.0.1, in trusted.networks): LOGIN is allowed in the clear
            s.getOutputStream().write("a LOGIN alice secret\r\n".getBytes(StandardCharsets.US_ASCII));
            String line;
            while ((line = in.readLine()) != null && !line.startsWith("a ")) {
                // untagged
            }
            assertTrue(line != null && line.startsWith("a OK"), line);
            waitFor(() -> !log.lines("login user=alice via LOGIN from 203.0.113.7:40001").isEmpty(), "the login line");
        }
    }

    @Test
    void aV2HeaderWorksTheSameAndIPv6ClientsToo(@TempDir Path root) throws Exception {
        byte[] header = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x21, 0x00, 0x24,
            0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07,
            0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
            (byte) 0x9c, 0x40, 0x00, (byte) 0x8f};
        try (TestServer t = new TestServer(root, Map.of("proxy.trusted", "127.0.0.0/8, ::1"));
             Socket s = new Socket(LOOPBACK, t.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(header);
            assertTrue(reader(s).readLine().startsWith("* OK"));
            assertEquals(List.of("2001:db8:0:0:0:0:0:7:40000"), peers(t));
        }
    }

    @Test
    void perAddressLimitsCountTheClientsBehindTheProxyNotTheProxy(@TempDir Path root) throws Exception {
        // one connection at a time: each header is read on its own thread, so connections opened
        // together may be counted in any order
        try (TestServer t = new TestServer(root, Map.of("proxy.trusted", "127.0.0.1", "max.per.ip", 1));
             Socket a = connect(t, "PROXY TCP4 198.51.100.1 127.0.0.1 1000 143\r\n")) {
            assertTrue(reader(a).readLine().startsWith("* OK"));
            try (Socket b = connect(t, "PROXY TCP4 198.51.100.2 127.0.0.1 1000 143\r\n")) {
                assertTrue(reader(b).readLine().startsWith("* OK"), "another client through the same proxy is its own address");
                try (Socket c = connect(t, "PROXY TCP4 198.51.100.1 127.0.0.1 1001 143\r\n")) {
                    assertEquals("* BYE Too many connections from your address", reader(c).readLine(),
                            "a second connection of one client behind the proxy is over max.per.ip=1");
                }
            }
        }
    }

    @Test
    void aTrustedProxyWithoutAValidHeaderIsCutOffWithALogLine(@TempDir Path root) throws Exception {
        try (TestServer t = new TestServer(root, Map.of("proxy.trusted", "127.0.0.1", "proxy.timeout", 1));
             LogCapture log = new LogCapture()) {
            try (Socket s = connect(t, "a LOGIN alice secret\r\n")) {
                assertNull(reader(s).readLine(), "closed before any greeting");
            }
            try (Socket s = connect(t, "PROXY TCP4 999.0.0.1 127.0.0.1 1 143\r\n")) {
                assertNull(reader(s).readLine());
            }
            long t0 = System.nanoTime();
            try (Socket s = connect(t, "PROXY TCP4 203.0.113.7")) { // and then nothing
                assertNull(reader(s).readLine());
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 900 && ms < 8000, "closed at proxy.timeout (1 s), not before, not much after: " + ms + " ms");
            waitFor(() -> log.lines("trusted proxy sent no valid PROXY header").size() == 3, "three refusal lines");
            assertTrue(log.lines("none within proxy.timeout (1 s)").size() == 1, log.lines().toString());
            assertTrue(t.server.sessions().isEmpty());
        }
    }

    @Test
    void aHeaderFromAnUntrustedAddressIsNeverParsedAndEndsTheConnection(@TempDir Path root) throws Exception {
        // 127.0.0.1 is not a proxy here: only 192.0.2.10 is
        try (TestServer t = new TestServer(root, Map.of("proxy.trusted", "192.0.2.10"));
             LogCapture log = new LogCapture()) {
            try (Socket s = connect(t, "PROXY TCP4 203.0.113.7 127.0.0.1 40001 143\r\n")) {
                BufferedReader in = reader(s);
                assertTrue(in.readLine().startsWith("* OK"));
                assertEquals(List.of("127.0.0.1:" + s.getLocalPort()), peers(t), "the address is the connection's own");
                assertEquals("* BYE PROXY header not accepted from your address", in.readLine());
                assertNull(in.readLine());
            }
            byte[] v2 = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C,
                (byte) 203, 0, 113, 7, 127, 0, 0, 1, 0x10, 0x00, 0x00, (byte) 0x8f};
            try (Socket s = new Socket(LOOPBACK, t.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(v2);
                BufferedReader in = reader(s);
                String line;
                String last = null;
                while ((line = in.readLine()) != null) {
                    last = line;
                }
                assertEquals("* BYE PROXY header not accepted from your address", last);
            }
            waitFor(() -> log.lines("refused a PROXY protocol").size() == 2, "two refusal lines");
            assertEquals(1, log.lines("refused a PROXY protocol v1 header from 127.0.0.1:").size());
            assertEquals(1, log.lines("refused a PROXY protocol v2 header from 127.0.0.1:").size());
            assertTrue(log.lines("203.0.113.7").isEmpty(), "the address the header named appears nowhere");
        }
    }

    @Test
    void withoutProxyTrustedAHeaderIsRefusedToo(@TempDir Path root) throws Exception {
        try (TestServer t = new TestServer(root, Map.of()); Socket s = connect(t, "PROXY TCP4 203.0.113.7 127.0.0.1 40001 143\r\n")) {
            BufferedReader in = reader(s);
            assertTrue(in.readLine().startsWith("* OK"));
            assertEquals("* BYE PROXY header not accepted from your address", in.readLine());
        }
    }
}
