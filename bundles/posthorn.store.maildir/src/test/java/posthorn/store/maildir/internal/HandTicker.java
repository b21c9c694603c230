package posthorn.store.maildir.internal;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link ChangeWatcher.Ticker} turned by the test: scheduled rounds run only when the test calls
 * {@link #tick()}, on the test's thread, so a test sees a poll round happen without waiting for time
 * to pass.
 */
final class HandTicker implements ChangeWatcher.Ticker {
    private static final class Scheduled {
        final Duration interval;
        final Runnable round;

        Scheduled(Duration interval, Runnable round) {
            this.interval = interval;
            this.round = round;
        }
    }

    private final List<Scheduled> scheduled = new CopyOnWriteArrayList<>();
    private boolean shutDown;

    @Override
    public Rounds every(Duration interval, Runnable round) {
        Scheduled s = new Scheduled(interval, round);
        scheduled.add(s);
        return () -> scheduled.remove(s);
    }

    @Override
    public void shutdown() {
        shutDown = true;
        scheduled.clear();
    }

    /** Runs every scheduled round once, as if one interval had passed. */
    void tick() {
        scheduled.forEach(s -> s.round.run());
    }

    /** The intervals of the rounds scheduled now. */
    List<Duration> intervals() {
        return scheduled.stream().map(s -> s.interval).toList();
    }

    boolean isShutDown() {
        return shutDown;
    }
}
