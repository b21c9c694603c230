package posthorn.imap.server.internal.auth;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.api.Authenticator;
import posthorn.auth.api.SaslExchange;
import posthorn.auth.api.SaslMechanism;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.net.AccessRule;
import posthorn.imap.server.internal.net.ImapdConfig;
import posthorn.imap.server.internal.net.LoginDelay;
import posthorn.imap.server.internal.net.TrustedNetworks;
import posthorn.imap.server.internal.sasl.Mechanisms;
import posthorn.imap.server.internal.stats.ServerCounters;
import posthorn.store.api.MailStore;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreUser;
import posthorn.store.api.AclMail;
import posthorn.imap.server.internal.acl.GuardedMail;
import posthorn.imap.server.internal.acl.SharedIndex;
import posthorn.imap.server.internal.acl.SharedMail;
import posthorn.store.api.AclStore;
import posthorn.store.api.UserMail;

/**
 * The one way into a session: LOGIN and AUTHENTICATE both end here, so that what an outcome means
 * for the client is decided once. The flow owns the plaintext policy (a password in the clear only
 * over TLS, from trusted.networks, or where allow.plaintext says so), the brute-force delay,
 * max.bad.logins, opening the user's mail, the log lines and the tagged answer.
 *
 * <p>Every attempt first waits the brute-force delay its address and user have earned (net/LoginDelay:
 * none without recent failures), before the chain is asked, whatever the password; a client that
 * hangs up meanwhile ends the session at once and the attempt still counts. Then:
 * <ul>
 * <li>success: the user's mail is opened and the session moves on; OK [CAPABILITY ...]. Mail that
 * cannot be opened (a missing Maildir) is NO [UNAVAILABLE], not a failed login.
 * <li>wrong credentials, an unknown user, a failed or malformed exchange: counted toward
 * max.bad.logins and the delay of the address and the user, answered NO [AUTHENTICATIONFAILED]
 * (NO without a code for a malformed exchange) once the delay of the failures including this one has
 * passed since the attempt began.
 * <li>the chain cannot answer (a backend down, or configured but not running): NO [UNAVAILABLE] right
 * after the check, counted toward max.bad.logins and the address's delay (not the user's), so that
 * an outage does not lock anyone out and cannot be used to flood the log.
 * <li>a password in the clear where that is refused: NO [PRIVACYREQUIRED], counted toward
 * max.bad.logins only.
 * </ul>
 *
 * <p>LOGIN is checked as the PLAIN mechanism checks its credentials (as Dovecot does). One flow per
 * connection; used on the session's thread only.
 */
public final class LoginFlow {
    private static final Logger LOG = LoggerFactory.getLogger(LoginFlow.class);

    /**
     * The server-wide parts every connection's flow shares. Thread-safe.
     *
     * @param counters where each attempt's result is counted (the admin console's stats)
     */
    public record Services(Authenticator chain, Mechanisms mechanisms, LoginDelay delay, Supplier<MailStore> store,
                           Supplier<ImapdConfig> config, ServerCounters counters, SharedIndex shared) {
        /** Services with the shared namespace's index in memory. */
        public Services(Authenticator chain, Mechanisms mechanisms, LoginDelay delay, Supplier<MailStore> store,
                        Supplier<ImapdConfig> config, ServerCounters counters) {
            this(chain, mechanisms, delay, store, config, counters, SharedIndex.inMemory());
        }

        /** Services whose counts nobody reads (tests). */
        public Services(Authenticator chain, Mechanisms mechanisms, LoginDelay delay, Supplier<MailStore> store,
                        Supplier<ImapdConfig> config) {
            this(chain, mechanisms, delay, store, config, new ServerCounters());
        }
    }

    /** What the flow needs of its connection. */
    public interface Connection {
        /** The session's number, for log lines ("s12"). */
        long id();

        /** The client's address: the brute-force delay counts per address; trusted.networks may send passwords. */
        InetAddress address();

        /** The client's address and port, for log lines. */
        String peer();

        /**
         * The address of the connection's other end: the client's, or the trusted proxy's that named
         * the client (PROXY protocol). trusted.networks is checked on it: it is that hop a password
         * crosses in the clear.
         */
        default InetAddress transportAddress() {
            return address();
        }

        boolean tlsActive();

        /** The access rule that admitted the client, or null: its allow.plaintext decides before imapd.cfg's. */
        default AccessRule rule() {
            return null;
        }

        ResponseWriter out();

        /** Moves the session to the authenticated state, which now owns {@code mail}. */
        void loggedIn(UserRecord user, UserMail mail) throws IOException;

        /** The capabilities to announce in the session's state now. */
        String capabilities();

        /** Says BYE with this text and ends the session after the current command. */
        void end(String text);

        /**
         * Waits this long (the brute-force delay) with what was written so far sent, watching the
         * connection: throws EOFException (or another IOException) as soon as the client hangs up, so
         * that an abandoned attempt ends its session and frees its slot at once. Input that arrives
         * meanwhile is kept for the commands after.
         */
        void pause(long millis) throws IOException;
    }

    private final Services services;
    private final Connection connection;
    private int badLogins;

    public LoginFlow(Services services, Connection connection) {
        this.services = services;
        this.connection = connection;
    }

    /**
     * Whether a password may be sent in the clear on this connection: over TLS always; else as the
     * client's access rule says (allow.plaintext="true" or "false"), if it says; else from
     * trusted.networks or where imapd.cfg's allow.plaintext allows it.
     */
    public boolean plaintextAllowed() {
        if (connection.tlsActive()) {
            return true;
        }
        AccessRule rule = connection.rule();
        if (rule != null && rule.plaintext() != null) {
            return rule.plaintext();
        }
        ImapdConfig c = services.config().get();
        return TrustedNetworks.of(c).contains(connection.transportAddress()) || c.allow_plaintext();
    }

    /** The SASL mechanisms to announce as AUTH=... now. */
    public List<String> mechanismsOffered() {
        return services.mechanisms().offered(services.chain(), plaintextAllowed());
    }

    /** LOGIN (RFC 3501 6.2.3): the password is checked as PLAIN checks it, and answered. */
    public void login(String tag, String user, Secret password) throws IOException {
        if (refusedInTheClear(tag, "LOGIN", "login")) {
            return;
        }
        Attempt attempt = new Attempt("LOGIN", "LOGIN");
        attempt.finish(tag, Mechanisms.verify(attempt.chain, user, password));
    }

    /**
     * Starts AUTHENTICATE (RFC 3501 6.2.2) with the named mechanism. The caller carries the exchange
     * (challenges and responses) and hands its last step to {@link Attempt#finish}.
     *
     * @return the attempt, or null if it was refused and answered (unknown mechanism, or a plaintext
     *         mechanism without TLS)
     */
    public Attempt authenticate(String tag, String mechanism) throws IOException {
        SaslMechanism m = services.mechanisms().get(mechanism);
        if (m == null || !m.available(services.chain())) {
            connection.out().status(tag, Status.NO, "CANNOT",
                    "Unsupported authentication mechanism " + AuthChain.printable(mechanism));
            return null;
        }
        String how = "AUTHENTICATE " + m.name();
        if (m.plaintext() && refusedInTheClear(tag, how, "authentication")) {
            return null;
        }
        Attempt attempt = new Attempt(how, m.name());
        attempt.exchange = m.start(attempt.chain, serverName());
        return attempt;
    }

    /**
     * One login attempt. Its view of the chain waits the brute-force delay before the chain is first
     * asked (when the user name is known: LOGIN's, or the one the mechanism asks about), so that the
     * delay comes before the check and counts the user's failures too.
     */
    public final class Attempt {
        private final String how;
        private final String mechanism;
        private final Gate chain = new Gate(services.chain());
        private SaslExchange exchange;

        private Attempt(String how, String mechanism) {
            this.how = how;
            this.mechanism = mechanism;
        }

        /** The mechanism's exchange (AUTHENTICATE only). */
        public SaslExchange exchange() {
            return exchange;
        }

        /**
         * Answers the attempt by the exchange's last step (not a challenge). Throws the connection's
         * IOException if the client hung up during the delay: the session ends, nothing is answered.
         */
        public void finish(String tag, SaslExchange.Step step) throws IOException {
            // An exchange that never asked the chain (malformed, or refused by the mechanism) waits here.
            chain.open(null);
            LoginDelay.Attempt delayed = chain.delayed;
            if (chain.gone != null) {
                delayed.abandoned();
                throw chain.gone;
            }
            boolean answered = false;
            try {
                String user = chain.user;
                switch (step) {
                    case SaslExchange.Step.Done d -> {
                        delayed.succeeded();
                        open(tag, d.record(), how);
                    }
                    case SaslExchange.Step.Unavailable u -> {
                        delayed.unavailable();
                        services.counters().login(ServerCounters.Login.UNAVAILABLE);
                        LOG.warn("s{} {} for user {} from {}: result=unavailable ({})", connection.id(), how,
                                AuthChain.printable(user), connection.peer(), u.reason());
                        refused(tag, "UNAVAILABLE", "Authentication is not available now; try again later");
                    }
                    case SaslExchange.Step.Failed f -> {
                        LOG.info("s{} {} failed for user {} from {}: {}", connection.id(), how, AuthChain.printable(user),
                                connection.peer(), f.reason());
                        failed(tag, delayed, user, f.malformed() ? null : "AUTHENTICATIONFAILED",
                                f.malformed() ? "Malformed " + mechanism + " exchange" : "Authentication failed");
                    }
                    case SaslExchange.Step.Challenge c -> throw new IllegalStateException("the exchange is not over");
                }
                answered = true;
            } finally {
                if (!answered) {
                    delayed.abandoned(); // a failure on the way counts like a hang-up (no-op once reported)
                }
            }
        }

        /**
         * The chain as this attempt sees it: the first question waits the brute-force delay, and notes
         * the user name asked about. If the client hangs up during the wait, the chain is not asked
         * (Unavailable, nothing) and {@link #finish} ends the session.
         */
        private final class Gate implements Authenticator {
            private final Authenticator chain;
            String user;
            LoginDelay.Attempt delayed;
            IOException gone;

            Gate(Authenticator chain) {
                this.chain = chain;
            }

            /** Begins the attempt and waits its delay, once; whether the chain may be asked. */
            boolean open(String name) {
                if (name != null) {
                    user = name;
                }
                if (delayed == null) {
                    ImapdConfig c = services.config().get();
                    String address = connection.address().getHostAddress();
                    delayed = services.delay().begin(address, name, c.auth_delay_base(), c.auth_delay_max(),
                            c.auth_delay_window());
                    long wait = delayed.waitMillis();
                    if (wait > 0) {
                        LoginDelay.Penalty p = delayed.before();
                        LOG.info("s{} {} for user {}: {} recent failures from {}, {} for the user; checking in {} ms",
                                connection.id(), how, AuthChain.printable(name), p.addressFailures(), address,
                                p.userFailures(), wait);
                        try {
                            connection.pause(wait);
                        } catch (IOException e) {
                            gone = e;
                        }
                    }
                }
                return gone == null;
            }

            @Override
            public Verdict verify(String user, Secret password) {
                return open(user) ? chain.verify(user, password) : new Verdict.Unavailable("client gone");
            }

            @Override
            public Optional<Secret> credential(String user, String scheme) {
                return open(user) ? chain.credential(user, scheme) : Optional.empty();
            }

            @Override
            public Set<String> credentialSchemes() {
                return chain.credentialSchemes();
            }

            @Override
            public Optional<UserRecord> lookup(String user) {
                return open(user) ? chain.lookup(user) : Optional.empty();
            }
        }
    }

    /** The server's name for SASL mechanisms (CRAM-MD5's challenge, SCRAM): the configured hostname. */
    private String serverName() {
        String h = services.config().get().hostname();
        return h.isBlank() ? "localhost" : h;
    }

    /** Refuses a password in the clear where that is not allowed; whether it did. */
    private boolean refusedInTheClear(String tag, String how, String what) throws IOException {
        if (plaintextAllowed()) {
            return false;
        }
        LOG.info("s{} {} refused: plaintext without TLS from {}", connection.id(), how, connection.peer());
        services.counters().login(ServerCounters.Login.REFUSED);
        refused(tag, "PRIVACYREQUIRED", "Plaintext " + what + " is disabled without TLS");
        return true;
    }

    /** Opens the user's mail and lets them in, or answers NO [UNAVAILABLE] if it cannot be opened. */
    private void open(String tag, UserRecord user, String how) throws IOException {
        String name = AuthChain.printable(user.name());
        UserMail mail;
        long started = services.counters().observed() ? System.nanoTime() : 0;
        try {
            MailStore store = services.store().get();
            mail = store.open(new StoreUser(user.name(), user.home(), user.maildir(), user.quota()));
            if (started != 0) {
                services.counters().storeDone("open", System.nanoTime() - started, false);
            }
            if (mail instanceof AclMail acl) {
                // RFC 4314 rights, checked on every operation; other users' shared folders beside
                GuardedMail own = new GuardedMail(acl, user);
                mail = store instanceof AclStore shared
                        ? new SharedMail(own, user, owner -> otherUser(shared, owner, user.name()), services.shared())
                        : own;
            }
        } catch (StoreException e) {
            if (started != 0) {
                services.counters().storeDone("open", System.nanoTime() - started, true);
            }
            LOG.warn("s{} login user={} via {}: mail not available: [{}] {}", connection.id(), name, how, e.reason(),
                    e.getMessage());
            services.counters().login(ServerCounters.Login.UNAVAILABLE);
            connection.out().status(tag, Status.NO, "UNAVAILABLE", "Your mail is not available now; the event is logged");
            return;
        }
        connection.loggedIn(user, mail);
        services.counters().login(ServerCounters.Login.OK);
        LOG.info("s{} login user={} via {} from {}", connection.id(), name, how, connection.peer());
        connection.out().status(tag, Status.OK, "CAPABILITY " + connection.capabilities(), "Logged in");
    }

    /**
     * Another user's mail, for the shared namespace: the chain's user record (its databases only, no
     * password check), opened by the store without creating anything. Null, with nothing logged above
     * debug, when there is no such user, the record's name differs from the one asked (a backend that
     * folds case or aliases: the name in a mailbox name must be the owner's own), or the user has no
     * mail; the chain being down is an error the session sees (NO [UNAVAILABLE]).
     */
    private AclMail otherUser(AclStore store, String owner, String asking) throws StoreException {
        Optional<UserRecord> found = services.chain().lookup(owner);
        if (found.isEmpty() || !found.get().name().equals(owner)) {
            LOG.debug("s{} shared mail: no user {} (asked by {})", connection.id(), AuthChain.printable(owner), asking);
            return null;
        }
        UserRecord r = found.get();
        try {
            return store.openShared(new StoreUser(r.name(), r.home(), r.maildir(), r.quota()));
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.NONEXISTENT) {
                return null;
            }
            throw e;
        }
    }

    /**
     * Wrong credentials: counts toward the brute-force delay of the client's address and of
     * {@code user} (null if the exchange did not get as far as a name), and refuses once the delay of
     * the failures including this one has passed since the attempt began.
     */
    private void failed(String tag, LoginDelay.Attempt delayed, String user, String code, String text)
            throws IOException {
        services.counters().login(ServerCounters.Login.FAILED);
        LoginDelay.Penalty p = delayed.failed();
        long wait = delayed.left(p.delayMillis());
        if (p.delayMillis() > 0) {
            LOG.info("s{} failed login: {} recent from {}, {} for user {}; answering in {} ms", connection.id(),
                    p.addressFailures(), connection.address().getHostAddress(), p.userFailures(),
                    AuthChain.printable(user), p.delayMillis());
        }
        if (wait > 0) {
            connection.pause(wait);
        }
        refused(tag, code, text);
    }

    /** Answers NO and counts toward max.bad.logins; after too many, ends the session. */
    private void refused(String tag, String code, String text) throws IOException {
        badLogins++;
        connection.out().status(tag, Status.NO, code, text);
        if (badLogins >= services.config().get().max_bad_logins()) {
            LOG.warn("s{} {} failed logins from {}; disconnecting", connection.id(), badLogins, connection.peer());
            connection.end("Too many failed logins");
        }
    }
}
