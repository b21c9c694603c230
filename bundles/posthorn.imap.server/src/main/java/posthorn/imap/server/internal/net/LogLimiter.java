package posthorn.imap.server.internal.net;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a client from flooding the log. Events are counted by kind ("refused connection
 * (max.per.ip)") and client address, in windows of {@code log.repeat.window} seconds that start with
 * the first event: the first {@code log.repeat.max} of a window are logged as usual, the rest only
 * counted, and when the window is over one WARN line says how many were left out. A window is over
 * at the next event of its kind and address after its end, or at the next {@link #flush}, which the
 * server's watchdog calls every second, so the summary comes within a second of the window's end
 * even when the flood has stopped.
 *
 * <p>Memory is bounded: at most {@link #MAX_KEYS} windows are open; beyond that, events of a kind
 * from further addresses share one window under the address "(other addresses)". Thread-safe: the
 * accept thread and every session's thread call {@link #allow}.
 */
public final class LogLimiter {
    private static final Logger LOG = LoggerFactory.getLogger(LogLimiter.class);

    /** Most windows open at once. */
    static final int MAX_KEYS = 10_000;
    static final String OTHERS = "(other addresses)";

    private record Key(String kind, String address) {
    }

    private static final class Window {
        final long start;
        long events;

        Window(long start) {
            this.start = start;
        }
    }

    /** A window that ended with events left out, to be logged outside the lock. */
    private record Summary(Key key, long suppressed, long seconds) {
    }

    private final LongSupplier nanoClock;
    private final Map<Key, Window> windows = new HashMap<>();
    private int max = 5;
    private long windowNanos = 10_000_000_000L;

    public LogLimiter() {
        this(System::nanoTime);
    }

    LogLimiter(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /**
     * @param max events of a kind from one address logged per window; 0 logs every event
     * @param windowSeconds the window's length, at least 1
     */
    public synchronized void configure(int max, int windowSeconds) {
        this.max = max;
        this.windowNanos = Math.max(1, windowSeconds) * 1_000_000_000L;
    }

    /**
     * Counts an event; returns whether to log it. Log it only if so: the count of those not logged
     * is what the summary reports.
     */
    public boolean allow(String kind, InetAddress address) {
        List<Summary> ended = new ArrayList<>(1);
        boolean allowed;
        synchronized (this) {
            if (max <= 0) {
                return true;
            }
            long now = nanoClock.getAsLong();
            Key key = new Key(kind, address.getHostAddress());
            Window w = windows.get(key);
            if (w != null && now - w.start >= windowNanos) {
                close(key, w, ended);
                windows.remove(key);
                w = null;
            }
            if (w == null) {
                if (windows.size() >= MAX_KEYS) {
                    key = new Key(kind, OTHERS);
                    w = windows.get(key);
                }
                if (w == null) {
                    w = new Window(now);
                    windows.put(key, w);
                }
            }
            w.events++;
            allowed = w.events <= max;
        }
        log(ended);
        return allowed;
    }

    /** Closes the windows that are over, logging a summary for each that left events out. */
    public void flush() {
        List<Summary> ended = new ArrayList<>();
        synchronized (this) {
            long now = nanoClock.getAsLong();
            for (Iterator<Map.Entry<Key, Window>> it = windows.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Key, Window> e = it.next();
                if (now - e.getValue().start >= windowNanos) {
                    close(e.getKey(), e.getValue(), ended);
                    it.remove();
                }
            }
        }
        log(ended);
    }

    /** Windows open now, for tests. */
    synchronized int open() {
        return windows.size();
    }

    private void close(Key key, Window w, List<Summary> ended) {
        long suppressed = w.events - max;
        if (suppressed > 0) {
            ended.add(new Summary(key, suppressed, windowNanos / 1_000_000_000L));
        }
    }

    private static void log(List<Summary> ended) {
        for (Summary s : ended) {
            LOG.warn("{}: {} similar events from {} suppressed in the last {} s", s.key().kind(), s.suppressed(),
                    s.key().address(), s.seconds());
        }
    }
}
