package posthorn.imap.server.internal.net;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The brute-force defence: how long to wait before answering a failed login. The delay grows with the
 * recent failures from the client's address and for the user name tried, whichever count is higher:
 * {@code base * 2^(n-1)} for the n-th recent failure, at most {@code max}. A failure stops counting
 * {@code window} after it happened. A successful login does not clear the counts (an attacker's hit
 * must not reset the defence), and is never delayed, so the owner of an account is not locked out by
 * someone guessing at it.
 *
 * <p>Shared by all sessions; thread-safe. The tables are bounded: past {@link #MAX_KEYS} entries the
 * expired ones are dropped, and if that is not enough, the whole table (an attacker spraying user
 * names or addresses then loses nothing but the memory it would have cost).
 */
public final class LoginDelay {
    static final int MAX_KEYS = 100_000;

    private final Map<String, Deque<Long>> byAddress = new ConcurrentHashMap<>();
    private final Map<String, Deque<Long>> byUser = new ConcurrentHashMap<>();
    private final LongSupplier clockMillis;

    LoginDelay(LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
    }

    public LoginDelay() {
        this(System::currentTimeMillis);
    }

    /** What a failure counted for, and the delay it earns. */
    public record Penalty(int addressFailures, int userFailures, long delayMillis) {
    }

    /**
     * Records a failed login and returns the delay to apply before answering it.
     *
     * @param address the client's IP address
     * @param user the user name tried, or null when the mechanism did not get as far as a name
     */
    public Penalty failed(String address, String user, long baseMillis, long maxMillis, long windowSeconds) {
        long now = clockMillis.getAsLong();
        long horizon = now - windowSeconds * 1000;
        int a = record(byAddress, address, now, horizon);
        int u = user == null ? 0 : record(byUser, user.toLowerCase(Locale.ROOT), now, horizon);
        return new Penalty(a, u, delay(Math.max(a, u), baseMillis, maxMillis));
    }

    /** {@code base * 2^(n-1)}, capped at {@code max}; 0 for no failures or no base. */
    static long delay(int failures, long baseMillis, long maxMillis) {
        if (failures <= 0 || baseMillis <= 0) {
            return 0;
        }
        int shift = Math.min(failures - 1, 40);
        long d = baseMillis << shift;
        return d < 0 || d > maxMillis || (d >> shift) != baseMillis ? Math.max(0, maxMillis) : d;
    }

    private static int record(Map<String, Deque<Long>> table, String key, long now, long horizon) {
        if (table.size() >= MAX_KEYS && !table.containsKey(key)) {
            prune(table, horizon);
            if (table.size() >= MAX_KEYS) {
                table.clear();
            }
        }
        Deque<Long> times = table.computeIfAbsent(key, k -> new ArrayDeque<>());
        synchronized (times) {
            while (!times.isEmpty() && times.peekFirst() <= horizon) {
                times.pollFirst();
            }
            times.addLast(now);
            // Counting further than the cap's exponent needs would only cost memory.
            while (times.size() > 64) {
                times.pollFirst();
            }
            return times.size();
        }
    }

    private static void prune(Map<String, Deque<Long>> table, long horizon) {
        for (Iterator<Map.Entry<String, Deque<Long>>> it = table.entrySet().iterator(); it.hasNext();) {
            Deque<Long> times = it.next().getValue();
            synchronized (times) {
                Long last = times.peekLast();
                if (last == null || last <= horizon) {
                    it.remove();
                }
            }
        }
    }
}
