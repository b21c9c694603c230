package posthorn.imap.server.internal.sasl;

import java.nio.charset.StandardCharsets;

import posthorn.auth.api.Authenticator;
import posthorn.auth.api.SaslExchange;
import posthorn.auth.api.SaslMechanism;
import posthorn.auth.api.Secret;

/**
 * LOGIN (draft-murchison-sasl-login): the server asks "Username:" then "Password:". Obsolete but
 * still what some clients (older Outlook, some phones) use.
 */
public final class LoginMechanism implements SaslMechanism {
    private static final byte[] USERNAME = "Username:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PASSWORD = "Password:".getBytes(StandardCharsets.US_ASCII);

    @Override
    public String name() {
        return "LOGIN";
    }

    @Override
    public boolean plaintext() {
        return true;
    }

    @Override
    public boolean available(Authenticator authenticator) {
        return true;
    }

    @Override
    public SaslExchange start(Authenticator authenticator, String serverName) {
        return new SaslExchange() {
            private String user;

            @Override
            public byte[] initialChallenge() {
                return USERNAME;
            }

            @Override
            public Step respond(byte[] response) {
                if (user == null) {
                    user = new String(response, StandardCharsets.UTF_8);
                    return new Step.Challenge(PASSWORD);
                }
                Secret password = Secret.ofUtf8(response);
                try {
                    return Mechanisms.verify(authenticator, user, password);
                } finally {
                    password.clear();
                }
            }
        };
    }
}
