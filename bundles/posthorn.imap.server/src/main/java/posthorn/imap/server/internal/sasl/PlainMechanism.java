package posthorn.imap.server.internal.sasl;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import posthorn.auth.api.Authenticator;
import posthorn.auth.api.SaslExchange;
import posthorn.auth.api.SaslMechanism;
import posthorn.auth.api.Secret;

/**
 * PLAIN (RFC 4616): authzid NUL authcid NUL passwd in one client response. Logging in as another
 * user (an authzid that differs from the authcid) is not offered.
 */
public final class PlainMechanism implements SaslMechanism {

    @Override
    public String name() {
        return "PLAIN";
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
            @Override
            public byte[] initialChallenge() {
                return new byte[0];
            }

            @Override
            public Step respond(byte[] message) {
                int first = indexOf(message, 0);
                int second = first < 0 ? -1 : indexOf(message, first + 1);
                if (first < 0 || second < 0) {
                    return new Step.Failed("malformed PLAIN response", true);
                }
                String authzid = new String(message, 0, first, StandardCharsets.UTF_8);
                String authcid = new String(message, first + 1, second - first - 1, StandardCharsets.UTF_8);
                if (!authzid.isEmpty() && !authzid.equals(authcid)) {
                    return new Step.Failed("authorization identity differs from the user", false);
                }
                byte[] pw = Arrays.copyOfRange(message, second + 1, message.length);
                Secret password = Secret.ofUtf8(pw);
                Arrays.fill(pw, (byte) 0);
                try {
                    return Mechanisms.verify(authenticator, authcid, password);
                } finally {
                    password.clear();
                }
            }
        };
    }

    private static int indexOf(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return -1;
    }
}
