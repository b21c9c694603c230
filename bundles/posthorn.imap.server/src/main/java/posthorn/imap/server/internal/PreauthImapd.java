package posthorn.imap.server.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.Enumeration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.jar.Manifest;

import javax.net.ssl.SSLContext;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.api.Authenticator;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.imap.server.internal.acl.GuardedMail;
import posthorn.imap.server.internal.auth.LoginFlow;
import posthorn.imap.server.internal.net.ImapdConfig;
import posthorn.imap.server.internal.net.LogLimiter;
import posthorn.imap.server.internal.net.LoginDelay;
import posthorn.imap.server.internal.sasl.Mechanisms;
import posthorn.imap.server.internal.session.Connection;
import posthorn.imap.server.internal.session.LiteralBudget;
import posthorn.imap.server.internal.session.Session;
import posthorn.store.api.AclMail;
import posthorn.store.api.MailStore;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * The server for one session that is logged in before it starts: {@code posthorn imapd}, Courier's
 * {@code imapd Maildir}, run by ssh, a mail client's tunnel, tcpserver or inetd after their own
 * login step, for the user the process runs as. No OSGi and no listener: the caller (the imapd
 * module's main) reads the configuration, makes the store and the connection, and hands them over;
 * the session is the same {@link Session} the daemon runs, with the same commands and limits.
 *
 * <p>What the daemon's {@link ImapServer} does for all its sessions this does for the one: the
 * configuration in force (read once: the process lives as long as its session), the literal budget,
 * the log limiter, and the watchdog that ends a session whose client stopped reading. There is no
 * second login: LOGIN and AUTHENTICATE are not valid in the authenticated state the session starts in.
 */
public final class PreauthImapd implements Session.Host {
    private static final Logger LOG = LoggerFactory.getLogger(PreauthImapd.class);

    /** Exit statuses: the session ended as a client ends it (LOGOUT, hanging up), or otherwise. */
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;

    /** How long a session may take to end after its connection was closed under it. */
    private static final long END_GRACE_MILLIS = 2000;

    private final ImapdConfig config;
    private final LogLimiter repeats = new LogLimiter();
    private final LiteralBudget literalBudget;
    private final LoginFlow.Services logins;
    private volatile Session session;
    /** The store the session runs on, once {@link #run} has it: what the session asks the host for. */
    private volatile MailStore store;

    public PreauthImapd(ImapdConfig config) {
        this.config = config;
        repeats.configure(config.log_repeat_max(), config.log_repeat_window());
        literalBudget = new LiteralBudget(config::buffer_budget);
        // The store is asked for what it keeps (QUOTA, ACL capabilities); a login never happens here
        // (NO_SECOND_LOGIN refuses LOGIN and AUTHENTICATE before any store is opened).
        logins = new LoginFlow.Services(NO_SECOND_LOGIN, new Mechanisms(), new LoginDelay(), () -> {
            MailStore s = store;
            if (s == null) {
                throw new IllegalStateException("no store before the session runs");
            }
            return s;
        }, () -> config);
    }

    /**
     * Opens the user's mail and runs the session on {@code connection} until it ends.
     *
     * @return the process's exit status: {@link #EXIT_OK} after LOGOUT or when the client hung up,
     *         {@link #EXIT_FAILED} when the mail cannot be opened (BYE says why) or the session
     *         ended otherwise (autologout, I/O error, write timeout, internal error)
     */
    public int run(MailStore store, UserRecord user, Connection connection) {
        return run(store, user, connection, null);
    }

    /**
     * As {@link #run(MailStore, UserRecord, Connection)}, completing the LOGIN of a login program
     * that ran before (its tag, IMAPLOGINTAG) instead of greeting with PREAUTH; null greets.
     */
    public int run(MailStore store, UserRecord user, Connection connection, String loginTag) {
        this.store = store;
        UserMail mail;
        try {
            mail = store.open(new StoreUser(user.name(), user.home(), user.maildir(), user.quota()));
            if (mail instanceof AclMail acl) {
                mail = new GuardedMail(acl, user); // the same RFC 4314 rights as a daemon login (Courier's imapd too)
            }
        } catch (StoreException e) {
            LOG.error("imapd: cannot open the mail of {} at {}: [{}] {}", user.name(), user.maildir(), e.reason(), e.getMessage());
            refuse(connection, "[UNAVAILABLE] Cannot open the mail of " + user.name() + ": " + e.getMessage());
            return EXIT_FAILED;
        }
        Session s = new Session(1, connection, this);
        s.preauthenticated(user, mail, loginTag);
        session = s;
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().name("imapd-watchdog").daemon().unstarted(r));
        long limit = Math.max(1, config.write_timeout()) * 1_000_000_000L;
        watchdog.scheduleWithFixedDelay(() -> {
            repeats.flush();
            s.checkWrite(System.nanoTime(), limit);
        }, 1, 1, TimeUnit.SECONDS);
        String[] end = new String[1];
        Thread thread = Thread.ofPlatform().name("imap-session-1").unstarted(() -> end[0] = s.run());
        thread.start();
        try {
            joinOrGiveUp(thread, connection);
        } finally {
            watchdog.shutdownNow();
        }
        String how = end[0];
        if (how == null) {
            LOG.warn("imapd: the session did not end within {} ms of its connection closing; ending the process",
                    END_GRACE_MILLIS);
            return EXIT_FAILED;
        }
        return how.equals("logout") || how.equals("closed by client") ? EXIT_OK : EXIT_FAILED;
    }

    /**
     * Waits for the session's thread. A write blocked on a pipe does not end when the pipe is
     * closed (the write watchdog's way to end a session whose client stopped reading); then, once
     * the connection is closed, the session has a moment to end before the caller ends the process.
     */
    private static void joinOrGiveUp(Thread thread, Connection connection) {
        boolean interrupted = false;
        long closedAt = 0;
        while (thread.isAlive()) {
            try {
                thread.join(200);
            } catch (InterruptedException e) {
                interrupted = true;
            }
            if (connection instanceof posthorn.imap.server.internal.session.StdioConnection stdio && stdio.closed()) {
                long now = System.nanoTime();
                if (closedAt == 0) {
                    closedAt = now;
                } else if (now - closedAt > END_GRACE_MILLIS * 1_000_000L) {
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ends the session from another thread (SIGTERM): BYE, then close. */
    public void shutdown(String reason) {
        Session s = session;
        if (s != null) {
            s.shutdown(reason);
        }
    }

    /**
     * Tells the client it will not be served, before any session: one BYE (RFC 3501 7.1.5: a server
     * may greet with BYE), then the connection ends.
     */
    public static void refuse(Connection connection, String text) {
        try {
            connection.output().write(("* BYE " + text.replaceAll("[\\r\\n]+", " ") + "\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            connection.output().flush();
        } catch (IOException e) {
            // the client is gone; the log line says why
        }
        connection.finish();
    }

    @Override
    public ImapdConfig config() {
        return config;
    }

    /** No TLS: the connection is a pipe, or a socket whose TLS is not this process's business. */
    @Override
    public SSLContext tls() {
        return null;
    }

    @Override
    public LoginFlow.Services logins() {
        return logins;
    }

    @Override
    public LiteralBudget literalBudget() {
        return literalBudget;
    }

    @Override
    public LogLimiter repeats() {
        return repeats;
    }

    /** The server bundle's version from its jar's manifest (for ID), read when ID asks. */
    @Override
    public String version() {
        try {
            Enumeration<URL> manifests = PreauthImapd.class.getClassLoader().getResources("META-INF/MANIFEST.MF");
            while (manifests.hasMoreElements()) {
                try (InputStream in = manifests.nextElement().openStream()) {
                    var attributes = new Manifest(in).getMainAttributes();
                    if ("posthorn.imap.server".equals(attributes.getValue("Bundle-SymbolicName"))) {
                        String v = attributes.getValue("Bundle-Version");
                        return v == null ? "0" : v;
                    }
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot read the manifests: {}", e.toString());
        }
        return "0";
    }

    /** The pre-authenticated session has no one to log in: every attempt is refused as unavailable. */
    private static final Authenticator NO_SECOND_LOGIN = new Authenticator() {
        @Override
        public Verdict verify(String user, Secret password) {
            return new Verdict.Unavailable("pre-authenticated session");
        }

        @Override
        public Optional<Secret> credential(String user, String scheme) {
            return Optional.empty();
        }

        @Override
        public Set<String> credentialSchemes() {
            return Set.of();
        }

        @Override
        public Optional<UserRecord> lookup(String user) {
            return Optional.empty();
        }
    };
}
