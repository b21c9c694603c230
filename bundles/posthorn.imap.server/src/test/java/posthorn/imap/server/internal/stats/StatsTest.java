package posthorn.imap.server.internal.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

/** The admin console's counters: the command rate's windows and the backend latency percentiles. */
class StatsTest {

    @Test
    void rateCountsWholeSecondsOfTheWindowOnly() {
        AtomicLong millis = new AtomicLong(1_000_000);
        CommandRate rate = new CommandRate(millis::get);
        assertEquals(0, rate.perSecond(60));
        // 10 commands a second for 120 s
        for (int s = 0; s < 120; s++) {
            for (int i = 0; i < 10; i++) {
                rate.count();
            }
            millis.addAndGet(1000);
        }
        assertEquals(10.0, rate.perSecond(60), 1e-9);
        // over 5 minutes, while the server has run only 120 s: the rate over those 120 s
        assertEquals(10.0, rate.perSecond(300), 1e-9);
        // the second in progress does not count
        for (int i = 0; i < 1000; i++) {
            rate.count();
        }
        assertEquals(10.0, rate.perSecond(60), 1e-9);
        // 60 quiet seconds later: the 1000 of that second, and nothing else, in the last minute
        millis.addAndGet(60_000);
        assertEquals(1000 / 60.0, rate.perSecond(60), 1e-9);
        // 5 quiet minutes later: the ring's old slots count as zero, not as what they held
        millis.addAndGet(300_000);
        assertEquals(0, rate.perSecond(60));
        assertEquals(0, rate.perSecond(300));
        rate.count();
        millis.addAndGet(1000);
        assertEquals(1 / 300.0, rate.perSecond(300), 1e-9);
    }

    @Test
    void rateOverFiveMinutesWeighsEverySecond() {
        AtomicLong millis = new AtomicLong(0);
        CommandRate rate = new CommandRate(millis::get);
        for (int s = 0; s < 600; s++) {
            int n = s < 300 ? 100 : s < 540 ? 0 : 6; // a busy 5 minutes, 4 quiet ones, a light minute
            for (int i = 0; i < n; i++) {
                rate.count();
            }
            millis.addAndGet(1000);
        }
        assertEquals(6.0, rate.perSecond(60), 1e-9);
        assertEquals(6.0 * 60 / 300, rate.perSecond(300), 1e-9);
    }

    @Test
    void windowOutsideTheRingIsRefused() {
        CommandRate rate = new CommandRate(() -> 0);
        assertThrows(IllegalArgumentException.class, () -> rate.perSecond(0));
        assertThrows(IllegalArgumentException.class, () -> rate.perSecond(CommandRate.MAX_WINDOW + 1));
    }

    @Test
    void percentilesOfBackendAnswers() {
        BackendStats stats = new BackendStats();
        assertNull(stats.percentile(50));
        // 1..100 ms, one answer each; then one very slow answer
        IntStream.rangeClosed(1, 100).forEach(ms -> stats.record(BackendStats.Answer.OK, ms * 1_000_000L));
        stats.record(BackendStats.Answer.UNAVAILABLE, 15_000_000_000L);
        assertEquals(100, stats.count(BackendStats.Answer.OK));
        assertEquals(1, stats.count(BackendStats.Answer.UNAVAILABLE));
        assertEquals(0, stats.count(BackendStats.Answer.WRONG_PASSWORD));
        assertWithin(Duration.ofMillis(51), stats.percentile(50), 0.01);
        assertWithin(Duration.ofMillis(100), stats.percentile(99), 0.01);
        assertWithin(Duration.ofSeconds(15), stats.percentile(100), 0.01);
    }

    @Test
    void concurrentRecordingLosesNoCount() throws InterruptedException {
        BackendStats stats = new BackendStats();
        Thread[] threads = new Thread[8];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 10_000; i++) {
                    stats.record(BackendStats.Answer.WRONG_PASSWORD, 2_000_000);
                }
            });
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(80_000, stats.count(BackendStats.Answer.WRONG_PASSWORD));
        assertWithin(Duration.ofMillis(2), stats.percentile(50), 0.01);
    }

    private static void assertWithin(Duration expected, Duration actual, double share) {
        double diff = Math.abs(actual.toNanos() - expected.toNanos());
        assertTrue(diff <= expected.toNanos() * share, "expected about " + expected + ", was " + actual);
    }
}
