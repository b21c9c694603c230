package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import posthorn.auth.api.Authenticator;
import posthorn.auth.api.SaslExchange;
import posthorn.auth.api.SaslMechanism;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.auth.AuthChain;
import posthorn.imap.server.internal.session.Session;

/**
 * AUTHENTICATE (RFC 3501 6.2.2) with SASL-IR (RFC 4959): runs the named mechanism's exchange, each
 * challenge as "+ base64", each client line base64-decoded; "*" cancels. PLAIN and LOGIN are built
 * in; CRAM-MD5, SCRAM and others come as SaslMechanism services.
 */
final class Authenticate implements Command {
    @Override
    public String name() {
        return "AUTHENTICATE";
    }

    @Override
    public Set<State> states() {
        return NOT_AUTHENTICATED;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException {
        args.sp();
        String name = args.atom().toUpperCase(Locale.ROOT);
        String initial = null;
        if (!args.atEnd()) {
            args.sp();
            initial = args.atom();
        }
        args.end();
        SaslMechanism mechanism = session.mechanisms().get(name);
        if (mechanism == null || !mechanism.available(session.auth())) {
            session.out().status(tag, Status.NO, "CANNOT", "Unsupported authentication mechanism " + AuthChain.printable(name));
            return;
        }
        if (mechanism.plaintext() && !session.plaintextAllowed()) {
            session.log().info("s{} AUTHENTICATE {} refused: plaintext without TLS from {}", session.id(), name, session.peer());
            session.loginRefused(tag, "PRIVACYREQUIRED", "Plaintext authentication is disabled without TLS");
            return;
        }
        UserNoting auth = new UserNoting(session.auth());
        SaslExchange exchange = mechanism.start(auth, session.serverName());
        byte[] challenge = exchange.initialChallenge();
        byte[] response;
        if (initial != null) {
            if (challenge.length > 0) {
                // RFC 4959: an initial response to a server-first mechanism is a protocol error.
                throw new ProtocolException(name + " does not take an initial response");
            }
            response = decode(initial);
        } else {
            response = ask(session, challenge);
        }
        while (true) {
            SaslExchange.Step step = exchange.respond(response);
            switch (step) {
                case SaslExchange.Step.Challenge c -> response = ask(session, c.data());
                case SaslExchange.Step.Done d -> {
                    session.login(tag, d.record(), "AUTHENTICATE " + name);
                    return;
                }
                case SaslExchange.Step.Failed f -> {
                    session.log().info("s{} AUTHENTICATE {} failed from {}: {}", session.id(), name, session.peer(), f.reason());
                    if (f.malformed()) {
                        session.loginFailed(tag, auth.user, null, "Malformed " + name + " exchange");
                    } else {
                        session.loginFailed(tag, auth.user, "AUTHENTICATIONFAILED", "Authentication failed");
                    }
                    return;
                }
                case SaslExchange.Step.Unavailable u -> {
                    session.loginRefused(tag, "UNAVAILABLE", "Authentication is not available now; try again later");
                    return;
                }
            }
        }
    }

    /**
     * The auth chain as one exchange sees it, noting the user name the mechanism asked about, so that
     * a failure counts toward that user's brute-force delay too.
     */
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

    /** Sends a challenge and reads the client's answer. */
    private static byte[] ask(Session session, byte[] challenge) throws IOException, ProtocolException {
        session.out().continuation(Base64.getEncoder().encodeToString(challenge));
        String line = session.readContinuationLine();
        if (line.equals("*")) {
            throw new ProtocolException("Authentication cancelled");
        }
        return decode(line);
    }

    private static byte[] decode(String text) throws ProtocolException {
        if (text.equals("=")) {
            return new byte[0];
        }
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("Invalid base64 in the SASL response");
        }
    }
}
