package posthorn.imap.server.internal.stats;

import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.imap.server.admin.ServerObserver;

/**
 * The counters of the whole server since it started, for the admin console: connections admitted,
 * logins by result, commands, and the bytes of sessions that have ended (an open session's own
 * counts are added when the console asks). Thread-safe.
 */
public final class ServerCounters {
    private static final Logger LOG = LoggerFactory.getLogger(ServerCounters.class);
    private static final ServerObserver[] NONE = {};

    /**
     * The observers bound now (admin.ServerObserver, for metrics): copied on write, read without a
     * lock on every event, so that the common case, none, costs one volatile read and no clock.
     */
    private volatile ServerObserver[] observers = NONE;
    /** Observers that threw once: logged once each, not again. */
    private final Set<ServerObserver> complained = ConcurrentHashMap.newKeySet();
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

    public synchronized void observe(ServerObserver o) {
        ServerObserver[] a = Arrays.copyOf(observers, observers.length + 1);
        a[a.length - 1] = o;
        observers = a;
    }

    public synchronized void unobserve(ServerObserver o) {
        observers = Arrays.stream(observers).filter(x -> x != o).toArray(ServerObserver[]::new);
        complained.remove(o);
    }

    /** Whether anyone observes: callers read the clock for {@link #commandDone} and {@link #storeDone} only then. */
    public boolean observed() {
        return observers.length != 0;
    }

    /** A command from the command table was answered after {@code nanos}. */
    public void commandDone(String name, long nanos) {
        for (ServerObserver o : observers) {
            try {
                o.command(name, nanos);
            } catch (RuntimeException e) {
                complain(o, e);
            }
        }
    }

    /** A store call made for a session ended after {@code nanos}. */
    public void storeDone(String operation, long nanos, boolean failed) {
        for (ServerObserver o : observers) {
            try {
                o.store(operation, nanos, failed);
            } catch (RuntimeException e) {
                complain(o, e);
            }
        }
    }

    private void complain(ServerObserver o, RuntimeException e) {
        if (complained.add(o)) {
            LOG.warn("event=observer.failed observer={} error=\"{}\" (logged once; its further failures are ignored)",
                    o.getClass().getName(), e.toString());
        }
    }
}
