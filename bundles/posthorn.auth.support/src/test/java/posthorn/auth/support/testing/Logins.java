package posthorn.auth.support.testing;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import posthorn.auth.api.Verdict;

/**
 * Timed logins, for the tests of a backend whose server goes away and comes back. Shared by the
 * backends' tests (this module's test-jar).
 */
public final class Logins {

    /** What a login answered while the server was away counts as "at once" under this. */
    public static final long AT_ONCE_MS = 200;

    private Logins() {
    }

    /** Logs in {@code n} times in a row; each must be Unavailable. How long each took, in ms. */
    public static List<Long> unavailable(int n, Supplier<Verdict> login) {
        List<Long> millis = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            assertInstanceOf(Verdict.Unavailable.class, login.get());
            millis.add((System.nanoTime() - start) / 1_000_000);
        }
        return millis;
    }

    /** The first login took at most {@code firstMax} ms (the backend's own timeout), the rest {@link #AT_ONCE_MS}. */
    public static void assertFirstThenAtOnce(List<Long> millis, long firstMax) {
        assertTrue(millis.get(0) < firstMax, "the first login waits the backend's timeout at most: " + millis);
        for (long ms : millis.subList(1, millis.size())) {
            assertTrue(ms < AT_ONCE_MS, "while known to be down, logins answer at once: " + millis);
        }
    }

    /**
     * The first success of a client that tries every 50 ms.
     *
     * @param afterMillis how long after the start it came
     * @param tookMillis  how long that login itself took
     */
    public record Back(long afterMillis, long tookMillis) {
    }

    /** Logs in every 50 ms until a login succeeds; fails the test if none does {@code within}. */
    public static Back untilSuccess(Supplier<Verdict> login, Duration within) throws InterruptedException {
        long begin = System.nanoTime();
        Verdict v;
        while (true) {
            long start = System.nanoTime();
            v = login.get();
            long now = System.nanoTime();
            if (v instanceof Verdict.Success) {
                return new Back((now - begin) / 1_000_000, (now - start) / 1_000_000);
            }
            if (now - begin > within.toNanos()) {
                fail("no login succeeded within " + within + "; the last: " + v);
            }
            Thread.sleep(50);
        }
    }
}
