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
 * max.connections and max.per.ip, as tcpserver's -c and -x limits, and the limits an access rule
 * sets for the clients it matches (its max.per.ip instead of imapd.cfg's; its max.connections for
 * all of them together): a connection over any is greeted with BYE and closed before it becomes a
 * session. Admitted connections are counted by address, and by rule, until {@link #release}d. A refusal is logged through the server's {@link LogLimiter}: a
 * client that reconnects as fast as it can makes a few lines, then one that counts the rest. Shared
 * by every listener; thread-safe.
 */
public final class ConnectionLimits {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimits.class);

    private final Map<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    /** Connections open per rule that has max.connections, by the rule's address as written. */
    private final Map<String, AtomicInteger> perRule = new ConcurrentHashMap<>();
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
        return admit(socket, open, c, null);
    }

    /**
     * As {@link #admit(Socket, int, ImapdConfig)}, within the limits of the access rule that applies
     * to the client (null for none); {@link #release(InetAddress, AccessRule)} it with the same rule.
     */
    public boolean admit(Socket socket, int open, ImapdConfig c, AccessRule rule) {
        return admit(socket, socket.getInetAddress(), socket.getInetAddress().getHostAddress() + ":" + socket.getPort(),
                open, c, rule);
    }

    /**
     * As {@link #admit(Socket, int, ImapdConfig, AccessRule)} for a client whose address is not the
     * socket's peer (a trusted proxy named it in a PROXY header): counted by {@code address};
     * {@code peer} is the client for log lines.
     */
    public boolean admit(Socket socket, InetAddress address, String peer, int open, ImapdConfig c, AccessRule rule) {
        int fromAddress = perAddress.computeIfAbsent(address, a -> new AtomicInteger()).incrementAndGet();
        int fromRule = rule == null || rule.maxConnections() == 0 ? 0
                : perRule.computeIfAbsent(rule.key(), k -> new AtomicInteger()).incrementAndGet();
        int maxPerIp = rule == null || rule.maxPerIp() == 0 ? c.max_per_ip() : rule.maxPerIp();
        String refusal = null;
        if (open >= c.max_connections()) {
            refusal = "Too many connections, try again later";
            if (repeats.allow("refused connection (max.connections)", address)) {
                LOG.warn("refused {}: {} connections open (max.connections)", peer, open);
            }
        } else if (fromAddress > maxPerIp) {
            refusal = "Too many connections from your address";
            if (repeats.allow("refused connection (max.per.ip)", address)) {
                LOG.warn("refused {}: {} connections from this address (max.per.ip{})", peer, fromAddress - 1,
                        maxPerIp == c.max_per_ip() ? "" : " of rule " + rule.key());
            }
        } else if (fromRule > 0 && fromRule > rule.maxConnections()) {
            refusal = "Too many connections from your network";
            if (repeats.allow("refused connection (rule max.connections)", address)) {
                LOG.warn("refused {}: {} connections under rule {} (its max.connections)", peer, fromRule - 1, rule.key());
            }
        }
        if (refusal == null) {
            return true;
        }
        release(address, rule);
        refuse(socket, refusal);
        return false;
    }

    /** An admitted connection from this address has ended. */
    public void release(InetAddress address) {
        release(address, null);
    }

    /** An admitted connection from this address, under this rule (or null), has ended. */
    public void release(InetAddress address, AccessRule rule) {
        perAddress.computeIfPresent(address, (a, n) -> n.decrementAndGet() <= 0 ? null : n);
        if (rule != null && rule.maxConnections() > 0) {
            perRule.computeIfPresent(rule.key(), (k, n) -> n.decrementAndGet() <= 0 ? null : n);
        }
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
