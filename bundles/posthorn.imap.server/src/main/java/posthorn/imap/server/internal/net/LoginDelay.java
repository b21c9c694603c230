package posthorn.imap.server.internal.net;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The brute-force defence, after Dovecot's auth penalty: every login attempt from an address, or for
 * a user name, with recent failures waits before its password is checked, right or wrong; so a
 * client that hangs up early learns nothing, and the right password costs an attacker as much time
 * as a wrong one.
 *
 * <p>The delay for {@code n} recent failures (of the address or the user, whichever has more) is
 * {@code base * 2^(n-1)}, at most {@code max}; none for {@code n = 0}. A failure stops counting
 * {@code window} after it happened. The schedule of one attempt, from its start:
 * <ul>
 * <li>its password is checked after the delay of the failures before it;
 * <li>a right one is answered then; a wrong one no sooner than the delay of the failures including
 * itself (base, 2 x base, ... as failures have always been answered); an UNAVAILABLE one at once.
 * </ul>
 *
 * <p>What counts as a failure: an attempt counts from the moment it begins, until its check says the
 * password was right. So an attempt abandoned before its check (the client hung up during the
 * delay) counts as a failure, and, once an address or user has a failure on record, so does every
 * attempt of it still in flight: parallel attempts then raise each other's delays. Before any
 * failure, attempts in flight count for nothing: a client opening several connections at once
 * (Thunderbird, mbsync, a load balancer's many users behind one address) is not delayed for it, as
 * Dovecot's penalty starts with the first failure too. An UNAVAILABLE answer counts for the address only (so that it cannot be used
 * to flood the log), not for the user (an outage must not count against the owner). A success does
 * not clear the counts: an attacker's hit must not reset the defence.
 *
 * <p>Parallel connections from one address share its penalty: their checks are spaced at least the
 * delay apart (each attempt is checked the delay after the latest check booked by an attempt of the
 * address still in flight), so N connections guess no faster than one. A user's count lengthens the
 * delay but does not space the checks, so that someone guessing at a user from many addresses slows
 * the owner by at most {@code max}.
 *
 * <p>Shared by all sessions; thread-safe. The tables are bounded: past {@link #MAX_KEYS} entries the
 * expired ones are dropped, and if that is not enough, the whole table (an attacker spraying user
 * names or addresses then loses nothing but the memory it would have cost).
 */
public final class LoginDelay {
    static final int MAX_KEYS = 100_000;
    /** Counting further than the cap's exponent needs would only cost memory. */
    private static final int MAX_COUNTED = 64;

    /** The recent attempts of one address or user name; guarded by itself. */
    private static final class Track {
        /** Start times of the attempts that count as failures, oldest first. */
        final Deque<Long> failures = new ArrayDeque<>();
        /** Booked check times of this address's attempts still in flight. */
        final List<Long> booked = new ArrayList<>(2);
        /** How many of {@link #failures} are attempts still in flight (no outcome yet). */
        int inFlight;

        /** Drops what is older than the window; the number of failures left. */
        int expire(long horizon) {
            while (!failures.isEmpty() && failures.peekFirst() <= horizon) {
                failures.pollFirst();
            }
            booked.removeIf(t -> t <= horizon);
            return failures.size();
        }

        /**
         * What a new attempt counts: nothing while no attempt has failed (or been abandoned) within
         * the window; otherwise the failures and the attempts in flight.
         */
        int counted(long horizon) {
            int all = expire(horizon);
            return all > inFlight ? all : 0;
        }

        boolean idle(long horizon) {
            expire(horizon);
            return failures.isEmpty() && booked.isEmpty();
        }
    }

    private final Map<String, Track> byAddress = new ConcurrentHashMap<>();
    private final Map<String, Track> byUser = new ConcurrentHashMap<>();
    private final LongSupplier clockMillis;

    /** With a clock in milliseconds (tests turn it by hand). */
    public LoginDelay(LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
    }

    public LoginDelay() {
        this(System::currentTimeMillis);
    }

    /**
     * Failures counted (of the address, of the user) and the delay they earn, in milliseconds from
     * the start of the attempt.
     */
    public record Penalty(int addressFailures, int userFailures, long delayMillis) {
    }

    /**
     * Begins a login attempt: counts it at once, and books its check. The caller waits
     * {@link Attempt#waitMillis()}, checks the password, and then reports the outcome exactly once;
     * an attempt never reported counts as a failure.
     *
     * @param address the client's IP address
     * @param user the user name tried, or null when the mechanism did not get as far as a name
     */
    public Attempt begin(String address, String user, long baseMillis, long maxMillis, long windowSeconds) {
        return new Attempt(address, user == null ? null : user.toLowerCase(Locale.ROOT), baseMillis, maxMillis,
                windowSeconds * 1000);
    }

    /** Records a failed attempt now; its penalty is the delay its answer earns (as {@link Attempt#failed}). */
    public Penalty failed(String address, String user, long baseMillis, long maxMillis, long windowSeconds) {
        return begin(address, user, baseMillis, maxMillis, windowSeconds).failed();
    }

    /** One login attempt, from {@link #begin} to its outcome. Used by one thread. */
    public final class Attempt {
        private final String user;
        private final Track address;
        private final Track forUser;
        private final long start;
        private final long checkAt;
        private final Penalty before;
        private final long baseMillis;
        private final long maxMillis;
        private final long windowMillis;
        private Penalty after;
        private boolean done;

        private Attempt(String address, String user, long baseMillis, long maxMillis, long windowMillis) {
            this.user = user;
            this.baseMillis = baseMillis;
            this.maxMillis = maxMillis;
            this.windowMillis = windowMillis;
            this.start = clockMillis.getAsLong();
            long horizon = start - windowMillis;
            this.address = track(byAddress, address, horizon);
            this.forUser = user == null ? null : track(byUser, user, horizon);
            int u = 0;
            if (forUser != null) {
                synchronized (forUser) {
                    u = forUser.counted(horizon);
                    count(forUser);
                }
            }
            synchronized (this.address) {
                int a = this.address.counted(horizon);
                count(this.address);
                long wait = delay(Math.max(a, u), baseMillis, maxMillis);
                // A booking in the past spaces nothing (and one never released, e.g. of an exchange
                // the client cancelled, must not pile up).
                this.address.booked.removeIf(t -> t <= start);
                long latest = start;
                for (long t : this.address.booked) {
                    latest = Math.max(latest, t);
                }
                // In flight with others of the address: checked the delay after the latest of them.
                checkAt = wait == 0 ? start : latest + wait;
                this.address.booked.add(checkAt);
                before = new Penalty(a, u, checkAt - start);
            }
        }

        private void count(Track t) {
            t.inFlight++;
            t.failures.addLast(start);
            while (t.failures.size() > MAX_COUNTED) {
                t.failures.pollFirst();
            }
        }

        /** The failures before this attempt, and the wait before its check from its start. */
        public Penalty before() {
            return before;
        }

        /** Milliseconds still to wait before the check. */
        public long waitMillis() {
            return left(checkAt - start);
        }

        /** Milliseconds from now until {@code millisFromStart} after the attempt began; 0 if past. */
        public long left(long millisFromStart) {
            return Math.max(0, start + millisFromStart - clockMillis.getAsLong());
        }

        /** The password was right: the attempt stops counting (it is no failure). */
        public void succeeded() {
            finish(true, true);
        }

        /**
         * The password was wrong (or the user unknown, or the exchange failed): it keeps counting.
         * Returns the counts including it and the delay before answering, from the attempt's start.
         */
        public Penalty failed() {
            if (finish(false, false)) {
                long horizon = clockMillis.getAsLong() - windowMillis;
                int a;
                synchronized (address) {
                    a = address.counted(horizon);
                }
                int u = 0;
                if (forUser != null) {
                    synchronized (forUser) {
                        u = forUser.counted(horizon);
                    }
                }
                after = new Penalty(a, u, delay(Math.max(a, u), baseMillis, maxMillis));
            }
            return after != null ? after : before;
        }

        /** The chain could not answer: it counts for the address (log floods), not for the user (outages). */
        public void unavailable() {
            finish(false, true);
        }

        /** The client went away before the outcome: it keeps counting as a failure. */
        public void abandoned() {
            finish(false, false);
        }

        /**
         * Releases the booked check and ends the attempt's being in flight, withdrawing it from the
         * failures of the address and of the user as asked; whether this is the first outcome reported.
         * Each track changes in one step: an attempt that stopped being in flight while still on
         * record as a failure would look like a real failure to an attempt begun in between, and
         * make it count every attempt in flight.
         */
        private boolean finish(boolean withdrawAddress, boolean withdrawUser) {
            if (done) {
                return false;
            }
            done = true;
            synchronized (address) {
                address.booked.remove((Long) checkAt);
                address.inFlight = Math.max(0, address.inFlight - 1);
                if (withdrawAddress) {
                    address.failures.removeLastOccurrence(start);
                }
            }
            if (forUser != null) {
                synchronized (forUser) {
                    forUser.inFlight = Math.max(0, forUser.inFlight - 1);
                    if (withdrawUser) {
                        forUser.failures.removeLastOccurrence(start);
                    }
                }
            }
            return true;
        }

        @Override
        public String toString() {
            return "login attempt for " + user + " " + before;
        }
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

    private static Track track(Map<String, Track> table, String key, long horizon) {
        if (table.size() >= MAX_KEYS && !table.containsKey(key)) {
            prune(table, horizon);
            if (table.size() >= MAX_KEYS) {
                table.clear();
            }
        }
        return table.computeIfAbsent(key, k -> new Track());
    }

    private static void prune(Map<String, Track> table, long horizon) {
        for (Iterator<Map.Entry<String, Track>> it = table.entrySet().iterator(); it.hasNext();) {
            Track t = it.next().getValue();
            synchronized (t) {
                if (t.idle(horizon)) {
                    it.remove();
                }
            }
        }
    }
}
