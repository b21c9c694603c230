package posthorn.imap.server.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import posthorn.imap.server.internal.LogCapture;

/** Repeated log events: a few logged, the rest counted and summed up in one line per window. */
class LogLimiterTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(1000 * SECOND);
    private final LogLimiter limiter = new LogLimiter(now::get);

    private static InetAddress address(String a) throws Exception {
        return InetAddress.getByName(a);
    }

    @Test
    void theFirstFewOfAWindowAreLoggedAndTheRestSummedUpWhenItEnds() throws Exception {
        limiter.configure(3, 10);
        try (LogCapture log = new LogCapture()) {
            int allowed = 0;
            for (int i = 0; i < 1000; i++) {
                allowed += limiter.allow("refused connection (max.per.ip)", address("192.0.2.9")) ? 1 : 0;
            }
            assertEquals(3, allowed);
            limiter.flush();
            assertTrue(log.lines("suppressed").isEmpty(), "not before the window is over");
            now.addAndGet(10 * SECOND);
            limiter.flush();
            List<String> summary = log.lines("suppressed");
            assertEquals(List.of("refused connection (max.per.ip): 997 similar events from 192.0.2.9 suppressed in the last 10 s"),
                    summary.stream().map(l -> l.substring(l.indexOf(" - ") + 3)).toList());
            assertTrue(summary.get(0).contains(" WARN "), summary.get(0));
            assertEquals(0, limiter.open(), "the window is gone");
            assertTrue(limiter.allow("refused connection (max.per.ip)", address("192.0.2.9")), "a new window");
        }
    }

    @Test
    void kindsAndAddressesAreCountedApart() throws Exception {
        limiter.configure(1, 10);
        assertTrue(limiter.allow("a", address("192.0.2.1")));
        assertFalse(limiter.allow("a", address("192.0.2.1")));
        assertTrue(limiter.allow("b", address("192.0.2.1")));
        assertTrue(limiter.allow("a", address("192.0.2.2")));
    }

    @Test
    void aWindowWithNothingLeftOutEndsWithoutALine() throws Exception {
        limiter.configure(5, 10);
        try (LogCapture log = new LogCapture()) {
            limiter.allow("a", address("192.0.2.1"));
            now.addAndGet(11 * SECOND);
            assertTrue(limiter.allow("a", address("192.0.2.1")), "the next event after the end opens a new window");
            limiter.flush();
            assertTrue(log.lines("suppressed").isEmpty());
        }
    }

    @Test
    void theNextEventAfterTheEndSumsUpTheOldWindow() throws Exception {
        limiter.configure(1, 10);
        try (LogCapture log = new LogCapture()) {
            limiter.allow("a", address("192.0.2.1"));
            limiter.allow("a", address("192.0.2.1"));
            now.addAndGet(10 * SECOND);
            assertTrue(limiter.allow("a", address("192.0.2.1")));
            assertEquals(1, log.lines("a: 1 similar events from 192.0.2.1 suppressed in the last 10 s").size());
        }
    }

    @Test
    void zeroLogsEverything() throws Exception {
        limiter.configure(0, 10);
        for (int i = 0; i < 100; i++) {
            assertTrue(limiter.allow("a", address("192.0.2.1")));
        }
        assertEquals(0, limiter.open());
    }

    @Test
    void manyAddressesShareOneWindowBeyondTheBound() throws Exception {
        limiter.configure(1, 10);
        byte[] a = {10, 0, 0, 0};
        for (int i = 0; i < LogLimiter.MAX_KEYS + 500; i++) {
            a[1] = (byte) (i >> 16);
            a[2] = (byte) (i >> 8);
            a[3] = (byte) i;
            limiter.allow("flood", InetAddress.getByAddress(a));
        }
        assertEquals(LogLimiter.MAX_KEYS + 1, limiter.open(), "bounded memory");
        try (LogCapture log = new LogCapture()) {
            now.addAndGet(10 * SECOND);
            limiter.flush();
            assertEquals(1, log.lines("flood: 499 similar events from (other addresses)").size(), log.lines().toString());
        }
    }
}
