package posthorn.auth.support.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import posthorn.auth.api.Verdict;
import posthorn.auth.support.testing.LogCapture;

class ReachabilityTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private Reachability reachability(Duration downRetry) {
        return new Reachability("test: server", LoggerFactory.getLogger("posthorn.test.Reachability"), downRetry,
                now::get);
    }

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void aServerThatIsDownIsNotAskedUntilDownRetryHasPassed() {
        Reachability r = reachability(Duration.ofSeconds(5));
        assertTrue(r.skip().isEmpty(), "a server not known to be down is asked");
        r.unreachable("connect error: refused");
        Verdict.Unavailable v = r.skip().orElseThrow();
        assertEquals("test: server unreachable, not asked for another 5 s", v.reason());
        advance(Duration.ofMillis(4999));
        assertTrue(r.skip().isPresent());
        advance(Duration.ofMillis(1));
        assertTrue(r.skip().isEmpty(), "after down.retry, one caller tries again");
        assertTrue(r.skip().isPresent(), "the others do not, while it tries");
        r.unreachable("connect error: refused");
        advance(Duration.ofSeconds(4));
        assertTrue(r.skip().isPresent(), "a failed try keeps it closed for another down.retry");
        advance(Duration.ofSeconds(1));
        assertTrue(r.skip().isEmpty());
        r.answered();
        assertTrue(r.skip().isEmpty());
        assertTrue(r.skip().isEmpty(), "an answer lets everyone through again");
    }

    @Test
    void aTryThatNeverReportsBackDoesNotBlockTheNextOne() {
        Reachability r = reachability(Duration.ofSeconds(5));
        r.unreachable("timeout");
        advance(Duration.ofSeconds(5));
        assertTrue(r.skip().isEmpty());
        advance(Duration.ofSeconds(5));
        assertTrue(r.skip().isEmpty(), "the next try comes after another down.retry");
    }

    @Test
    void aFailureThatIsNotAboutReachingTheServerNeverSkipsIt() {
        Reachability r = reachability(Duration.ofSeconds(5));
        r.failed("no such table");
        assertTrue(r.skip().isEmpty());
        r.failed("no such table");
        assertTrue(r.skip().isEmpty());
    }

    @Test
    void downRetryZeroAsksEveryTime() {
        Reachability r = reachability(Duration.ZERO);
        r.unreachable("timeout");
        assertTrue(r.skip().isEmpty());
        assertTrue(r.skip().isEmpty());
    }

    @Test
    void oneWarnLineWhenItGoesOneInfoLineWhenItIsBack() {
        Reachability r = reachability(Duration.ofSeconds(5));
        List<String> warnings;
        List<String> infos;
        try (LogCapture log = new LogCapture()) {
            r.answered();
            for (int i = 0; i < 20; i++) {
                r.skip();
                r.unreachable("connect error: refused");
                advance(Duration.ofSeconds(1));
            }
            r.answered();
            r.answered();
            warnings = log.lines("WARN", "posthorn.test");
            infos = log.lines("INFO", "posthorn.test");
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("test: server unreachable: connect error: refused"), warnings.get(0));
        assertEquals(1, infos.size(), infos.toString());
        assertTrue(infos.get(0).contains("test: server reachable again after 20 s"), infos.get(0));
    }

    @Test
    void aChangeBetweenUnreachableAndFailingIsLoggedAgain() {
        Reachability r = reachability(Duration.ofSeconds(5));
        List<String> warnings;
        List<String> infos;
        try (LogCapture log = new LogCapture()) {
            r.failed("no such table");
            r.failed("no such table");
            r.unreachable("timeout");
            r.unreachable("timeout");
            r.failed("no such table");
            r.answered();
            warnings = log.lines("WARN", "posthorn.test");
            infos = log.lines("INFO", "posthorn.test");
        }
        assertEquals(3, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("test: server unavailable: no such table"), warnings.get(0));
        assertEquals(1, infos.size(), infos.toString());
        assertFalse(infos.get(0).contains("reachable"), "it was reached, it just failed: " + infos.get(0));
    }
}
