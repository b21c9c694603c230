package posthorn.imap.server.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLContext;

import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
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
import posthorn.imap.server.internal.auth.AuthChain;
import posthorn.imap.server.internal.auth.LoginFlow;
import posthorn.imap.server.internal.net.ImapdConfig;
import posthorn.imap.server.internal.net.LoginDelay;
import posthorn.imap.server.internal.net.TlsFiles;
import posthorn.imap.server.internal.sasl.Mechanisms;
import posthorn.imap.server.internal.session.Session;
import posthorn.store.api.MailStore;

/**
 * The IMAP listener, tcpserver-like: binds, accepts, enforces the connection limits, and runs each
 * session on a virtual thread of its own. A change to imapd.cfg takes effect without a restart:
 * limits and timeouts at once (for new checks), a new address or port by rebinding, and sessions
 * that are open stay open.
 *
 * <p>TLS: IMAPS on tls.port and STARTTLS on the plain port, with the certificate and key of
 * tls.cert/tls.key (made self-signed on first start when tls.selfsigned is set). Without a usable
 * certificate the server runs without TLS, and says so in the log. A watchdog ends sessions whose
 * client stopped reading (write.timeout).
 */
@Component(service = ImapServer.class, immediate = true, configurationPid = "imapd",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ImapdConfig.class)
public final class ImapServer implements Session.Host {
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
    private volatile ServerSocket tlsListener;
    private Thread tlsAcceptor;
    private volatile SSLContext tls;
    private final LoginDelay loginDelay = new LoginDelay();
    private LoginFlow.Services logins;
    private ScheduledExecutorService watchdog;
    private final Map<Long, Session> sessions = new ConcurrentHashMap<>();
    private final Map<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);

    @Activate
    void activate(ImapdConfig config) throws IOException {
        this.config = config;
        logins = new LoginFlow.Services(auth, mechanisms, loginDelay, this::store, this::config);
        loadTls(config);
        bind();
        bindTls();
        watchdog = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("imapd-watchdog").daemon().unstarted(r));
        watchdog.scheduleWithFixedDelay(this::checkWrites, 1, 1, TimeUnit.SECONDS);
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
        boolean tlsFiles = !old.tls_cert().equals(config.tls_cert()) || !old.tls_key().equals(config.tls_key())
                || old.tls_selfsigned() != config.tls_selfsigned();
        if (tlsFiles) {
            loadTls(config);
        }
        if (tlsFiles || !old.bind().equals(config.bind()) || old.tls_port() != config.tls_port()) {
            closeTlsListener();
            bindTls();
        }
    }

    @Deactivate
    void deactivate() {
        if (watchdog != null) {
            watchdog.shutdownNow();
        }
        closeListener();
        closeTlsListener();
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
        acceptor = Thread.ofPlatform().name("imapd-accept-" + c.port()).daemon().start(() -> acceptLoop(ss, false));
        LOG.info("imapd listening on {}:{}", c.bind(), ss.getLocalPort());
    }

    /**
     * Loads the certificate and key, making a self-signed pair first if they are missing and that is
     * configured. A failure leaves the server without TLS (logged), never without IMAP.
     */
    private void loadTls(ImapdConfig c) {
        tls = null;
        if (c.tls_cert().isBlank() || c.tls_key().isBlank()) {
            LOG.info("imapd: no TLS (tls.cert and tls.key are not set)");
            return;
        }
        Path cert = Path.of(c.tls_cert());
        Path key = Path.of(c.tls_key());
        try {
            if (c.tls_selfsigned() && !Files.exists(cert) && !Files.exists(key)) {
                String host = c.hostname().isBlank() ? "localhost" : c.hostname();
                long t0 = System.nanoTime();
                TlsFiles.generateSelfSigned(cert, key, host);
                LOG.info("imapd: made a self-signed certificate for {} in {} ms: {} and {}", host,
                        (System.nanoTime() - t0) / 1_000_000, cert, key);
            }
            tls = TlsFiles.context(cert, key);
            LOG.info("imapd: TLS certificate {} loaded", cert);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            LOG.error("imapd: no TLS: cannot use {} and {}: {}", cert, key, e.toString());
        }
    }

    /** Listens for IMAPS when TLS is set up and tls.port is not 0; a failure to bind is logged only. */
    private void bindTls() {
        ImapdConfig c = config;
        if (tls == null || c.tls_port() == 0) {
            return;
        }
        ServerSocket ss = null;
        try {
            ss = new ServerSocket();
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(InetAddress.getByName(c.bind()), c.tls_port()), 128);
        } catch (IOException e) {
            LOG.error("imapd cannot listen for IMAPS on {}:{}: {}", c.bind(), c.tls_port(), e.getMessage());
            if (ss != null) {
                try {
                    ss.close();
                } catch (IOException e2) {
                    // nothing bound
                }
            }
            return;
        }
        ServerSocket bound = ss;
        tlsListener = bound;
        tlsAcceptor = Thread.ofPlatform().name("imapd-accept-tls-" + c.tls_port()).daemon()
                .start(() -> acceptLoop(bound, true));
        LOG.info("imapd listening for IMAPS on {}:{}", c.bind(), bound.getLocalPort());
    }

    private void closeTlsListener() {
        ServerSocket ss = tlsListener;
        tlsListener = null;
        if (ss != null) {
            try {
                ss.close();
            } catch (IOException e) {
                LOG.debug("closing IMAPS listener", e);
            }
        }
        if (tlsAcceptor != null) {
            try {
                tlsAcceptor.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The watchdog's round: sessions whose output has been blocked too long are closed. */
    private void checkWrites() {
        try {
            long limit = Math.max(1, config.write_timeout()) * 1_000_000_000L;
            long now = System.nanoTime();
            for (Session s : sessions.values()) {
                s.checkWrite(now, limit);
            }
        } catch (RuntimeException e) {
            LOG.error("write watchdog failed", e);
        }
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

    private void acceptLoop(ServerSocket ss, boolean implicitTls) {
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
            admit(socket, implicitTls);
        }
    }

    /** Applies the limits, then hands the connection to a session on a virtual thread. */
    private void admit(Socket socket, boolean implicitTls) {
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
        Session session = new Session(id, socket, this, implicitTls);
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

    @Override
    public ImapdConfig config() {
        return config;
    }

    public MailStore store() {
        return Objects.requireNonNull(store);
    }

    /** The TLS context, or null when TLS is not set up. */
    @Override
    public SSLContext tls() {
        return tls;
    }

    /** What every session's login flow shares: the chain, the mechanisms, the brute-force delay. */
    @Override
    public LoginFlow.Services logins() {
        return logins;
    }

    /** The server bundle's version, for ID (RFC 2971). */
    @Override
    public String version() {
        Bundle b = FrameworkUtil.getBundle(ImapServer.class);
        return b == null ? "0" : b.getVersion().toString();
    }


    /** The open sessions, for the admin console. */
    public Collection<Session> sessions() {
        return sessions.values();
    }

    /** The IMAPS port actually bound, or -1. */
    public int tlsPort() {
        ServerSocket ss = tlsListener;
        return ss == null ? -1 : ss.getLocalPort();
    }

    /** The port actually bound (differs from the configured one when that is 0). */
    public int port() {
        ServerSocket ss = listener;
        return ss == null ? -1 : ss.getLocalPort();
    }
}
