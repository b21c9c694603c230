package posthorn.auth.cram.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Supplier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import posthorn.auth.api.Authenticator;
import posthorn.auth.api.CredentialSource;
import posthorn.auth.api.SaslExchange;
import posthorn.auth.api.SaslMechanism;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.support.hmac.HmacMd5State;

/**
 * The CRAM family (RFC 2195, and Courier's CRAM-SHA1 / CRAM-SHA256): the server sends
 * {@code <random.timestamp@hostname>}, the client answers {@code user SP hex(HMAC(secret,
 * challenge))}. The secret is a stored credential from the auth chain: for CRAM-MD5 the HMAC-MD5
 * pad states (Courier's {@code hmac-md5pw}) or a clear password, for the others a clear password.
 * Thread-safe; each exchange is one command's.
 */
abstract class CramMechanism implements SaslMechanism {

    private static final SecureRandom RANDOM = new SecureRandom();

    private volatile boolean enabled = true;
    /** Makes the challenge; replaced in tests to replay RFC 2195's example. */
    volatile Supplier<String> challenges;

    /** Whether auth.cram.cfg lets this mechanism be offered. */
    boolean enabled() {
        return enabled;
    }

    /** Takes auth.cram.cfg, unless it is refused (then the setting from before stays). */
    void configure(CramConfig config) {
        CramSettings.of(config).ifPresent(s -> enabled = s.enabled(name()));
    }

    /** The JCA name of the HMAC, e.g. HmacSHA256. */
    abstract String macAlgorithm();

    /** The MAC's length in bytes. */
    abstract int macLength();

    /** Whether the mechanism can use an HMAC-MD5 state credential. */
    boolean usesHmacMd5States() {
        return false;
    }

    @Override
    public boolean plaintext() {
        return false;
    }

    @Override
    public boolean available(Authenticator authenticator) {
        if (!enabled) {
            return false;
        }
        var schemes = authenticator.credentialSchemes();
        return schemes.contains(CredentialSource.PLAIN)
                || usesHmacMd5States() && schemes.contains(CredentialSource.HMAC_MD5);
    }

    @Override
    public SaslExchange start(Authenticator authenticator, String serverName) {
        Supplier<String> c = challenges;
        String challenge = c != null ? c.get() : challenge(serverName);
        return new Exchange(authenticator, challenge.getBytes(StandardCharsets.US_ASCII));
    }

    /** RFC 2195 section 2: a "presumptively arbitrary string of random digits, a timestamp, and the
     * fully-qualified primary host name of the server", in msg-id form. */
    static String challenge(String serverName) {
        long random = RANDOM.nextLong() & Long.MAX_VALUE;
        String host = serverName.replaceAll("[^A-Za-z0-9.-]", "");
        return "<" + random + "." + System.currentTimeMillis() / 1000 + "@" + (host.isEmpty() ? "localhost" : host) + ">";
    }

    private final class Exchange implements SaslExchange {
        private final Authenticator authenticator;
        private final byte[] challenge;
        private boolean answered;

        Exchange(Authenticator authenticator, byte[] challenge) {
            this.authenticator = authenticator;
            this.challenge = challenge;
        }

        @Override
        public byte[] initialChallenge() {
            return challenge.clone();
        }

        @Override
        public Step respond(byte[] response) {
            if (answered) {
                return new Step.Failed("response after the exchange ended", true);
            }
            answered = true;
            String text = new String(response, StandardCharsets.UTF_8);
            int sp = text.lastIndexOf(' ');
            if (sp <= 0 || text.length() - sp - 1 != 2 * macLength()) {
                return new Step.Failed("malformed " + name() + " response", true);
            }
            String user = text.substring(0, sp);
            byte[] digest;
            try {
                digest = HexFormat.of().parseHex(text.substring(sp + 1));
            } catch (IllegalArgumentException e) {
                return new Step.Failed("malformed " + name() + " digest", true);
            }
            Optional<byte[]> expected = expected(user);
            // the unknown user's digest is compared against a MAC too, so both take as long
            byte[] want = expected.orElseGet(() -> mac(new byte[16]));
            boolean ok = MessageDigest.isEqual(want, digest) && expected.isPresent();
            Arrays.fill(want, (byte) 0);
            if (!ok) {
                return new Step.Failed(expected.isPresent() ? "wrong digest" : "no stored secret for the user", false);
            }
            Optional<UserRecord> record = authenticator.lookup(user);
            if (record.isEmpty()) {
                return new Step.Unavailable("no user record");
            }
            return new Step.Done(record.get().name(), record.get());
        }

        private Optional<byte[]> expected(String user) {
            if (usesHmacMd5States()) {
                Optional<Secret> states = authenticator.credential(user, CredentialSource.HMAC_MD5);
                if (states.isPresent()) {
                    byte[] s = states.get().utf8();
                    try {
                        return s.length == HmacMd5State.LENGTH ? Optional.of(HmacMd5State.mac(s, challenge))
                                : Optional.empty();
                    } finally {
                        Arrays.fill(s, (byte) 0);
                        states.get().clear();
                    }
                }
            }
            Optional<Secret> password = authenticator.credential(user, CredentialSource.PLAIN);
            if (password.isEmpty()) {
                return Optional.empty();
            }
            byte[] key = password.get().utf8();
            try {
                return key.length == 0 ? Optional.empty() : Optional.of(mac(key));
            } finally {
                Arrays.fill(key, (byte) 0);
                password.get().clear();
            }
        }

        private byte[] mac(byte[] key) {
            try {
                Mac mac = Mac.getInstance(macAlgorithm());
                mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, macAlgorithm()));
                return mac.doFinal(challenge);
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(macAlgorithm() + " is missing from this JDK", e);
            }
        }
    }
}
