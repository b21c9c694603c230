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
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import posthorn.imap.server.internal.Configurations;
import posthorn.imap.server.internal.LogCapture;

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
    void failingAcceptsAreLoggedOneLineEachAndRetriedWithGrowingPausesWithoutLosingTheSocket() throws Exception {
        AtomicInteger failures = new AtomicInteger(3);
        ServerSocket flaky = new ServerSocket() {
            @Override
            public Socket accept() throws IOException {
                if (failures.getAndDecrement() > 0) {
                    throw new IOException("Too many open files", new IOException("EMFILE"));
                }
                return super.accept();
            }
        };
        flaky.bind(new InetSocketAddress(LOOPBACK, 0));
        BlockingQueue<Socket> accepted = new LinkedBlockingQueue<>();
        List<String> lost = new CopyOnWriteArrayList<>();
        try (LogCapture log = new LogCapture();
             Listener listener = new Listener(flaky, "test-accept", accepted::add, (l, why) -> lost.add(why))) {
            try (Socket c = new Socket(LOOPBACK, listener.port())) {
                Socket in = accepted.poll(10, TimeUnit.SECONDS);
                assertEquals(c.getLocalPort(), in.getPort(), "accepting after the failures");
                in.close();
            }
            List<String> said = log.lines("accept on port " + listener.port() + " failed");
            assertEquals(3, said.size(), log.lines().toString());
            assertTrue(said.get(0).endsWith("java.io.IOException: Too many open files; caused by java.io.IOException: EMFILE;"
                    + " trying again in 50 ms"), said.get(0));
            assertTrue(said.get(1).endsWith("trying again in 100 ms"), said.get(1));
            assertTrue(said.get(2).endsWith("trying again in 200 ms"), said.get(2));
            assertEquals(List.of(), lost, "the socket was never lost");
        }
    }

    @Test
    void aSocketClosedUnderTheListenerIsReportedOnce() throws Exception {
        List<String> lost = new CopyOnWriteArrayList<>();
        Listener listener = Listener.bind(LOOPBACK.getHostAddress(), 0, "test-accept", s -> {
        }, (l, why) -> lost.add(why));
        listener.closeSocketUnderIt();
        long deadline = System.currentTimeMillis() + 5000;
        while (lost.isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        listener.close();
        assertEquals(1, lost.size(), lost.toString());
        assertTrue(lost.get(0).startsWith("java.net.SocketException"), lost.get(0));
    }

    @Test
    void aCloseIsNotALoss() throws Exception {
        List<String> lost = new CopyOnWriteArrayList<>();
        Listener listener = Listener.bind(LOOPBACK.getHostAddress(), 0, "test-accept", s -> {
        }, (l, why) -> lost.add(why));
        listener.close();
        Thread.sleep(100);
        assertEquals(List.of(), lost);
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
