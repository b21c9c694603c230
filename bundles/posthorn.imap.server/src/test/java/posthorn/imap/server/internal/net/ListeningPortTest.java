package posthorn.imap.server.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;

import posthorn.imap.server.internal.LogCapture;

/**
 * A port never dies of a change or a failure: moves keep the old socket, and whatever does not
 * listen where it should is tried again, with a line each time and pauses that grow. Real sockets
 * on loopback, free ports; the pauses shortened to 50-200 ms.
 */
class ListeningPortTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final String HOST = LOOPBACK.getHostAddress();

    private final BlockingQueue<Socket> accepted = new LinkedBlockingQueue<>();

    private ListeningPort port() {
        return new ListeningPort(false, accepted::add, Duration.ofMillis(50), Duration.ofMillis(200));
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("waited 10 s for: " + what);
            }
            Thread.sleep(20);
        }
    }

    /** Connects, and checks the listener handed the connection on. */
    private void reaches(int port) throws Exception {
        try (Socket s = new Socket(LOOPBACK, port)) {
            Socket in = accepted.poll(5, TimeUnit.SECONDS);
            assertTrue(in != null && in.getPort() == s.getLocalPort(), "accepted on " + port);
            in.close();
        }
    }

    @Test
    void aMoveToATakenPortKeepsTheOldOneTriesAgainWithGrowingPausesAndMovesWhenFree() throws Exception {
        ListeningPort p = port();
        try (LogCapture log = new LogCapture()) {
            p.open(HOST, 0);
            int old = p.port();
            int wanted;
            try (ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
                wanted = taken.getLocalPort();
                assertFalse(p.move(HOST, wanted));
                assertEquals(old, p.port());
                reaches(old);
                await(() -> log.lines("cannot listen on " + HOST + ":" + wanted).size() >= 4, "four attempts");
                reaches(old);
            }
            List<String> attempts = log.lines("cannot listen on " + HOST + ":" + wanted);
            assertTrue(attempts.get(0).endsWith("still listening on " + HOST + ":" + old + "; attempt 1, next in 50 ms"), attempts.get(0));
            assertTrue(attempts.get(1).endsWith("attempt 2, next in 100 ms"), attempts.get(1));
            assertTrue(attempts.get(2).endsWith("attempt 3, next in 200 ms"), attempts.get(2));
            assertTrue(attempts.get(3).endsWith("attempt 4, next in 200 ms"), "the pause stops growing: " + attempts.get(3));
            await(() -> p.port() == wanted, "the move, once the port is free");
            reaches(wanted);
            assertThrows(IOException.class, () -> new Socket(LOOPBACK, old).close(), "the old port is let go");
            assertFalse(p.retrying());
            assertEquals(1, log.lines("listening on " + HOST + ":" + wanted + " again").size());
            for (String line : log.lines()) {
                assertFalse(line.startsWith("\tat ") || line.startsWith("Caused by"), "one line an event: " + line);
            }
        } finally {
            p.close();
        }
    }

    @Test
    void aPortThatCannotBeHadAfterStartIsTriedUntilItCanBe() throws Exception {
        ListeningPort p = port();
        try (LogCapture log = new LogCapture()) {
            int wanted;
            try (ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
                wanted = taken.getLocalPort();
                p.openOrRetry(HOST, wanted);
                assertEquals(-1, p.port());
                assertTrue(p.retrying());
                await(() -> log.lines("cannot listen on " + HOST + ":" + wanted).size() >= 2, "two attempts");
                assertTrue(log.lines("cannot listen on").get(0).contains("not listening meanwhile; attempt 1"), log.lines().toString());
            }
            await(() -> p.port() == wanted, "listening once the port is free");
            reaches(wanted);
        } finally {
            p.close();
        }
    }

    @Test
    void aSocketLostUnderTheAcceptLoopIsBoundAgainOnTheSamePort() throws Exception {
        ListeningPort p = port();
        try (LogCapture log = new LogCapture()) {
            p.open(HOST, 0);
            int was = p.port();
            Listener inUse = p.current();
            inUse.closeSocketUnderIt();
            await(() -> !log.lines("stopped listening on " + HOST + ":" + was).isEmpty(), "the loss said");
            await(() -> p.port() == was && p.current() != inUse, "listening again on the port clients know");
            reaches(was);
            assertEquals(1, log.lines("stopped listening").size(), log.lines().toString());
        } finally {
            p.close();
        }
    }

    @Test
    void aStartThatCannotListenFailsOutrightAndTriesNothingAgain() throws Exception {
        ListeningPort p = port();
        try (ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
            assertThrows(IOException.class, () -> p.open(HOST, taken.getLocalPort()));
            assertFalse(p.retrying(), "the process ends instead; its supervisor retries");
        } finally {
            p.close();
        }
    }

    @Test
    void closingStopsTheAttempts() throws Exception {
        ListeningPort p = port();
        try (LogCapture log = new LogCapture(); ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
            p.openOrRetry(HOST, taken.getLocalPort());
            p.close();
            int said = log.lines("cannot listen").size();
            Thread.sleep(400);
            assertEquals(said, log.lines("cannot listen").size(), "no attempt after close");
            assertFalse(p.retrying());
        }
    }

}
