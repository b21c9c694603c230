package posthorn.imap.server.internal.auth;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chain's circuit breakers, one per backend that could not answer lately (Unavailable, an error,
 * chain.timeout): such a backend is skipped for backend.retry, so that the rest of the chain answers
 * at once; then the first login after it asks the backend again, while the others keep skipping it.
 * A backend that answers (right, wrong or unknown user) is asked normally again. Logged once when a
 * backend starts being skipped and once when it answers again, whatever the number of logins.
 *
 * <p>Thread-safe: the breakers sit in a concurrent map, each guarded by itself.
 */
final class BackendBreakers {
    private static final Logger LOG = LoggerFactory.getLogger(AuthChain.class);

    private static final class Breaker {
        final long since;
        /** Until when logins skip the backend (nanoseconds on the clock). */
        long retryAt;
        int skipped;
        String reason;

        Breaker(long since) {
            this.since = since;
        }
    }

    /** Backends that could not answer lately, by name; absent while a backend answers. */
    private final Map<String, Breaker> breakers = new ConcurrentHashMap<>();
    /** Nanoseconds on a monotonic clock. */
    private final LongSupplier clockNanos;
    private volatile long retryNanos;

    BackendBreakers(LongSupplier clockNanos, long retryNanos) {
        this.clockNanos = clockNanos;
        this.retryNanos = retryNanos;
    }

    /** A new backend.retry; every backend is asked afresh. */
    void retry(long nanos) {
        retryNanos = nanos;
        breakers.clear();
    }

    /** The backend came or was reconfigured: ask it at once. */
    void reset(String backend) {
        breakers.remove(backend);
    }

    /** Whether the backend may be asked now: it answers, or this login is the one to try it again. */
    boolean admit(String backend) {
        Breaker b = breakers.get(backend);
        if (b == null) {
            return true;
        }
        long now = clockNanos.getAsLong();
        synchronized (b) {
            if (now - b.retryAt < 0) {
                b.skipped++;
                return false;
            }
            b.retryAt = now + retryNanos;
            return true;
        }
    }

    /** Why a skipped backend is skipped: what it last said. */
    String reason(String backend) {
        Breaker b = breakers.get(backend);
        if (b == null) {
            return "backend " + backend + " down";
        }
        synchronized (b) {
            return b.reason;
        }
    }

    /** Why the backend is skipped (what it last said), or null when it answers. */
    String failing(String backend) {
        Breaker b = breakers.get(backend);
        if (b == null) {
            return null;
        }
        synchronized (b) {
            return b.reason;
        }
    }

    /** The backend answered: its breaker, if any, closes. */
    void answered(String backend) {
        Breaker b = breakers.remove(backend);
        if (b != null) {
            long down = (clockNanos.getAsLong() - b.since) / 1_000_000_000L;
            synchronized (b) {
                LOG.info("auth backend {} answers again (down {} s; {} logins went without it)", backend, down, b.skipped);
            }
        }
    }

    /** The backend could not answer: it is skipped for backend.retry from now. */
    void down(String backend, String reason) {
        long now = clockNanos.getAsLong();
        boolean[] opened = {false};
        Breaker b = breakers.computeIfAbsent(backend, k -> {
            opened[0] = true;
            return new Breaker(now);
        });
        synchronized (b) {
            b.reason = reason;
            b.retryAt = now + retryNanos;
        }
        if (opened[0]) {
            LOG.warn("auth backend {} cannot answer ({}); skipped for {} s at a time until it answers again",
                    backend, reason, retryNanos / 1e9);
        } else {
            LOG.debug("auth backend {} still cannot answer ({})", backend, reason);
        }
    }
}
