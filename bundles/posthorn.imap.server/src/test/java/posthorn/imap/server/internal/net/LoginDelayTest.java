package posthorn.imap.server.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class LoginDelayTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final LoginDelay delay = new LoginDelay(now::get);

    private long fail(String address, String user) {
        return delay.failed(address, user, 500, 15_000, 900).delayMillis();
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
}
