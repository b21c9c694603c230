package posthorn.imap.server.internal.stats;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.HdrHistogram.ConcurrentHistogram;

/**
 * What one auth backend answered since the server started: a count per answer, and the time of its
 * answers in a histogram (HdrHistogram, two significant digits: a percentile is off by at most 1%,
 * in a few kilobytes whatever the number of logins), from which the admin console reads p50 and p99.
 *
 * <p>Thread-safe: logins record from their own threads while the console reads.
 */
public final class BackendStats {
    /** What a backend answered (the four verdicts of posthorn.auth.api, and no answer at all). */
    public enum Answer {
        OK, WRONG_PASSWORD, NO_SUCH_USER, UNAVAILABLE
    }

    private final LongAdder[] counts = new LongAdder[Answer.values().length];
    /** Answer times in microseconds; grows its range as slower answers come (auto-resize). */
    private final ConcurrentHistogram micros = new ConcurrentHistogram(2);

    public BackendStats() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    /** One answer, and how long the backend took to give it. */
    public void record(Answer answer, long nanos) {
        counts[answer.ordinal()].increment();
        micros.recordValue(Math.max(0, TimeUnit.NANOSECONDS.toMicros(nanos)));
    }

    public long count(Answer answer) {
        return counts[answer.ordinal()].sum();
    }

    /**
     * The answer time below which the given share of answers fell (50 for the median), or null
     * before the first answer.
     */
    public Duration percentile(double percent) {
        if (micros.getTotalCount() == 0) {
            return null;
        }
        return Duration.ofNanos(TimeUnit.MICROSECONDS.toNanos(micros.getValueAtPercentile(percent)));
    }
}
