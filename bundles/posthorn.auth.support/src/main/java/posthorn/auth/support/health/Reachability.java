package posthorn.auth.support.health;

import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;

import org.slf4j.Logger;

import posthorn.auth.api.Verdict;
import posthorn.auth.support.config.BadSetting;

/**
 * What a backend knows of the server behind it (a directory, a database): whether to ask it now,
 * and what to log when that changes. One per configured server; thread-safe.
 *
 * <p>Circuit breaker: after a failure that shows the server cannot be reached (connection refused,
 * no answer in time, connection lost: {@link #unreachable}), the server is not asked for
 * {@code down.retry}: {@link #skip} gives the Unavailable verdict to answer at once, so that one
 * dead server costs each login nothing, and the auth chain moves on. When {@code down.retry} has
 * passed, one caller is let through to try again (the others keep being answered at once, and if
 * that caller never reports back, the next is let through after another {@code down.retry}); an
 * answer closes the breaker ({@link #answered}), another failure keeps it open. A failure of a
 * server that did answer (a bad query, a refused service account: {@link #failed}) never opens it:
 * asking again is cheap, and the operator's fix should take effect at once. {@code down.retry}
 * zero turns the breaker off.
 *
 * <p>Logging: one WARN line when the server stops answering (with the reason) and one INFO line
 * when it answers again (with how long it was away and how many requests were answered without
 * it); in between, at most DEBUG. A change from unreachable to failing, or back, is a WARN again.
 */
public final class Reachability {

    private enum State { UP, FAILING, DOWN }

    private final String server;
    private final Logger log;
    private final long downRetryNanos;
    private final LongSupplier clock;

    // guarded by this
    private State state = State.UP;
    private long since;
    private long retryAt;
    private long skipped;

    /**
     * @param server    how log lines and verdicts name the server, e.g. {@code ldap: directory}
     * @param log       the backend's logger, so the lines carry its name
     * @param downRetry how long a server that cannot be reached is not asked; zero: always ask
     */
    public Reachability(String server, Logger log, Duration downRetry) {
        this(server, log, downRetry, System::nanoTime);
    }

    /** As above, with the clock ({@link System#nanoTime()} or a test's). */
    public Reachability(String server, Logger log, Duration downRetry, LongSupplier nanoClock) {
        this.server = server;
        this.log = log;
        this.downRetryNanos = downRetry.toNanos();
        this.clock = nanoClock;
    }

    /**
     * The answer to give without asking the server, while it is known to be unreachable; empty when
     * the caller should ask it (it then reports what happened to one of the other methods).
     */
    public Optional<Verdict.Unavailable> skip() {
        long wait;
        synchronized (this) {
            if (state != State.DOWN || downRetryNanos == 0) {
                return Optional.empty();
            }
            long now = clock.getAsLong();
            wait = retryAt - now;
            if (wait <= 0) {
                retryAt = now + downRetryNanos; // this caller tries; the rest wait for its outcome, or the next turn
                return Optional.empty();
            }
            skipped++;
        }
        // short: the chain may log it at every login; the WARN line said why
        String answer = server + " unreachable, not asked for another " + seconds(wait) + " s";
        log.debug("{}", answer);
        return Optional.of(new Verdict.Unavailable(answer));
    }

    /** The server answered (whatever it said): it is reachable. */
    public void answered() {
        State was;
        long away;
        long count;
        synchronized (this) {
            was = state;
            away = clock.getAsLong() - since;
            count = skipped;
            state = State.UP;
            skipped = 0;
        }
        if (was == State.DOWN) {
            log.info("{} reachable again after {} s ({} requests answered 'unavailable' without asking it)", server,
                    seconds(away), count);
        } else if (was == State.FAILING) {
            log.info("{} answering again after {} s", server, seconds(away));
        }
    }

    /** The server could not be reached: refused, timed out, or the connection was lost. */
    public void unreachable(String why) {
        if (change(State.DOWN)) {
            if (downRetryNanos == 0) {
                log.warn("{} unreachable: {}", server, why);
            } else {
                log.warn("{} unreachable: {}; asking it again every {} s until it answers", server, why,
                        seconds(downRetryNanos));
            }
        } else {
            log.debug("{} still unreachable: {}", server, why);
        }
    }

    /** The server was reached but could not serve the request (a broken query, a refused service account). */
    public void failed(String why) {
        if (change(State.FAILING)) {
            log.warn("{} unavailable: {}", server, why);
        } else {
            log.debug("{} still unavailable: {}", server, why);
        }
    }

    /** Enters {@code next}; true if that is a change worth a WARN line. */
    private synchronized boolean change(State next) {
        long now = clock.getAsLong();
        boolean changed = state != next;
        if (state == State.UP) {
            since = now;
        }
        state = next;
        if (next == State.DOWN) {
            retryAt = now + downRetryNanos;
        }
        return changed;
    }

    private static long seconds(long nanos) {
        return Math.max(1, Math.round(nanos / 1e9));
    }

    /** {@code down.retry} as configured in seconds, checked: 0 (off) up to an hour. */
    public static Duration downRetry(String key, int seconds) {
        if (seconds < 0 || seconds > 3600) {
            throw new BadSetting(key, "must be 0 (off) to 3600 seconds");
        }
        return Duration.ofSeconds(seconds);
    }
}
