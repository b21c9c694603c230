package posthorn.imap.server.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.api.SaslMechanism;
import posthorn.imap.server.internal.sasl.Mechanisms;
import posthorn.store.api.MailStore;

/**
 * The IMAP listener, tcpserver-like: binds, accepts, enforces the connection limits, and runs each
 * session on a virtual thread of its own. A change to imapd.cfg takes effect without a restart:
 * limits and timeouts at once (for new checks), a new address or port by rebinding, and sessions
 * that are open stay open.
 */
@Component(service = ImapServer.class, immediate = true, configurationPid = "imapd",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ImapdConfig.class)
public final class ImapServer {
    private static final Logger LOG = LoggerFactory.getLogger(ImapServer.class);

    @Reference
    AuthChain auth;

    @Reference
    MailStore store;

    private final Mechanisms mechanisms = new Mechanisms();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindMechanism(SaslMechanism mechanism) {
        mechanisms.add(mechanism);
        LOG.info("SASL mechanism {} bound", mechanism.name());
    }

    void unbindMechanism(SaslMechanism mechanism) {
        mechanisms.remove(mechanism);
        LOG.info("SASL mechanism {} unbound", mechanism.name());
    }

    private volatile ImapdConfig config;
    private volatile ServerSocket listener;
    private Thread acceptor;
    private final Map<Long, Session> sessions = new ConcurrentHashMap<>();
    private final Map<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);

    @Activate
    void activate(ImapdConfig config) throws IOException {
        this.config = config;
        bind();
    }

    @Modified
    void modified(ImapdConfig config) throws IOException {
        ImapdConfig old = this.config;
        this.config = config;
        if (!old.bind().equals(config.bind()) || old.port() != config.port()) {
            LOG.info("imapd: listening address changed; rebinding");
            closeListener();
            bind();
        } else {
            LOG.info("imapd: configuration updated");
        }
    }

    @Deactivate
    void deactivate() {
        closeListener();
        for (Session s : sessions.values()) {
            s.shutdown("Server shutting down");
        }
        LOG.info("imapd stopped; {} sessions closed", sessions.size());
    }

    private void bind() throws IOException {
        ImapdConfig c = config;
        ServerSocket ss = new ServerSocket();
        ss.setReuseAddress(true);
        try {
            ss.bind(new InetSocketAddress(InetAddress.getByName(c.bind()), c.port()), 128);
        } catch (IOException e) {
            ss.close();
            LOG.error("imapd cannot listen on {}:{}: {}", c.bind(), c.port(), e.getMessage());
            throw e;
        }
        listener = ss;
        acceptor = Thread.ofPlatform().name("imapd-accept-" + c.port()).daemon().start(() -> acceptLoop(ss));
        LOG.info("imapd listening on {}:{}", c.bind(), ss.getLocalPort());
    }

    private void closeListener() {
        ServerSocket ss = listener;
        listener = null;
        if (ss != null) {
            try {
                ss.close();
            } catch (IOException e) {
                LOG.debug("closing listener", e);
            }
        }
        if (acceptor != null) {
            try {
                acceptor.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void acceptLoop(ServerSocket ss) {
        while (!ss.isClosed()) {
            Socket socket;
            try {
                socket = ss.accept();
            } catch (SocketException e) {
                break; // closed
            } catch (IOException e) {
                LOG.warn("accept failed: {}", e.toString());
                continue;
            }
            admit(socket);
        }
    }

    /** Applies the limits, then hands the connection to a session on a virtual thread. */
    private void admit(Socket socket) {
        ImapdConfig c = config;
        InetAddress addr = socket.getInetAddress();
        String peer = addr.getHostAddress() + ":" + socket.getPort();
        AtomicInteger count = perIp.computeIfAbsent(addr, a -> new AtomicInteger());
        int fromIp = count.incrementAndGet();
        String refusal = null;
        if (sessions.size() >= c.max_connections()) {
            refusal = "Too many connections, try again later";
            LOG.warn("refused {}: {} connections open (max.connections)", peer, sessions.size());
        } else if (fromIp > c.max_per_ip()) {
            refusal = "Too many connections from your address";
            LOG.warn("refused {}: {} connections from this address (max.per.ip)", peer, fromIp - 1);
        }
        if (refusal != null) {
            release(addr);
            refuse(socket, refusal);
            return;
        }
        long id = nextId.getAndIncrement();
        Session session = new Session(id, socket, this);
        sessions.put(id, session);
        Thread.ofVirtual().name("imap-session-" + id).start(() -> {
            try {
                session.run();
            } finally {
                sessions.remove(id);
                release(addr);
            }
        });
    }

    private void release(InetAddress addr) {
        perIp.computeIfPresent(addr, (a, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    private static void refuse(Socket socket, String text) {
        Thread.ofVirtual().start(() -> {
            try (socket) {
                socket.setSoTimeout(5000);
                socket.getOutputStream().write(("* BYE " + text + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // the client went away first
            }
        });
    }

    ImapdConfig config() {
        return config;
    }

    MailStore store() {
        return Objects.requireNonNull(store);
    }

    Mechanisms mechanisms() {
        return mechanisms;
    }

    AuthChain auth() {
        return auth;
    }

    /** The open sessions, for the admin console. */
    public Collection<Session> sessions() {
        return sessions.values();
    }

    /** The port actually bound (differs from the configured one when that is 0). */
    public int port() {
        ServerSocket ss = listener;
        return ss == null ? -1 : ss.getLocalPort();
    }
}
