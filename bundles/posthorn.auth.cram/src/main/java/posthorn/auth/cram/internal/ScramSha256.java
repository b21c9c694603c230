package posthorn.auth.cram.internal;

import java.util.Map;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;

import posthorn.auth.api.Authenticator;
import posthorn.auth.api.CredentialSource;
import posthorn.auth.api.SaslExchange;
import posthorn.auth.api.SaslMechanism;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;

/**
 * SCRAM-SHA-256 (RFC 7677, RFC 5802) from a clear password the auth chain supplies. No channel
 * binding (the -PLUS variant is not offered), no authorization identity other than the user.
 *
 * <p>The salt is derived from the user name under a key made at start: stable for a user while the
 * server runs (so a client may cache its salted password), the same for unknown users as for known
 * ones (so the exchange does not tell who exists), and never stored. User names and passwords are
 * used as UTF-8 without SASLprep normalisation, which only matters for non-ASCII input.
 *
 * <p>IMAP has no room for the server-final message in the tagged OK, so it goes out as a last
 * challenge, which the client answers with an empty response (RFC 5802 section 7, RFC 3501 6.2.2).
 */
@Component(configurationPid = "auth.cram", service = SaslMechanism.class,
        property = SaslMechanism.MECHANISM + "=SCRAM-SHA-256")
public class ScramSha256 implements SaslMechanism {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String HMAC = "HmacSHA256";

    private final byte[] saltKey = new byte[32];
    private volatile boolean enabled = true;
    private volatile int iterations = CramSettings.MIN_ITERATIONS;
    /** Replaced in tests to replay RFC 7677's example: the server nonce and the salt. */
    volatile String fixedServerNonce;
    volatile byte[] fixedSalt;

    public ScramSha256() {
        RANDOM.nextBytes(saltKey);
    }

    /** What DS calls: the file's keys are checked too (see {@link CramSettings#of(CramConfig, Map)}). */
    @Activate
    @Modified
    void readConfig(CramConfig config, Map<String, Object> properties) {
        if (CramSettings.of(config, properties).isPresent()) {
            activate(config);
        }
    }

    void activate(CramConfig config) {
        CramSettings.of(config).ifPresent(s -> {
            enabled = s.enabled(name());
            iterations = s.scramIterations();
        });
    }

    /** The iteration count in force. */
    int iterations() {
        return iterations;
    }

    @Override
    public String name() {
        return "SCRAM-SHA-256";
    }

    @Override
    public boolean plaintext() {
        return false;
    }

    @Override
    public boolean available(Authenticator authenticator) {
        return enabled && authenticator.credentialSchemes().contains(CredentialSource.PLAIN);
    }

    @Override
    public SaslExchange start(Authenticator authenticator, String serverName) {
        return new Exchange(authenticator, iterations);
    }

    private final class Exchange implements SaslExchange {
        private final Authenticator authenticator;
        private final int iterations;
        private int step;
        private String user;
        private String gs2Header;
        private String clientFirstBare;
        private String serverFirst;
        private String nonce;
        private byte[] salt;
        private byte[] serverSignature;

        Exchange(Authenticator authenticator, int iterations) {
            this.authenticator = authenticator;
            this.iterations = iterations;
        }

        @Override
        public byte[] initialChallenge() {
            return new byte[0]; // client-first
        }

        @Override
        public Step respond(byte[] response) {
            return switch (step++) {
                case 0 -> clientFirst(new String(response, StandardCharsets.UTF_8));
                case 1 -> clientFinal(new String(response, StandardCharsets.UTF_8));
                case 2 -> response.length == 0 ? done()
                        : new Step.Failed("unexpected data after the server's final message", true);
                default -> new Step.Failed("response after the exchange ended", true);
            };
        }

        /** RFC 5802 section 7: gs2-header client-first-message-bare. */
        private Step clientFirst(String m) {
            // gs2-cbind-flag "," [ authzid ] ","
            int c1 = m.indexOf(',');
            int c2 = c1 < 0 ? -1 : m.indexOf(',', c1 + 1);
            if (c2 < 0) {
                return new Step.Failed("malformed client-first message", true);
            }
            String flag = m.substring(0, c1);
            if (flag.startsWith("p=")) {
                return new Step.Failed("channel binding asked for; SCRAM-SHA-256-PLUS is not offered", false);
            }
            if (!flag.equals("n") && !flag.equals("y")) {
                return new Step.Failed("malformed channel binding flag", true);
            }
            String authzid = m.substring(c1 + 1, c2);
            if (!authzid.isEmpty() && !authzid.startsWith("a=")) {
                return new Step.Failed("malformed authzid", true);
            }
            gs2Header = m.substring(0, c2 + 1);
            clientFirstBare = m.substring(c2 + 1);
            if (clientFirstBare.startsWith("m=")) {
                return new Step.Failed("mandatory extension not supported", false);
            }
            String[] parts = clientFirstBare.split(",", -1);
            if (parts.length < 2 || !parts[0].startsWith("n=") || !parts[1].startsWith("r=") || parts[1].length() < 3) {
                return new Step.Failed("malformed client-first message", true);
            }
            user = saslName(parts[0].substring(2));
            if (user == null || user.isEmpty()) {
                return new Step.Failed("malformed user name", true);
            }
            if (!authzid.isEmpty() && !user.equals(saslName(authzid.substring(2)))) {
                return new Step.Failed("authorization identity differs from the user", false);
            }
            String clientNonce = parts[1].substring(2);
            if (!printable(clientNonce)) {
                return new Step.Failed("malformed client nonce", true);
            }
            String serverNonce = fixedServerNonce;
            if (serverNonce == null) {
                byte[] r = new byte[18];
                RANDOM.nextBytes(r);
                serverNonce = Base64.getEncoder().encodeToString(r);
            }
            nonce = clientNonce + serverNonce;
            salt = fixedSalt != null ? fixedSalt.clone() : saltFor(user);
            serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(salt) + ",i=" + iterations;
            return new Step.Challenge(serverFirst.getBytes(StandardCharsets.UTF_8));
        }

        /** RFC 5802 section 7: channel-binding "," nonce ["," extensions] "," proof. */
        private Step clientFinal(String m) {
            int p = m.lastIndexOf(",p=");
            if (p < 0) {
                return new Step.Failed("malformed client-final message", true);
            }
            String withoutProof = m.substring(0, p);
            String[] parts = withoutProof.split(",", -1);
            if (parts.length < 2 || !parts[0].startsWith("c=") || !parts[1].startsWith("r=")) {
                return new Step.Failed("malformed client-final message", true);
            }
            byte[] cbind;
            byte[] proof;
            try {
                cbind = Base64.getDecoder().decode(parts[0].substring(2));
                proof = Base64.getDecoder().decode(m.substring(p + 3));
            } catch (IllegalArgumentException e) {
                return new Step.Failed("malformed base64 in client-final message", true);
            }
            if (!MessageDigest.isEqual(cbind, gs2Header.getBytes(StandardCharsets.UTF_8))) {
                return new Step.Failed("channel binding data differs from the gs2 header", false);
            }
            if (!parts[1].substring(2).equals(nonce)) {
                return new Step.Failed("nonce differs", false);
            }
            if (proof.length != 32) {
                return new Step.Failed("malformed client proof", true);
            }
            byte[] authMessage = (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(StandardCharsets.UTF_8);
            Optional<Secret> password = authenticator.credential(user, CredentialSource.PLAIN);
            if (password.isPresent() && password.get().isEmpty()) {
                password = Optional.empty(); // an empty password never logs in
            }
            byte[] key = password.map(Secret::utf8).orElseGet(() -> new byte[] {0});
            password.ifPresent(Secret::clear);
            byte[] salted = hi(key, salt, iterations);
            Arrays.fill(key, (byte) 0);
            byte[] clientKey = hmac(salted, "Client Key".getBytes(StandardCharsets.US_ASCII));
            byte[] storedKey = sha256(clientKey);
            byte[] clientSignature = hmac(storedKey, authMessage);
            byte[] recovered = new byte[32];
            for (int i = 0; i < 32; i++) {
                recovered[i] = (byte) (proof[i] ^ clientSignature[i]);
            }
            boolean ok = MessageDigest.isEqual(sha256(recovered), storedKey) && password.isPresent();
            serverSignature = hmac(hmac(salted, "Server Key".getBytes(StandardCharsets.US_ASCII)), authMessage);
            Arrays.fill(salted, (byte) 0);
            Arrays.fill(clientKey, (byte) 0);
            if (!ok) {
                return new Step.Failed(password.isPresent() ? "wrong proof" : "no stored password for the user", false);
            }
            return new Step.Challenge(("v=" + Base64.getEncoder().encodeToString(serverSignature))
                    .getBytes(StandardCharsets.US_ASCII));
        }

        private Step done() {
            Optional<UserRecord> record = authenticator.lookup(user);
            if (record.isEmpty()) {
                return new Step.Unavailable("no user record");
            }
            return new Step.Done(record.get().name(), record.get());
        }
    }

    /** RFC 5802 saslname: "=2C" is ',' and "=3D" is '='; any other '=' is malformed (null). */
    static String saslName(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '=') {
                if (s.startsWith("=2C", i)) {
                    b.append(',');
                } else if (s.startsWith("=3D", i)) {
                    b.append('=');
                } else {
                    return null;
                }
                i += 2;
            } else if (c == ',') {
                return null;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean printable(String s) {
        return s.chars().allMatch(c -> c >= 0x21 && c <= 0x7e && c != ',');
    }

    private byte[] saltFor(String user) {
        byte[] mac = hmac(saltKey, user.getBytes(StandardCharsets.UTF_8));
        return Arrays.copyOf(mac, 16);
    }

    /** RFC 5802 Hi(): PBKDF2 with HMAC-SHA-256 and one block of output. */
    static byte[] hi(byte[] password, byte[] salt, int iterations) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(password.length == 0 ? new byte[1] : password, HMAC));
            mac.update(salt);
            byte[] u = mac.doFinal(new byte[] {0, 0, 0, 1});
            byte[] result = u.clone();
            for (int i = 1; i < iterations; i++) {
                u = mac.doFinal(u);
                for (int j = 0; j < result.length; j++) {
                    result[j] ^= u[j];
                }
            }
            return result;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(key, HMAC));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
