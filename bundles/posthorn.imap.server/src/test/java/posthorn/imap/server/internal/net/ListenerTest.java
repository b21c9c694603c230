package posthorn.imap.server.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import posthorn.imap.server.internal.Configurations;

/** The listening socket and the connection limits in front of the sessions. */
class ListenerTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void handsEveryConnectionOnUntilClosed() throws Exception {
        BlockingQueue<Socket> accepted = new LinkedBlockingQueue<>();
        Listener listener = Listener.bind(LOOPBACK.getHostAddress(), 0, "test-accept", accepted::add);
        try (Socket a = new Socket(LOOPBACK, listener.port()); Socket b = new Socket(LOOPBACK, listener.port())) {
            Socket first = accepted.poll(5, TimeUnit.SECONDS);
            Socket second = accepted.poll(5, TimeUnit.SECONDS);
            assertEquals(a.getLocalPort(), first.getPort());
            assertEquals(b.getLocalPort(), second.getPort());
            first.close();
            second.close();
        }
        int port = listener.port();
        listener.close();
        assertThrows(IOException.class, () -> new Socket(LOOPBACK, port).close(), "no longer listening");
    }

    @Test
    void anAddressInUseIsAnErrorAndLeavesNothingOpen() throws Exception {
        try (Listener first = Listener.bind(LOOPBACK.getHostAddress(), 0, "test-accept", Socket::getPort)) {
            assertThrows(IOException.class, () -> Listener.bind(LOOPBACK.getHostAddress(), first.port(), "again", s -> {
            }));
        }
    }

    @Test
    void connectionsOverTheLimitsAreGreetedWithByeAndClosed() throws Exception {
        ImapdConfig config = Configurations.of(ImapdConfig.class, Map.of("max.connections", 3, "max.per.ip", 2));
        ConnectionLimits limits = new ConnectionLimits(new LogLimiter());
        BlockingQueue<Socket> accepted = new LinkedBlockingQueue<>();
        try (Listener listener = Listener.bind(LOOPBACK.getHostAddress(), 0, "test-accept", accepted::add);
             Socket c1 = new Socket(LOOPBACK, listener.port());
             Socket c2 = new Socket(LOOPBACK, listener.port());
             Socket c3 = new Socket(LOOPBACK, listener.port())) {
            c3.setSoTimeout(5000);
            List<Socket> server = List.of(accepted.take(), accepted.take(), accepted.take());
            assertTrue(limits.admit(server.get(0), 0, config));
            assertTrue(limits.admit(server.get(1), 1, config));
            assertFalse(limits.admit(server.get(2), 2, config), "a third from one address");
            BufferedReader in = new BufferedReader(new InputStreamReader(c3.getInputStream(), StandardCharsets.US_ASCII));
            assertEquals("* BYE Too many connections from your address", in.readLine());
            assertNull(in.readLine());
            assertEquals(2, limits.open(LOOPBACK), "a refused connection is not counted");

            limits.release(LOOPBACK);
            assertEquals(1, limits.open(LOOPBACK));
            try (Socket c4 = new Socket(LOOPBACK, listener.port())) {
                c4.setSoTimeout(5000);
                assertFalse(limits.admit(accepted.take(), 3, config), "max.connections");
                BufferedReader in4 = new BufferedReader(new InputStreamReader(c4.getInputStream(), StandardCharsets.US_ASCII));
                assertEquals("* BYE Too many connections, try again later", in4.readLine());
            }
            for (Socket s : server) {
                s.close();
            }
        }
    }
}
