package posthorn.imap.server.internal.net;

import java.io.IOException;
import java.net.Socket;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One of the server's ports (plain IMAP, or IMAPS) as the configuration names it: opened at start,
 * moved when the address or port changes, closed. A move never leaves the server listening nowhere
 * because the new address could not be had: the old listener keeps listening, and one line says so.
 * Used by the component's activate, modified and deactivate, which DS does not run at once.
 */
public final class ListeningPort {
    private static final Logger LOG = LoggerFactory.getLogger(ListeningPort.class);

    /** "" for the plain port, "for IMAPS " for the other: log lines read "imapd listening for IMAPS on ...". */
    private final String what;
    private final String threadPrefix;
    private final Consumer<Socket> handler;
    private volatile Listener listener;
    private String address;

    /**
     * @param imaps whether this is the IMAPS port (for log lines and thread names)
     * @param handler takes each accepted connection, on the accept thread
     */
    public ListeningPort(boolean imaps, Consumer<Socket> handler) {
        this.what = imaps ? "for IMAPS " : "";
        this.threadPrefix = imaps ? "imapd-accept-tls-" : "imapd-accept-";
        this.handler = handler;
    }

    /**
     * Starts listening, at start or when the port was closed.
     *
     * @throws IOException when the address cannot be had; the caller logs it
     */
    public void open(String address, int port) throws IOException {
        Listener l = Listener.bind(address, port, threadPrefix + port, handler);
        listener = l;
        this.address = address;
        LOG.info("imapd listening {}on {}:{}", what, address, l.port());
    }

    /**
     * Listens on a new address or port instead. When the new one cannot be had, the old listener
     * keeps listening (if the old socket itself was in the way, as 127.0.0.1 is of 0.0.0.0 on the
     * same port, it is closed for the attempt and bound again); one ERROR line says what happened.
     *
     * @return whether the port now listens where asked
     */
    public boolean move(String newAddress, int newPort) {
        Listener old = listener;
        if (old == null) {
            try {
                open(newAddress, newPort);
                return true;
            } catch (IOException e) {
                LOG.error("imapd cannot listen {}on {}:{}: {}", what, newAddress, newPort, e.getMessage());
                return false;
            }
        }
        String oldAddress = address;
        int oldPort = old.port();
        IOException failure;
        try {
            Listener l = Listener.bind(newAddress, newPort, threadPrefix + newPort, handler);
            replace(old, l, newAddress);
            return true;
        } catch (IOException e) {
            failure = e;
        }
        if (newPort == oldPort) {
            old.close();
            try {
                replace(null, Listener.bind(newAddress, newPort, threadPrefix + newPort, handler), newAddress);
                return true;
            } catch (IOException e) {
                failure = e;
            }
            try {
                listener = Listener.bind(oldAddress, oldPort, threadPrefix + oldPort, handler);
            } catch (IOException e) {
                listener = null;
                LOG.error("imapd cannot listen {}on {}:{} ({}), nor again on {}:{} ({}); not listening {}until the next change",
                        what, newAddress, newPort, failure.getMessage(), oldAddress, oldPort, e.getMessage(), what);
                return false;
            }
        }
        LOG.error("imapd cannot listen {}on {}:{}: {}; still listening on {}:{}", what, newAddress, newPort,
                failure.getMessage(), oldAddress, oldPort);
        return false;
    }

    private void replace(Listener old, Listener l, String newAddress) {
        if (old != null) {
            old.close();
        }
        listener = l;
        address = newAddress;
        LOG.info("imapd listening {}on {}:{}", what, newAddress, l.port());
    }

    /** Stops listening; connections already accepted are not touched. */
    public void close() {
        Listener l = listener;
        listener = null;
        if (l != null) {
            l.close();
        }
    }

    /** The port listened on (differs from the configured one when that is 0), or -1 when not listening. */
    public int port() {
        Listener l = listener;
        return l == null ? -1 : l.port();
    }
}
