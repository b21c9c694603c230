package posthorn.imap.server.internal.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * max.connections and max.per.ip, as tcpserver's -c and -x limits: a connection over either is
 * greeted with BYE and closed before it becomes a session. Admitted connections are counted by
 * address until {@link #release}d. A refusal is logged through the server's {@link LogLimiter}: a
 * client that reconnects as fast as it can makes a few lines, then one that counts the rest. Shared
 * by every listener; thread-safe.
 */
public final class ConnectionLimits {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimits.class);

    private final Map<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    private final LogLimiter repeats;

    public ConnectionLimits(LogLimiter repeats) {
        this.repeats = repeats;
    }

    /**
     * Counts a new connection, or refuses it: says BYE (on a thread of its own, so that a client
     * that does not read cannot hold up the accept thread) and closes it.
     *
     * @param open the connections open now, not counting this one
     * @return whether it was admitted; if so, {@link #release} its address when it ends
     */
    public boolean admit(Socket socket, int open, ImapdConfig c) {
        InetAddress address = socket.getInetAddress();
        String peer = address.getHostAddress() + ":" + socket.getPort();
        int fromAddress = perAddress.computeIfAbsent(address, a -> new AtomicInteger()).incrementAndGet();
        String refusal = null;
        if (open >= c.max_connections()) {
            refusal = "Too many connections, try again later";
            if (repeats.allow("refused connection (max.connections)", address)) {
                LOG.warn("refused {}: {} connections open (max.connections)", peer, open);
            }
        } else if (fromAddress > c.max_per_ip()) {
            refusal = "Too many connections from your address";
            if (repeats.allow("refused connection (max.per.ip)", address)) {
                LOG.warn("refused {}: {} connections from this address (max.per.ip)", peer, fromAddress - 1);
            }
        }
        if (refusal == null) {
            return true;
        }
        release(address);
        refuse(socket, refusal);
        return false;
    }

    /** An admitted connection from this address has ended. */
    public void release(InetAddress address) {
        perAddress.computeIfPresent(address, (a, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    /** Connections counted for this address now. */
    int open(InetAddress address) {
        AtomicInteger n = perAddress.get(address);
        return n == null ? 0 : n.get();
    }

    private static void refuse(Socket socket, String text) {
        Thread.ofVirtual().start(() -> {
            try (socket) {
                socket.setSoTimeout(5000);
                socket.getOutputStream().write(("* BYE " + text + "\r\n").getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // the client went away first
            }
        });
    }
}
