package posthorn.imap.server.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
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
import posthorn.imap.server.internal.net.ConnectionLimits;
import posthorn.imap.server.internal.net.ImapdConfig;
import posthorn.imap.server.internal.net.Listener;
import posthorn.imap.server.internal.net.LoginDelay;
import posthorn.imap.server.internal.net.TlsFiles;
import posthorn.imap.server.internal.sasl.Mechanisms;
import posthorn.imap.server.internal.session.LiteralBudget;
import posthorn.imap.server.internal.session.Session;
import posthorn.store.api.MailStore;

/**
 * The IMAP server as DS assembles it: binds the store, the auth chain and the SASL mechanisms,
 * listens (net/Listener, tcpserver-like, within net/ConnectionLimits), and runs each connection it
 * admits as a session (session/Session) on a virtual thread of its own. A change to imapd.cfg takes
 * effect without a restart: limits and timeouts at once (for new checks), a new address or port by
 * rebinding, and sessions that are open stay open.
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
    private volatile Listener listener;
    private volatile Listener tlsListener;
    private volatile SSLContext tls;
    private final LoginDelay loginDelay = new LoginDelay();
    private LoginFlow.Services logins;
    private ScheduledExecutorService watchdog;
    private final Map<Long, Session> sessions = new ConcurrentHashMap<>();
    private final ConnectionLimits limits = new ConnectionLimits();
    /** The memory all sessions may hold for literals at once (buffer.budget). */
    private final LiteralBudget literalBudget = new LiteralBudget(() -> config().buffer_budget());
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
        try {
            listener = Listener.bind(c.bind(), c.port(), "imapd-accept-" + c.port(), s -> admit(s, false));
        } catch (IOException e) {
            LOG.error("imapd cannot listen on {}:{}: {}", c.bind(), c.port(), e.getMessage());
            throw e;
        }
        LOG.info("imapd listening on {}:{}", c.bind(), listener.port());
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
        try {
            tlsListener = Listener.bind(c.bind(), c.tls_port(), "imapd-accept-tls-" + c.tls_port(), s -> admit(s, true));
        } catch (IOException e) {
            LOG.error("imapd cannot listen for IMAPS on {}:{}: {}", c.bind(), c.tls_port(), e.getMessage());
            return;
        }
        LOG.info("imapd listening for IMAPS on {}:{}", c.bind(), tlsListener.port());
    }

    private void closeListener() {
        Listener l = listener;
        listener = null;
        if (l != null) {
            l.close();
        }
    }

    private void closeTlsListener() {
        Listener l = tlsListener;
        tlsListener = null;
        if (l != null) {
            l.close();
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

    /** Applies the limits, then hands the connection to a session on a virtual thread. */
    private void admit(Socket socket, boolean implicitTls) {
        if (!limits.admit(socket, sessions.size(), config)) {
            return;
        }
        InetAddress address = socket.getInetAddress();
        long id = nextId.getAndIncrement();
        Session session = new Session(id, socket, this, implicitTls);
        sessions.put(id, session);
        Thread.ofVirtual().name("imap-session-" + id).start(() -> {
            try {
                session.run();
            } finally {
                sessions.remove(id);
                limits.release(address);
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

    @Override
    public LiteralBudget literalBudget() {
        return literalBudget;
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
        Listener l = tlsListener;
        return l == null ? -1 : l.port();
    }

    /** The port actually bound (differs from the configured one when that is 0). */
    public int port() {
        Listener l = listener;
        return l == null ? -1 : l.port();
    }
}
