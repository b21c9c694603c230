package posthorn.imap.server.internal.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;

class VerifiedCacheTest {
    private final UserRecord carol = UserRecord.of("carol", Path.of("/home/carol"));

    @Test
    void remembersOnlyTheVerifiedPasswordForItsUser() {
        VerifiedCache cache = new VerifiedCache(60);
        cache.put("carol", Secret.of("right"), "userdb", carol);
        assertEquals(carol, cache.get("carol", Secret.of("right")));
        assertNull(cache.get("carol", Secret.of("wrong")));
        assertNull(cache.get("dave", Secret.of("right")));
        assertEquals("userdb", cache.backendOf("carol"));
    }

    @Test
    void forgetsWhatAnUnboundBackendVouchedFor() {
        VerifiedCache cache = new VerifiedCache(60);
        cache.put("carol", Secret.of("right"), "userdb", carol);
        cache.forgetBackend("ldap");
        assertEquals(carol, cache.get("carol", Secret.of("right")));
        cache.forgetBackend("userdb");
        assertNull(cache.get("carol", Secret.of("right")));
    }

    @Test
    void zeroTtlTurnsItOff() {
        VerifiedCache off = new VerifiedCache(0);
        off.put("carol", Secret.of("right"), "userdb", carol);
        assertNull(off.get("carol", Secret.of("right")));
    }

    @Test
    void entriesExpireAfterTheTtl() {
        AtomicLong now = new AtomicLong(5_000_000_000L);
        VerifiedCache cache = new VerifiedCache(1, now::get);
        cache.put("carol", Secret.of("right"), "userdb", carol);
        assertEquals(carol, cache.get("carol", Secret.of("right")));
        now.addAndGet(1_000_000_000L); // exactly the TTL: still good
        assertEquals(carol, cache.get("carol", Secret.of("right")));
        now.addAndGet(1);
        assertNull(cache.get("carol", Secret.of("right")));
        assertNull(cache.backendOf("carol"), "an expired entry is dropped, not kept");
    }

    @Test
    void expiryWorksAcrossTheNanoTimeWrap() {
        // System.nanoTime may be negative and may wrap; only differences count.
        AtomicLong now = new AtomicLong(Long.MAX_VALUE - 500_000_000L);
        VerifiedCache cache = new VerifiedCache(1, now::get);
        cache.put("carol", Secret.of("right"), "userdb", carol);
        now.addAndGet(900_000_000L);
        assertEquals(carol, cache.get("carol", Secret.of("right")));
        now.addAndGet(200_000_000L);
        assertNull(cache.get("carol", Secret.of("right")));
    }

    @Test
    void anAnswerCheckedBeforeTheLastClearIsNotKept() {
        VerifiedCache cache = new VerifiedCache(60);
        long epoch = cache.epoch();
        cache.clear(); // the configuration changed while the check ran
        cache.put("carol", Secret.of("right"), "userdb", carol, epoch);
        assertNull(cache.get("carol", Secret.of("right")));
        cache.put("carol", Secret.of("right"), "userdb", carol, cache.epoch());
        assertEquals(carol, cache.get("carol", Secret.of("right")));
    }
}
