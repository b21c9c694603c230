package posthorn.imap.server.internal.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;

/**
 * Successful password checks, remembered for a short time so that a client that logs in again and
 * again (a phone polling, a stress test) does not pay for a slow crypt(3) hash each time. Like
 * Dovecot's auth cache: only successes are kept (a wrong password always reaches the backends and
 * the brute-force delay), for {@code auth.cache.ttl} seconds at most, and dropped when the backend
 * that vouched for them goes away or the chain changes. The password itself is never kept: the key
 * is an HMAC of it under a random key made at start. Thread-safe.
 *
 * <p>Each {@link #clear} starts a new epoch. A check takes the epoch before it asks the backends and
 * hands it to {@link #put}: an answer given under a configuration that changed while it ran is not
 * kept, and an entry of an older epoch is never returned (even if it slipped in during the clear).
 */
final class VerifiedCache {
    private record Entry(byte[] mac, String backend, UserRecord user, long expires, long epoch) {
    }

    private static final int MAX_ENTRIES = 100_000;
    private final byte[] key = new byte[32];
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private volatile long ttlNanos;
    private final AtomicLong epoch = new AtomicLong();
    /** Nanoseconds on a monotonic clock (System.nanoTime in service, a hand-turned one in tests). */
    private final LongSupplier clockNanos;

    VerifiedCache(long ttlSeconds, LongSupplier clockNanos) {
        this.clockNanos = clockNanos;
        new SecureRandom().nextBytes(key);
        ttl(ttlSeconds);
    }

    VerifiedCache(long ttlSeconds) {
        this(ttlSeconds, System::nanoTime);
    }

    void ttl(long seconds) {
        ttlNanos = Math.max(0, seconds) * 1_000_000_000L;
        if (ttlNanos == 0) {
            entries.clear();
        }
    }

    /** The user's record if this password was verified within the TTL, else null. */
    UserRecord get(String user, Secret password) {
        if (ttlNanos == 0) {
            return null;
        }
        Entry e = entries.get(user);
        if (e == null) {
            return null;
        }
        if (e.epoch() != epoch.get() || clockNanos.getAsLong() - e.expires() > 0) {
            entries.remove(user, e);
            return null;
        }
        return MessageDigest.isEqual(e.mac(), mac(user, password)) ? e.user() : null;
    }

    String backendOf(String user) {
        Entry e = entries.get(user);
        return e == null ? null : e.backend();
    }

    /** The epoch now: take it before asking the backends, and give it to {@link #put}. */
    long epoch() {
        return epoch.get();
    }

    /** Remembers a success checked in {@code checkedIn} (an {@link #epoch()}), unless it is over. */
    void put(String user, Secret password, String backend, UserRecord record, long checkedIn) {
        if (ttlNanos == 0 || checkedIn != epoch.get()) {
            return;
        }
        if (entries.size() >= MAX_ENTRIES) {
            entries.clear(); // crude but bounded; the cache only saves work
        }
        entries.put(user, new Entry(mac(user, password), backend, record, clockNanos.getAsLong() + ttlNanos, checkedIn));
    }

    /** Remembers a success checked just now. */
    void put(String user, Secret password, String backend, UserRecord record) {
        put(user, password, backend, record, epoch.get());
    }

    /** Forgets what a backend vouched for (it was unbound or replaced). */
    void forgetBackend(String backend) {
        entries.values().removeIf(e -> e.backend().equals(backend));
    }

    /** Forgets everything, and every answer still being checked (a new epoch). */
    void clear() {
        epoch.incrementAndGet();
        entries.clear();
    }

    private byte[] mac(String user, Secret password) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            m.update(user.getBytes(StandardCharsets.UTF_8));
            m.update((byte) 0);
            byte[] pw = password.utf8();
            try {
                return m.doFinal(pw);
            } finally {
                java.util.Arrays.fill(pw, (byte) 0);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing", e);
        }
    }
}
