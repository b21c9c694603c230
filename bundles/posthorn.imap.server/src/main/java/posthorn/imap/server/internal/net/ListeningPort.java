package posthorn.imap.server.internal.net;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One of the server's ports (plain IMAP, or IMAPS) as the configuration names it: opened at start,
 * moved when the address or port changes, closed. No change leaves the server listening nowhere:
 * when the new address cannot be had, the old listener keeps listening; and a port that is not
 * listening where the configuration says (a move that failed, a bind that failed after start, a
 * socket lost under its accept loop) is tried again, first after {@code firstRetry}, then after
 * twice as long each time up to {@code maxRetry}, one log line an attempt, until it listens there
 * or the configuration changes again. Only {@link #open} at the very start of the process fails
 * outright, so that the server can end and its supervisor retry.
 *
 * <p>Thread-safe: DS calls open, move and close (never at once), the retry timer and the accept
 * thread call in too; all of it under this object's lock. Binding is quick, and a close waits for
 * at most one accept thread.
 */
public final class ListeningPort {
    private static final Logger LOG = LoggerFactory.getLogger(ListeningPort.class);
    public static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    public static final Duration MAX_RETRY = Duration.ofSeconds(60);

    /** "" for the plain port, "for IMAPS " for the other: log lines read "imapd listening for IMAPS on ...". */
    private final String what;
    private final String threadPrefix;
    private final Consumer<Socket> handler;
    private final long firstRetryMs;
    private final long maxRetryMs;

    private volatile Listener listener;
    /** Where the listener listens (null with it). */
    private String address;
    /** Where the configuration says to listen; null when closed. */
    private String wantAddress;
    private int wantPort;
    private ScheduledExecutorService timer;
    private ScheduledFuture<?> retry;
    private long nextDelayMs;
    private int attempts;

    /**
     * @param imaps whether this is the IMAPS port (for log lines and thread names)
     * @param handler takes each accepted connection, on the accept thread
     */
    public ListeningPort(boolean imaps, Consumer<Socket> handler) {
        this(imaps, handler, FIRST_RETRY, MAX_RETRY);
    }

    /** As above, with the pauses between attempts to bind (tests shorten them). */
    public ListeningPort(boolean imaps, Consumer<Socket> handler, Duration firstRetry, Duration maxRetry) {
        this.what = imaps ? "for IMAPS " : "";
        this.threadPrefix = imaps ? "imapd-accept-tls-" : "imapd-accept-";
        this.handler = handler;
        this.firstRetryMs = Math.max(1, firstRetry.toMillis());
        this.maxRetryMs = Math.max(firstRetryMs, maxRetry.toMillis());
    }

    /**
     * Starts listening, at the start of the process: nothing is retried.
     *
     * @throws IOException when the address cannot be had; the caller logs it
     */
    public synchronized void open(String address, int port) throws IOException {
        cancelRetry();
        wantAddress = address;
        wantPort = port;
        try {
            listenAt(address, port);
        } catch (IOException e) {
            wantAddress = null;
            throw e;
        }
    }

    /**
     * Starts listening, or when the address cannot be had, says so in one line and tries again
     * until it can (a component started anew while the process runs).
     */
    public synchronized void openOrRetry(String address, int port) {
        cancelRetry();
        wantAddress = address;
        wantPort = port;
        try {
            listenAt(address, port);
        } catch (IOException e) {
            scheduleRetry(e, true);
        }
    }

    /**
     * Listens on a new address or port instead. When the new one cannot be had, the old listener
     * keeps listening (if the old socket itself was in the way, as 127.0.0.1 is of 0.0.0.0 on the
     * same port, it is closed for the attempt and bound again); one ERROR line says what happened,
     * and the new address is tried again later.
     *
     * @return whether the port now listens where asked
     */
    public synchronized boolean move(String newAddress, int newPort) {
        cancelRetry();
        wantAddress = newAddress;
        wantPort = newPort;
        IOException failure = tryWanted();
        if (failure == null) {
            return true;
        }
        scheduleRetry(failure, true);
        return false;
    }

    /** Stops listening and trying to; connections already accepted are not touched. */
    public synchronized void close() {
        wantAddress = null;
        cancelRetry();
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
        Listener l = listener;
        listener = null;
        address = null;
        if (l != null) {
            l.close();
        }
    }

    /** The port listened on (differs from the configured one when that is 0), or -1 when not listening. */
    public int port() {
        Listener l = listener;
        return l == null ? -1 : l.port();
    }

    /** The listener in use, or null (tests). */
    Listener current() {
        return listener;
    }

    /** Whether a retry is waiting (tests, the admin console). */
    public synchronized boolean retrying() {
        return retry != null;
    }

    /**
     * One attempt to listen where wanted, keeping (or failing that, restoring) what listened before.
     *
     * @return null when it listens where wanted now, else why not
     */
    private IOException tryWanted() {
        Listener old = listener;
        if (old == null) {
            try {
                listenAt(wantAddress, wantPort);
                return null;
            } catch (IOException e) {
                return e;
            }
        }
        String oldAddress = address;
        int oldPort = old.port();
        IOException failure;
        try {
            Listener l = bind(wantAddress, wantPort);
            old.close();
            take(l, wantAddress);
            return null;
        } catch (IOException e) {
            failure = e;
        }
        if (wantPort == oldPort) {
            old.close();
            listener = null;
            address = null;
            try {
                listenAt(wantAddress, wantPort);
                return null;
            } catch (IOException e) {
                failure = e;
            }
            try {
                take(bind(oldAddress, oldPort), oldAddress);
            } catch (IOException e) {
                LOG.error("imapd cannot listen {}on {}:{} either: {}", what, oldAddress, oldPort, e.getMessage());
            }
        }
        return failure;
    }

    private void listenAt(String where, int port) throws IOException {
        take(bind(where, port), where);
    }

    private Listener bind(String where, int port) throws IOException {
        return Listener.bind(where, port, threadPrefix + port, handler, this::lost);
    }

    private void take(Listener l, String where) {
        listener = l;
        address = where;
        LOG.info("imapd listening {}on {}:{}", what, where, l.port());
    }

    /** The accept thread of a listener lost its socket: listen again, as soon as can be. */
    private synchronized void lost(Listener l, String why) {
        if (l != listener || wantAddress == null) {
            return; // an old listener, or closed meanwhile
        }
        int port = l.port();
        LOG.error("imapd stopped listening {}on {}:{}: {}; listening again", what, address, port, why);
        listener = null;
        address = null;
        if (wantPort == 0) {
            wantPort = port; // keep the port clients were told about
        }
        cancelRetry();
        attempts = 0;
        nextDelayMs = 0;
        schedule(0);
    }

    private void attempt() {
        synchronized (this) {
            retry = null;
            if (wantAddress == null) {
                return;
            }
            IOException failure = tryWanted();
            if (failure == null) {
                LOG.info("imapd listening {}on {}:{} again, after {} attempts", what, wantAddress, port(), attempts);
                attempts = 0;
                return;
            }
            scheduleRetry(failure, false);
        }
    }

    /** One line for this failure, and the next attempt in the timer. */
    private void scheduleRetry(IOException failure, boolean first) {
        if (first) {
            attempts = 0;
            nextDelayMs = firstRetryMs;
        } else {
            nextDelayMs = nextDelayMs == 0 ? firstRetryMs : Math.min(nextDelayMs * 2, maxRetryMs);
        }
        attempts++;
        Listener l = listener;
        String state = l == null ? "not listening " + what + "meanwhile" : "still listening on " + address + ":" + l.port();
        LOG.error("imapd cannot listen {}on {}:{}: {}; {}; attempt {}, next in {} ms", what, wantAddress, wantPort,
                failure.getMessage(), state, attempts, nextDelayMs);
        schedule(nextDelayMs);
    }

    private void schedule(long delayMs) {
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(
                    r -> Thread.ofPlatform().name(threadPrefix + "retry").daemon().unstarted(r));
        }
        retry = timer.schedule(this::attempt, delayMs, TimeUnit.MILLISECONDS);
    }

    private void cancelRetry() {
        if (retry != null) {
            retry.cancel(false);
            retry = null;
        }
    }
}
