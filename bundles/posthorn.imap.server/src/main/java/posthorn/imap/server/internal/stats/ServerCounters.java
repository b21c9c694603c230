package posthorn.imap.server.internal.stats;

import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of the whole server since it started, for the admin console: connections admitted,
 * logins by result, commands, and the bytes of sessions that have ended (an open session's own
 * counts are added when the console asks). Thread-safe.
 */
public final class ServerCounters {
    /** How a login attempt was answered. */
    public enum Login {
        OK, FAILED, UNAVAILABLE, REFUSED
    }

    private final Instant started = Instant.now();
    private final LongAdder connections = new LongAdder();
    private final LongAdder[] logins = new LongAdder[Login.values().length];
    private final LongAdder endedBytesIn = new LongAdder();
    private final LongAdder endedBytesOut = new LongAdder();
    private final CommandRate commands = new CommandRate(() -> System.nanoTime() / 1_000_000L);

    public ServerCounters() {
        for (int i = 0; i < logins.length; i++) {
            logins[i] = new LongAdder();
        }
    }

    public Instant started() {
        return started;
    }

    public void connected() {
        connections.increment();
    }

    public long connections() {
        return connections.sum();
    }

    public void login(Login result) {
        logins[result.ordinal()].increment();
    }

    public long logins(Login result) {
        return logins[result.ordinal()].sum();
    }

    public void command() {
        commands.count();
    }

    public CommandRate commands() {
        return commands;
    }

    /** A session ended with these totals. */
    public void ended(long bytesIn, long bytesOut) {
        endedBytesIn.add(bytesIn);
        endedBytesOut.add(bytesOut);
    }

    public long endedBytesIn() {
        return endedBytesIn.sum();
    }

    public long endedBytesOut() {
        return endedBytesOut.sum();
    }
}
