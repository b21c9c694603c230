package posthorn.imap.server.internal.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;

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
    void zeroTtlTurnsItOffAndEntriesExpire() throws InterruptedException {
        VerifiedCache off = new VerifiedCache(0);
        off.put("carol", Secret.of("right"), "userdb", carol);
        assertNull(off.get("carol", Secret.of("right")));

        VerifiedCache cache = new VerifiedCache(1);
        cache.put("carol", Secret.of("right"), "userdb", carol);
        assertEquals(carol, cache.get("carol", Secret.of("right")));
        Thread.sleep(1100);
        assertNull(cache.get("carol", Secret.of("right")));
    }
}
