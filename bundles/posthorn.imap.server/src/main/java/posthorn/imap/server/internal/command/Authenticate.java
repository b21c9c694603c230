package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Set;

import posthorn.auth.api.Secret;
import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.Session;

/**
 * AUTHENTICATE (RFC 3501 6.2.2) with SASL-IR (RFC 4959). PLAIN (RFC 4616) is built in; further
 * mechanisms (CRAM-MD5, SCRAM) arrive as SaslMechanism services with the auth bundles.
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
        String mechanism = args.atom().toUpperCase(Locale.ROOT);
        String initial = null;
        if (!args.atEnd()) {
            args.sp();
            initial = args.atom();
        }
        args.end();
        if (!mechanism.equals("PLAIN")) {
            session.out().status(tag, posthorn.imap.protocol.Status.NO, "CANNOT",
                    "Unsupported authentication mechanism " + mechanism);
            return;
        }
        if (!session.plaintextAllowed()) {
            session.loginFailed(tag, "PRIVACYREQUIRED", "Plaintext authentication is disabled without TLS");
            return;
        }
        String response = initial;
        if (response == null) {
            session.out().continuation("");
            response = session.readContinuationLine();
        }
        if (response.equals("*")) {
            throw new ProtocolException("Authentication cancelled");
        }
        byte[] decoded;
        try {
            decoded = response.equals("=") ? new byte[0] : Base64.getDecoder().decode(response);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("Invalid base64 in the SASL response");
        }
        try {
            plain(session, tag, decoded);
        } finally {
            Arrays.fill(decoded, (byte) 0);
        }
    }

    /** PLAIN: authzid NUL authcid NUL passwd; logging in as someone else (authzid) is not offered. */
    private static void plain(Session session, String tag, byte[] message) throws IOException, ProtocolException {
        int first = indexOf(message, 0);
        int second = first < 0 ? -1 : indexOf(message, first + 1);
        if (first < 0 || second < 0) {
            throw new ProtocolException("Malformed PLAIN response");
        }
        String authzid = new String(message, 0, first, StandardCharsets.UTF_8);
        String authcid = new String(message, first + 1, second - first - 1, StandardCharsets.UTF_8);
        Secret password = Secret.ofUtf8(Arrays.copyOfRange(message, second + 1, message.length));
        try {
            if (!authzid.isEmpty() && !authzid.equals(authcid)) {
                session.loginFailed(tag, "AUTHORIZATIONFAILED", "Logging in as another user is not permitted");
                return;
            }
            Login.authenticate(session, tag, authcid, password, "AUTHENTICATE PLAIN");
        } finally {
            password.clear();
        }
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
