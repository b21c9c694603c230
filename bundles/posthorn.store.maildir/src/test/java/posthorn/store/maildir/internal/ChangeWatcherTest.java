package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** The poll schedule of {@link ChangeWatcher}; the rounds themselves are in Api11Test. */
class ChangeWatcherTest {
    @Test
    void theIntervalSchedulesOneRoundAndZeroStopsIt() {
        HandTicker ticker = new HandTicker();
        ChangeWatcher watcher = new ChangeWatcher(5, ticker);
        assertEquals(List.of(Duration.ofSeconds(5)), ticker.intervals());
        watcher.setPollInterval(5);
        assertEquals(List.of(Duration.ofSeconds(5)), ticker.intervals(), "the same interval: nothing changes");
        watcher.setPollInterval(2);
        assertEquals(List.of(Duration.ofSeconds(2)), ticker.intervals(), "a new interval replaces the round");
        watcher.setPollInterval(-3);
        assertEquals(List.of(), ticker.intervals(), "0 or less: no polling");
        assertEquals(0, watcher.pollInterval());
        watcher.setPollInterval(1);
        watcher.close();
        assertTrue(ticker.isShutDown());
        watcher.setPollInterval(7);
        assertEquals(List.of(), ticker.intervals(), "a closed watcher schedules nothing");
    }

    @Test
    void theStoresTickerRunsRoundsOnADaemonThread() throws Exception {
        ChangeWatcher.Ticker ticker = ChangeWatcher.daemonThread();
        try {
            CountDownLatch twoRounds = new CountDownLatch(2);
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            ChangeWatcher.Ticker.Rounds rounds = ticker.every(Duration.ofMillis(5), () -> {
                ranOn.set(Thread.currentThread());
                twoRounds.countDown();
            });
            assertTrue(twoRounds.await(10, TimeUnit.SECONDS), "rounds repeat");
            rounds.stop();
            assertTrue(ranOn.get().isDaemon(), "never keeps the JVM alive");
            assertEquals("posthorn-maildir-poll", ranOn.get().getName());
        } finally {
            ticker.shutdown();
        }
    }
}
