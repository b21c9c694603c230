package posthorn.imap.server.internal.stats;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * Commands per second over the last minute and the last five minutes, as a ring of per-second counts
 * (301 of them: five minutes and the second in progress; 5 KB): each second's slot is stamped with the second it counts, so a slot left from
 * an earlier round counts as zero. The second in progress is not part of the rate (it is incomplete);
 * while the server has run less than the window, the rate is over the time it has run.
 *
 * <p>Thread-safe without locks: sessions count from their own threads while the console reads. A count
 * that races with the slot's reuse at a second's turn may land in the old second or be lost; a rate
 * does not need that one command.
 */
public final class CommandRate {
    /** The longest window, in seconds. */
    public static final int MAX_WINDOW = 300;
    private static final int SLOTS = MAX_WINDOW + 1;

    private final AtomicLongArray counts = new AtomicLongArray(SLOTS);
    private final AtomicLongArray seconds = new AtomicLongArray(SLOTS);
    /** Milliseconds on a clock that does not jump (System.nanoTime / 1e6 in service; a test's). */
    private final LongSupplier clockMillis;
    private final long startSecond;

    public CommandRate(LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
        this.startSecond = clockMillis.getAsLong() / 1000;
        for (int i = 0; i < SLOTS; i++) {
            seconds.set(i, -1);
        }
    }

    /** One command ran. */
    public void count() {
        long second = clockMillis.getAsLong() / 1000;
        int slot = (int) (second % SLOTS);
        long stamped = seconds.get(slot);
        if (stamped != second) {
            if (seconds.compareAndSet(slot, stamped, second)) {
                counts.set(slot, 0);
            }
        }
        counts.incrementAndGet(slot);
    }

    /** Commands per second over the last {@code windowSeconds} whole seconds (at most 300). */
    public double perSecond(int windowSeconds) {
        if (windowSeconds < 1 || windowSeconds > MAX_WINDOW) {
            throw new IllegalArgumentException("window of " + windowSeconds + " s: 1 to " + MAX_WINDOW);
        }
        long now = clockMillis.getAsLong() / 1000;
        long span = Math.min(windowSeconds, now - startSecond);
        if (span <= 0) {
            return 0;
        }
        long sum = 0;
        for (long s = now - span; s < now; s++) {
            int slot = (int) (s % SLOTS);
            if (seconds.get(slot) == s) {
                sum += counts.get(slot);
            }
        }
        return (double) sum / span;
    }
}
