package posthorn.imap.server.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

class LoginDelayTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final LoginDelay delay = new LoginDelay(now::get);

    private long fail(String address, String user) {
        return delay.failed(address, user, 500, 15_000, 900).delayMillis();
    }

    private LoginDelay.Attempt begin(String address, String user) {
        return delay.begin(address, user, 500, 15_000, 900);
    }

    /**
     * Many connections of one user from one address logging in at once with the right password (a
     * benchmark's or a proxy's, Thunderbird's five): none has failed, so none may wait. A success once
     * stopped counting as in flight before it stopped counting as a failure, and an attempt begun in
     * between counted every attempt in flight as a failure (seen: correct logins delayed 4-46 s).
     */
    @Test
    void rightPasswordsInParallelNeverWait() throws InterruptedException {
        LoginDelay real = new LoginDelay();
        AtomicReference<String> delayed = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int k = 0; k < 20_000 && delayed.get() == null; k++) {
                    LoginDelay.Attempt a = real.begin("192.0.2.9", "carol", 500, 15_000, 900);
                    if (a.before().delayMillis() != 0) {
                        delayed.compareAndSet(null, "attempt " + k + ": " + a.before());
                    }
                    a.succeeded();
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(null, delayed.get());
    }

    @Test
    void doublesPerFailureUpToTheMaximum() {
        long[] expected = {500, 1000, 2000, 4000, 8000, 15_000, 15_000};
        for (long e : expected) {
            assertEquals(e, fail("192.0.2.1", "alice"));
        }
    }

    @Test
    void countsPerUserAcrossAddresses() {
        assertEquals(500, fail("192.0.2.1", "bob"));
        assertEquals(1000, fail("192.0.2.2", "bob"));
        LoginDelay.Penalty p = delay.failed("192.0.2.3", "BOB", 500, 15_000, 900);
        assertEquals(1, p.addressFailures());
        assertEquals(3, p.userFailures());
        assertEquals(2000, p.delayMillis());
    }

    @Test
    void countsPerAddressAcrossUsers() {
        assertEquals(500, fail("192.0.2.9", "u1"));
        assertEquals(1000, fail("192.0.2.9", "u2"));
        assertEquals(2000, fail("192.0.2.9", null));
        assertEquals(500, fail("192.0.2.10", "u3"));
    }

    @Test
    void failuresAreForgottenAfterTheWindow() {
        fail("192.0.2.4", "carol");
        fail("192.0.2.4", "carol");
        now.addAndGet(600_000);
        assertEquals(2000, fail("192.0.2.4", "carol"));
        now.addAndGet(400_000); // the first two are now older than 900 s
        assertEquals(1000, fail("192.0.2.4", "carol"));
        now.addAndGet(901_000);
        assertEquals(500, fail("192.0.2.4", "carol"));
    }

    @Test
    void noBaseNoDelayAndNoOverflow() {
        assertEquals(0, delay.failed("192.0.2.5", "dave", 0, 15_000, 900).delayMillis());
        assertEquals(0, LoginDelay.delay(0, 500, 15_000));
        assertEquals(Long.MAX_VALUE, LoginDelay.delay(64, Long.MAX_VALUE / 2, Long.MAX_VALUE));
        assertEquals(15_000, LoginDelay.delay(1000, 500, 15_000));
    }

    @Test
    void tablesStayBounded() {
        for (int i = 0; i < LoginDelay.MAX_KEYS + 10; i++) {
            fail("10.0." + (i >> 8) + "." + (i & 255), "user" + i);
        }
        // still works after the table was pruned
        assertEquals(500, fail("198.51.100.1", "erin"));
    }

    @Test
    void aFirstAttemptIsCheckedAtOnce() {
        LoginDelay.Attempt a = begin("192.0.2.20", "frank");
        assertEquals(new LoginDelay.Penalty(0, 0, 0), a.before());
        assertEquals(0, a.waitMillis());
    }

    @Test
    void everyAttemptAfterFailuresWaitsBeforeItsCheckRightOrWrong() {
        fail("192.0.2.21", "gina");
        fail("192.0.2.21", "gina");
        LoginDelay.Attempt right = begin("192.0.2.21", "gina");
        assertEquals(new LoginDelay.Penalty(2, 2, 1000), right.before());
        now.addAndGet(400);
        assertEquals(600, right.waitMillis(), "what is left of the wait");
        now.addAndGet(600);
        right.succeeded();
        LoginDelay.Attempt again = begin("192.0.2.21", "gina");
        assertEquals(1000, again.before().delayMillis(), "a success neither counts nor resets the failures");
        again.succeeded();
        assertEquals(1000, begin("192.0.2.22", "gina").before().delayMillis(), "the user's failures count elsewhere");
    }

    @Test
    void aFailureIsAnsweredAtTheDelayOfItsOwnCountFromTheStartOfTheAttempt() {
        fail("192.0.2.23", "hugo");
        fail("192.0.2.23", "hugo");
        LoginDelay.Attempt a = begin("192.0.2.23", "hugo");
        now.addAndGet(1000); // waited before the check
        LoginDelay.Penalty p = a.failed();
        assertEquals(new LoginDelay.Penalty(3, 3, 2000), p, "the third failure earns 2 s, as it always did");
        assertEquals(1000, a.left(p.delayMillis()), "1 s of it was spent before the check");
    }

    @Test
    void anAttemptAbandonedBeforeItsCheckCountsAsAFailure() {
        LoginDelay.Attempt first = begin("192.0.2.24", "ivan");
        first.failed();
        LoginDelay.Attempt gone = begin("192.0.2.24", "ivan");
        assertEquals(500, gone.before().delayMillis());
        now.addAndGet(50);
        gone.abandoned();
        now.addAndGet(300);
        LoginDelay.Attempt third = begin("192.0.2.24", "ivan");
        assertEquals(new LoginDelay.Penalty(2, 2, 1000), third.before());
        now.addAndGet(1000);
        assertEquals(new LoginDelay.Penalty(3, 3, 2000), third.failed(), "answered 2 s after it began, as before");
    }

    @Test
    void parallelAttemptsFromOneAddressCountAndAreCheckedTheDelayApart() {
        fail("192.0.2.25", "u0"); // the defence against parallel guesses starts with a failure on record
        LoginDelay.Attempt a = begin("192.0.2.25", "u1");
        LoginDelay.Attempt b = begin("192.0.2.25", "u2");
        LoginDelay.Attempt c = begin("192.0.2.25", "u3");
        assertEquals(new LoginDelay.Penalty(1, 0, 500), a.before());
        assertEquals(new LoginDelay.Penalty(2, 0, 1500), b.before(), "a counts while it is in flight; checked 1 s after a's check");
        assertEquals(new LoginDelay.Penalty(3, 0, 3500), c.before(), "checked 2 s after b's check");
        a.succeeded();
        b.failed();
        c.failed();
        LoginDelay.Attempt d = begin("192.0.2.25", "u4");
        assertEquals(new LoginDelay.Penalty(3, 0, 2000), d.before(), "a was right: it no longer counts");
        d.abandoned();
        assertEquals(4000, begin("192.0.2.25", "u5").before().delayMillis(), "no backlog once they are done");
    }

    @Test
    void parallelAttemptsForOneUserFromManyAddressesCountButAreNotSpaced() {
        // Someone guessing at a user from many addresses slows its owner by at most auth.delay.max.
        fail("192.0.2.29", "judy");
        assertEquals(500, begin("192.0.2.30", "judy").before().delayMillis());
        assertEquals(1000, begin("192.0.2.31", "judy").before().delayMillis());
        assertEquals(2000, begin("192.0.2.32", "judy").before().delayMillis());
        for (int i = 0; i < 20; i++) {
            begin("192.0.2." + (40 + i), "judy");
        }
        assertEquals(15_000, begin("192.0.2.99", "judy").before().delayMillis());
    }

    @Test
    void parallelAttemptsWithoutAFailureOnRecordAreNotDelayed() {
        // A client opening many connections at once (Thunderbird, mbsync, the benchmark's 200 IDLE
        // sessions of one user) is no attack: nothing has failed yet.
        java.util.List<LoginDelay.Attempt> open = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) {
            LoginDelay.Attempt a = begin("192.0.2.50", "mia");
            assertEquals(new LoginDelay.Penalty(0, 0, 0), a.before(), "attempt " + i);
            open.add(a);
        }
        open.forEach(LoginDelay.Attempt::succeeded);
        assertEquals(0, begin("192.0.2.50", "mia").before().delayMillis());
        // With one failure on record, attempts in flight count again.
        begin("192.0.2.51", "nina").failed();
        LoginDelay.Attempt x = begin("192.0.2.51", "nina");
        LoginDelay.Attempt y = begin("192.0.2.51", "nina");
        assertEquals(500, x.before().delayMillis());
        assertEquals(1500, y.before().delayMillis(), "x in flight counts; checked 1 s after x's check");
    }

    @Test
    void unavailableAnswersCountForTheAddressOnly() {
        LoginDelay.Attempt a = begin("192.0.2.26", "kim");
        a.unavailable();
        LoginDelay.Penalty next = begin("192.0.2.26", "kim").before();
        assertEquals(1, next.addressFailures(), "a flood of UNAVAILABLE answers is slowed down");
        assertEquals(0, next.userFailures(), "an outage does not count against the user");
    }

    @Test
    void aBacklogNeverOutlivesTheWindow() {
        // An attempt that is never resolved (a bug) does not hold the address back for good.
        LoginDelay.Attempt lost = begin("192.0.2.27", "lee");
        assertEquals(0, lost.before().delayMillis());
        now.addAndGet(901_000);
        LoginDelay.Attempt later = begin("192.0.2.27", "lee");
        assertEquals(0, later.before().delayMillis());
        assertTrue(later.waitMillis() == 0);
    }
}
