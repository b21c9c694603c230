package posthorn.imap.server.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

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
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.api.SaslMechanism;
import posthorn.imap.server.admin.ServerObserver;
import posthorn.imap.server.internal.acl.SharedIndex;
import posthorn.imap.server.internal.auth.AuthChain;
import posthorn.imap.server.internal.auth.LoginFlow;
import posthorn.imap.server.internal.net.AccessRule;
import posthorn.imap.server.internal.net.AccessRules;
import posthorn.imap.server.internal.net.ConnectionLimits;
import posthorn.imap.server.internal.net.ImapdConfig;
import posthorn.imap.server.internal.net.ImapdSettings;
import posthorn.imap.server.internal.net.ListeningPort;
import posthorn.imap.server.internal.net.LogLimiter;
import posthorn.imap.server.internal.net.LoginDelay;
import posthorn.imap.server.internal.net.ProxyHeader;
import posthorn.imap.server.internal.net.RulesFile;
import posthorn.imap.server.internal.net.TlsFiles;
import posthorn.imap.server.internal.net.TrustedNetworks;
import posthorn.imap.server.internal.sasl.Mechanisms;
import posthorn.imap.server.internal.session.LiteralBudget;
import posthorn.imap.server.internal.session.Session;
import posthorn.imap.server.internal.urlauth.UrlAuthKeys;
import posthorn.imap.server.internal.session.SocketConnection;
import posthorn.imap.server.internal.stats.ServerCounters;
import posthorn.store.api.MailStore;
import posthorn.store.api.search.TextIndex;

/**
 * The IMAP server as DS assembles it: binds the store, the auth chain and the SASL mechanisms,
 * listens (net/ListeningPort, tcpserver-like, within net/ConnectionLimits), and runs each connection
 * it admits as a session (session/Session) on a virtual thread of its own. imapd.cfg is checked
 * whole when it is read (net/ImapdSettings): a bad value refuses the change and the configuration
 * in force stays. A change takes effect without a restart: limits and timeouts at once (for new
 * checks), a new address or port by rebinding (the old listener stays if the new one cannot be had),
 * and sessions that are open stay open. A port that cannot be bound at the start of the process ends
 * it with status 1 ({@link ExitThroughLauncher}), so that a supervisor retries rather than a server
 * running that listens nowhere; after that, a port that cannot be had (a move to a taken port, a
 * socket lost) is tried again and again, one line each time (net/ListeningPort), and a move keeps the
 * old listener meanwhile.
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

    /**
     * The full-text index (posthorn.store.fts), if one is deployed: optional and dynamic, so SEARCH
     * works the same, only slower, while it is absent, being replaced or turned off (fts.cfg).
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile TextIndex textIndex;

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

    /** Metrics observers (admin.ServerObserver): any number, any time; the counters call them. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindObserver(ServerObserver observer) {
        counters.observe(observer);
    }

    void unbindObserver(ServerObserver observer) {
        counters.unobserve(observer);
    }

    /**
     * The last configuration this bundle accepted, kept across activations of the component: DS
     * activates it anew (a restart of the store bundle, say) with what ConfigurationAdmin holds, which
     * may be an edit that was refused; the refusal must not turn into an exit then.
     */
    private static final AtomicReference<ImapdConfig> LAST_GOOD = new AtomicReference<>();

    /** Whether this bundle's server started listening once in this process (a later start retries). */
    private static final AtomicBoolean LISTENED = new AtomicBoolean();

    /** The configuration in force: checked, the last good one; null until one was. */
    private volatile ImapdConfig config;
    private volatile SSLContext tls;
    private final LoginDelay loginDelay = new LoginDelay();
    private LoginFlow.Services logins;
    private ScheduledExecutorService watchdog;
    private final Map<Long, Session> sessions = new ConcurrentHashMap<>();
    private final LogLimiter repeats = new LogLimiter();
    private final ConnectionLimits limits = new ConnectionLimits(repeats);
    /** imapd.cfg's rules file and the rules in force from it. */
    private final RulesFile rules = new RulesFile();
    private final ListeningPort plain = new ListeningPort(false, s -> admit(s, false));
    private final ListeningPort imaps = new ListeningPort(true, s -> admit(s, true));
    /** The memory all sessions may hold for literals at once (buffer.budget). */
    private final LiteralBudget literalBudget = new LiteralBudget(() -> config().buffer_budget());
    private final AtomicLong nextId = new AtomicLong(1);
    /** Connections, logins, commands and bytes since start, for the admin console. */
    private final ServerCounters counters = new ServerCounters();
    /** How the process ends when the server cannot run (the launcher's, when it is there). */
    private volatile BiConsumer<Integer, String> exit;
    /** Why the server cannot run, once that happened; null while it can. */
    private volatile String fatal;

    @Activate
    void activate(Map<String, Object> properties) {
        logins = new LoginFlow.Services(auth, mechanisms, loginDelay, this::store, this::config, counters, sharedIndex());
        watchdog = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("imapd-watchdog").daemon().unstarted(r));
        watchdog.scheduleWithFixedDelay(this::everySecond, 1, 1, TimeUnit.SECONDS);
        configure(properties);
    }

    /**
     * A changed imapd.cfg. Never throws: DS would answer by deactivating the component, which ends
     * every session; a change that cannot be applied is refused or undone, and logged, instead.
     */
    @Modified
    void modified(Map<String, Object> properties) {
        configure(properties);
    }

    /** Configurations handed to the server so far, taken or refused (for a reload to wait on). */
    private final AtomicLong configurations = new AtomicLong();
    /** Why the last configuration handed over was refused, or null if it was taken. */
    private volatile String lastRefusal;

    /** Configurations handed to the server so far, taken or refused. */
    public long configurations() {
        return configurations.get();
    }

    /** Why the last configuration handed over was refused, or null if it was taken. */
    public String lastRefusal() {
        return lastRefusal;
    }

    /**
     * The shared namespace's index of who shares with whom (acl.SharedIndex): server state, kept in
     * {@code $POSTHORN_VAR/shared-index} as the console keeps its socket there; in memory when the
     * process has no POSTHORN_VAR (then LIST finds the folders shared since the start only).
     */
    private static SharedIndex sharedIndex() {
        String var = System.getenv("POSTHORN_VAR");
        if (var == null || var.isBlank()) {
            LOG.info("event=shared.index file=(memory) reason=\"POSTHORN_VAR is not set\"");
            return SharedIndex.inMemory();
        }
        return SharedIndex.in(java.nio.file.Path.of(var, "shared-index"));
    }

    /**
     * The URLAUTH keys (RFC 4467): server state in {@code $POSTHORN_VAR/urlauth/}, as the shared index
     * is kept; in memory when the process has no POSTHORN_VAR (URLs then last until a restart).
     */
    private final UrlAuthKeys urlAuthKeys = openUrlAuthKeys();

    private static UrlAuthKeys openUrlAuthKeys() {
        String var = System.getenv("POSTHORN_VAR");
        if (var == null || var.isBlank()) {
            LOG.info("event=urlauth.keys dir=(memory) reason=\"POSTHORN_VAR is not set\"");
            return UrlAuthKeys.inMemory();
        }
        return UrlAuthKeys.in(java.nio.file.Path.of(var, "urlauth"));
    }

    @Override
    public UrlAuthKeys urlAuthKeys() {
        return urlAuthKeys;
    }

    /** Set when the component is being deactivated: the server takes no more logins. */
    private volatile boolean stopping;

    /**
     * Why the server does not take logins now, or null when it does: it cannot run, has no
     * configuration, is stopping, does not listen, or no backend of its chain runs.
     */
    public String notAccepting() {
        if (fatal != null) {
            return fatal;
        }
        if (stopping) {
            return "stopping";
        }
        if (config == null) {
            return "no configuration in force";
        }
        if (plain.port() < 0) {
            return "not listening";
        }
        if (auth.order().stream().noneMatch(auth::isBound)) {
            return "no auth backend running (auth.cfg backends=" + String.join(",", auth.order()) + ")";
        }
        return null;
    }

    @Deactivate
    void deactivate() {
        stopping = true;
        if (watchdog != null) {
            watchdog.shutdownNow();
        }
        plain.close();
        imaps.close();
        for (Session s : sessions.values()) {
            s.shutdown("Server shutting down");
        }
        LOG.info("imapd stopped; {} sessions closed", sessions.size());
    }

    /**
     * Takes a configuration, whole or not at all: a value that does not fit refuses the whole file
     * (one line naming the file, the key and why) and the previous configuration stays in force. At
     * start there is none to keep, and a server that cannot listen where it is told is of no use to
     * anyone: the process ends with status 1 (through the launcher) so that a supervisor sees it.
     */
    private void configure(Map<String, Object> properties) {
        try {
            take(properties);
        } finally {
            configurations.incrementAndGet();
        }
    }

    private void take(Map<String, Object> properties) {
        ImapdConfig next;
        try {
            next = ImapdSettings.read(properties);
            lastRefusal = null;
        } catch (ImapdSettings.BadValue e) {
            lastRefusal = e.getMessage();
            ImapdConfig previous = config == null ? LAST_GOOD.get() : null;
            if (config == null && previous == null) {
                fatal("imapd: " + source(properties) + " refused: " + e.getMessage() + "; no configuration to start with");
                return;
            }
            LOG.error("imapd: {} refused: {}; the previous configuration stays in force", source(properties), e.getMessage());
            if (previous == null) {
                return;
            }
            next = previous; // activated anew with a refused edit: start with the last good one
        }
        for (String key : ImapdSettings.ignoredKeys(properties)) {
            LOG.warn("imapd: {}: unknown key {} ignored", source(properties), key);
        }
        LAST_GOOD.set(next);
        ImapdConfig old = config;
        config = next;
        repeats.configure(next.log_repeat_max(), next.log_repeat_window());
        rules.refresh(next.rules(), false);
        if (old == null) {
            start(next);
            return;
        }
        LOG.info("imapd: configuration updated");
        if (!old.bind().equals(next.bind()) || old.port() != next.port()) {
            plain.move(next.bind(), next.port());
        }
        boolean tlsFiles = !old.tls_cert().equals(next.tls_cert()) || !old.tls_key().equals(next.tls_key())
                || old.tls_selfsigned() != next.tls_selfsigned();
        boolean hadTls = tls != null;
        if (tlsFiles) {
            loadTls(next, tls);
        }
        if (tls == null || next.tls_port() == 0) {
            imaps.close();
        } else if (!hadTls || imaps.port() < 0 || !old.bind().equals(next.bind()) || old.tls_port() != next.tls_port()) {
            imaps.move(next.bind(), next.tls_port());
        }
    }

    /**
     * The first configuration of this activation: TLS, then both ports. At the start of the process a
     * port that cannot be had ends it (status 1, for the supervisor to retry); when the component is
     * activated again later (a bundle it uses restarted), the port is tried again until it listens.
     */
    private void start(ImapdConfig c) {
        loadTls(c, null);
        boolean first = !LISTENED.getAndSet(true);
        if (!first) {
            plain.openOrRetry(c.bind(), c.port());
            if (tls != null && c.tls_port() != 0) {
                imaps.openOrRetry(c.bind(), c.tls_port());
            }
            return;
        }
        try {
            plain.open(c.bind(), c.port());
        } catch (IOException e) {
            fatal("imapd cannot listen on " + c.bind() + ":" + c.port() + " (port): " + e.getMessage());
            return;
        }
        if (tls != null && c.tls_port() != 0) {
            try {
                imaps.open(c.bind(), c.tls_port());
            } catch (IOException e) {
                fatal("imapd cannot listen for IMAPS on " + c.bind() + ":" + c.tls_port() + " (tls.port): " + e.getMessage());
            }
        }
    }

    /**
     * The server cannot run: one ERROR line, and the process ends with status 1 when the launcher
     * offers that (in the runtime; embedded elsewhere, or in tests, the line is all).
     */
    private void fatal(String reason) {
        LOG.error("{}", reason);
        fatal = reason;
        BiConsumer<Integer, String> e = exit;
        if (e != null) {
            e.accept(1, reason);
        }
    }

    /**
     * How to end the process when the server cannot run, or null for none. Set by
     * {@link ExitThroughLauncher}; a failure that came before it is handed over at once.
     */
    void exitWith(BiConsumer<Integer, String> exit) {
        this.exit = exit;
        String f = fatal;
        if (exit != null && f != null) {
            exit.accept(1, f);
        }
    }

    /** Why the server cannot run, or null (tests). */
    String fatal() {
        return fatal;
    }

    /** Forgets the last good configuration, as a new process knows none (tests). */
    static void forgetLastGood() {
        LAST_GOOD.set(null);
        LISTENED.set(false);
    }

    /** The file a configuration came from, for log lines: FileInstall's, else the pid's file name. */
    private static String source(Map<String, Object> properties) {
        Object file = properties.get("felix.fileinstall.filename");
        if (file == null) {
            return "imapd.cfg";
        }
        try {
            return Path.of(URI.create(file.toString())).toString();
        } catch (RuntimeException e) {
            return file.toString();
        }
    }

    /**
     * Loads the certificate and key, making a self-signed pair first if they are missing and that is
     * configured. A failure leaves the server without TLS at start, or with the certificate it had
     * ({@code previous}) on a change; logged either way, and IMAP goes on.
     */
    private void loadTls(ImapdConfig c, SSLContext previous) {
        if (c.tls_cert().isBlank() || c.tls_key().isBlank()) {
            tls = null;
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
            tls = previous;
            LOG.error("imapd: {}: cannot use {} and {}: {}", previous == null ? "no TLS" : "keeping the previous certificate",
                    cert, key, e.toString());
        }
    }

    /**
     * The watchdog's round: sessions whose output has been blocked too long are closed, and the log
     * limiter's windows that are over are summed up.
     */
    private void everySecond() {
        try {
            repeats.flush();
            ImapdConfig c = config;
            if (c == null) {
                return;
            }
            rules.refresh(c.rules(), false);
            long limit = Math.max(1, c.write_timeout()) * 1_000_000_000L;
            long now = System.nanoTime();
            for (Session s : sessions.values()) {
                s.checkWrite(now, limit);
            }
        } catch (RuntimeException e) {
            LOG.error("write watchdog failed", e);
        }
    }

    /**
     * Applies the access rules, then the limits, then hands the connection to a session on a virtual
     * thread. Runs on the accept thread, which must not wait: a connection from a trusted proxy
     * (proxy.trusted) has its PROXY header read, and when the rules name hosts the client's name is
     * looked up (rules.dns.timeout at most), on a virtual thread of its own first. Behind a proxy the
     * client the header names is the client: the rules, the limits, the login delay, the logs and
     * imap:who see its address.
     */
    private void admit(Socket socket, boolean implicitTls) {
        ImapdConfig c = config;
        if (!TrustedNetworks.proxiesOf(c).contains(socket.getInetAddress())) {
            route(socket, implicitTls, null);
            return;
        }
        Thread.ofVirtual().name("imap-proxy-header").start(() -> {
            InetSocketAddress client;
            try {
                client = proxyHeader(socket, c);
            } catch (IOException | RuntimeException e) {
                if (repeats.allow("refused connection (PROXY header)", socket.getInetAddress())) {
                    LOG.warn("refused {}:{}: trusted proxy sent no valid PROXY header: {}",
                            socket.getInetAddress().getHostAddress(), socket.getPort(),
                            e instanceof SocketTimeoutException ? "none within proxy.timeout (" + c.proxy_timeout() + " s)"
                                    : e.getMessage());
                }
                closeQuietly(socket);
                return;
            }
            try {
                route(socket, implicitTls, client);
            } catch (RuntimeException | Error e) {
                LOG.error("connection from {} dropped: {}", socket.getRemoteSocketAddress(), e.toString());
                closeQuietly(socket);
            }
        });
    }

    /**
     * Reads a trusted proxy's PROXY header (net/ProxyHeader), the whole of it within proxy.timeout;
     * returns the client it names, or null when it names none (a LOCAL health check, UNKNOWN), and
     * then the proxy's own address stands, as the specification asks.
     */
    private static InetSocketAddress proxyHeader(Socket socket, ImapdConfig c) throws IOException {
        long deadline = System.nanoTime() + c.proxy_timeout() * 1_000_000_000L;
        ProxyHeader header = ProxyHeader.read(socket.getInputStream(), () -> {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new SocketTimeoutException("PROXY header not complete within proxy.timeout");
            }
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
        });
        socket.setSoTimeout(0);
        if (header.client() == null) {
            LOG.info("proxy {}:{} sent a PROXY header that names no client ({}); its own address stands",
                    socket.getInetAddress().getHostAddress(), socket.getPort(), header.kind());
        }
        return header.client();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // gone already
        }
    }

    /** The rules for the client (the socket's peer, or {@code client} a proxy named), then {@link #admit(Socket, boolean, AccessRules, AccessRules.Choice, InetSocketAddress)}. */
    private void route(Socket socket, boolean implicitTls, InetSocketAddress client) {
        InetAddress address = client == null ? socket.getInetAddress() : client.getAddress();
        AccessRules r = rules.current();
        ImapdConfig c = config;
        if (!r.usesHostNames() || c.rules_dns_timeout() <= 0) {
            admit(socket, implicitTls, r, r.choose(address, null), client);
            return;
        }
        Thread.ofVirtual().name("imap-admit").start(() -> {
            try {
                String host = RulesFile.hostName(address, c.rules_dns_timeout());
                admit(socket, implicitTls, r, r.choose(address, host), client);
            } catch (RuntimeException | Error e) {
                LOG.error("connection from {} dropped: {}", socket.getRemoteSocketAddress(), e.toString());
                closeQuietly(socket);
            }
        });
    }

    private void admit(Socket socket, boolean implicitTls, AccessRules r, AccessRules.Choice choice, InetSocketAddress client) {
        InetAddress address = client == null ? socket.getInetAddress() : client.getAddress();
        int port = client == null ? socket.getPort() : client.getPort();
        String via = client == null ? "" : " (through proxy " + socket.getInetAddress().getHostAddress() + ":" + socket.getPort() + ")";
        if (!choice.allowed()) {
            if (repeats.allow("refused connection (rules)", address)) {
                LOG.warn("refused {}:{}{}: denied by rule \"{}\" of {}", address.getHostAddress(), port, via,
                        choice.rule(), r.source());
            }
            closeQuietly(socket); // before the greeting, as tcpserver does: no text at all
            return;
        }
        AccessRule rule = choice.rule();
        if (!limits.admit(socket, address, address.getHostAddress() + ":" + port + via, sessions.size(), config, rule)) {
            return;
        }
        long id = nextId.getAndIncrement();
        try {
            Session session = new Session(id, new SocketConnection(socket, client), this, implicitTls, rule);
            sessions.put(id, session);
            counters.connected();
            Thread.ofVirtual().name("imap-session-" + id).start(() -> {
                try {
                    session.run();
                } finally {
                    sessions.remove(id);
                    limits.release(address, rule);
                }
            });
        } catch (RuntimeException | Error e) {
            sessions.remove(id);
            limits.release(address, rule);
            throw e; // the listener closes the connection and logs it
        }
    }

    /** The access rules in force (imapd.cfg's rules file), for the admin console. */
    public AccessRules rules() {
        return rules.current();
    }

    /**
     * Reads the rules file again now, changed or not (SIGHUP, imap:reload); the rules in force stay
     * if it cannot be read or is refused.
     */
    public RulesFile.Outcome reloadRules() {
        ImapdConfig c = config;
        return rules.refresh(c == null ? "" : c.rules(), true);
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

    @Override
    public ServerCounters counters() {
        return counters;
    }

    /** The open session with this number, or null. */
    public Session session(long id) {
        return sessions.get(id);
    }

    @Override
    public TextIndex textIndex() {
        return textIndex;
    }

    @Override
    public LogLimiter repeats() {
        return repeats;
    }

    /** The IMAPS port actually bound, or -1. */
    public int tlsPort() {
        return imaps.port();
    }

    /** The port actually bound (differs from the configured one when that is 0), or -1. */
    public int port() {
        return plain.port();
    }
}
