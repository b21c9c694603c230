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
import posthorn.imap.server.internal.net.ImapdConfig;
import posthorn.imap.server.internal.net.LoginDelay;
import posthorn.imap.server.internal.net.TrustedNetworks;
import posthorn.imap.server.internal.sasl.Mechanisms;
import posthorn.store.api.MailStore;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * The one way into a session: LOGIN and AUTHENTICATE both end here, so that what an outcome means
 * for the client is decided once. The flow owns the plaintext policy (a password in the clear only
 * over TLS, from trusted.networks, or where allow.plaintext says so), the brute-force delay, max.bad.logins,
 * opening the user's mail, the log lines and the tagged answer:
 *
 * <ul>
 * <li>success: the user's mail is opened and the session moves on; OK [CAPABILITY ...]. Mail that
 * cannot be opened (a missing Maildir) is NO [UNAVAILABLE], not a failed login.
 * <li>wrong credentials, an unknown user, a failed or malformed exchange: counted toward
 * max.bad.logins and the delay of the address and the user, answered NO [AUTHENTICATIONFAILED]
 * (NO without a code for a malformed exchange) after that delay.
 * <li>the chain cannot answer (a backend down, or configured but not running): NO [UNAVAILABLE] at
 * once, counted toward max.bad.logins only, so that an outage does not lock anyone out.
 * <li>a password in the clear where that is refused: NO [PRIVACYREQUIRED], counted like UNAVAILABLE.
 * </ul>
 *
 * <p>LOGIN is checked as the PLAIN mechanism checks its credentials (as Dovecot does). One flow per
 * connection; used on the session's thread only.
 */
public final class LoginFlow {
    private static final Logger LOG = LoggerFactory.getLogger(LoginFlow.class);

    /** The server-wide parts every connection's flow shares. Thread-safe. */
    public record Services(Authenticator chain, Mechanisms mechanisms, LoginDelay delay, Supplier<MailStore> store,
                           Supplier<ImapdConfig> config) {
    }

    /** What the flow needs of its connection. */
    public interface Connection {
        /** The session's number, for log lines ("s12"). */
        long id();

        /** The client's address: the brute-force delay counts per address; trusted.networks may send passwords. */
        InetAddress address();

        /** The client's address and port, for log lines. */
        String peer();

        boolean tlsActive();

        ResponseWriter out();

        /** Moves the session to the authenticated state, which now owns {@code mail}. */
        void loggedIn(UserRecord user, UserMail mail) throws IOException;

        /** The capabilities to announce in the session's state now. */
        String capabilities();

        /** Says BYE with this text and ends the session after the current command. */
        void end(String text);
    }

    private final Services services;
    private final Connection connection;
    private int badLogins;

    public LoginFlow(Services services, Connection connection) {
        this.services = services;
        this.connection = connection;
    }

    /** Whether a password may be sent in the clear on this connection: TLS, trusted.networks, or allowed. */
    public boolean plaintextAllowed() {
        ImapdConfig c = services.config().get();
        return connection.tlsActive() || TrustedNetworks.of(c).contains(connection.address()) || c.allow_plaintext();
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
     * One login attempt. Its view of the chain notes the user name the mechanism asked about, so that
     * a failure counts toward that user's brute-force delay too.
     */
    public final class Attempt {
        private final String how;
        private final String mechanism;
        private final UserNoting chain = new UserNoting(services.chain());
        private SaslExchange exchange;

        private Attempt(String how, String mechanism) {
            this.how = how;
            this.mechanism = mechanism;
        }

        /** The mechanism's exchange (AUTHENTICATE only). */
        public SaslExchange exchange() {
            return exchange;
        }

        /** Answers the attempt by the exchange's last step (not a challenge). */
        public void finish(String tag, SaslExchange.Step step) throws IOException {
            String user = chain.user;
            switch (step) {
                case SaslExchange.Step.Done d -> open(tag, d.record(), how);
                case SaslExchange.Step.Unavailable u -> {
                    LOG.warn("s{} {} for user {} from {}: result=unavailable ({})", connection.id(), how,
                            AuthChain.printable(user), connection.peer(), u.reason());
                    refused(tag, "UNAVAILABLE", "Authentication is not available now; try again later");
                }
                case SaslExchange.Step.Failed f -> {
                    LOG.info("s{} {} failed for user {} from {}: {}", connection.id(), how, AuthChain.printable(user),
                            connection.peer(), f.reason());
                    if (f.malformed()) {
                        failed(tag, user, null, "Malformed " + mechanism + " exchange");
                    } else {
                        failed(tag, user, "AUTHENTICATIONFAILED", "Authentication failed");
                    }
                }
                case SaslExchange.Step.Challenge c -> throw new IllegalStateException("the exchange is not over");
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
        refused(tag, "PRIVACYREQUIRED", "Plaintext " + what + " is disabled without TLS");
        return true;
    }

    /** Opens the user's mail and lets them in, or answers NO [UNAVAILABLE] if it cannot be opened. */
    private void open(String tag, UserRecord user, String how) throws IOException {
        String name = AuthChain.printable(user.name());
        UserMail mail;
        try {
            mail = services.store().get().open(new StoreUser(user.name(), user.home(), user.maildir(), user.quota()));
        } catch (StoreException e) {
            LOG.warn("s{} login user={} via {}: mail not available: [{}] {}", connection.id(), name, how, e.reason(),
                    e.getMessage());
            connection.out().status(tag, Status.NO, "UNAVAILABLE", "Your mail is not available now; the event is logged");
            return;
        }
        connection.loggedIn(user, mail);
        LOG.info("s{} login user={} via {} from {}", connection.id(), name, how, connection.peer());
        connection.out().status(tag, Status.OK, "CAPABILITY " + connection.capabilities(), "Logged in");
    }

    /**
     * Wrong credentials: counts toward the brute-force delay of the client's address and of
     * {@code user} (null if the exchange did not get as far as a name), waits that delay, then
     * refuses.
     */
    private void failed(String tag, String user, String code, String text) throws IOException {
        ImapdConfig c = services.config().get();
        String address = connection.address().getHostAddress();
        LoginDelay.Penalty p = services.delay().failed(address, user, c.auth_delay_base(), c.auth_delay_max(),
                c.auth_delay_window());
        if (p.delayMillis() > 0) {
            LOG.info("s{} failed login: {} recent from {}, {} for user {}; answering in {} ms", connection.id(),
                    p.addressFailures(), address, p.userFailures(), AuthChain.printable(user), p.delayMillis());
            connection.out().flush();
            try {
                Thread.sleep(p.delayMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
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

    /** The chain as one attempt sees it, noting the user name asked about. */
    private static final class UserNoting implements Authenticator {
        private final Authenticator chain;
        String user;

        UserNoting(Authenticator chain) {
            this.chain = chain;
        }

        @Override
        public Verdict verify(String user, Secret password) {
            this.user = user;
            return chain.verify(user, password);
        }

        @Override
        public Optional<Secret> credential(String user, String scheme) {
            this.user = user;
            return chain.credential(user, scheme);
        }

        @Override
        public Set<String> credentialSchemes() {
            return chain.credentialSchemes();
        }

        @Override
        public Optional<UserRecord> lookup(String user) {
            this.user = user;
            return chain.lookup(user);
        }
    }
}
