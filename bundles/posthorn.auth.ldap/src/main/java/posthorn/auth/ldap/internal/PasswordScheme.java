package posthorn.auth.ldap.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import posthorn.auth.support.crypt.CryptHash;

/**
 * userPassword values as OpenLDAP stores them (RFC 2307 {@code {SCHEME}value}), checked here
 * because OpenLDAP's compare operation matches the stored octets, not the password they hash.
 * Supported: {@code {SHA}}, {@code {SSHA}}, {@code {SHA256}}, {@code {SSHA256}}, {@code {SHA384}},
 * {@code {SSHA384}}, {@code {SHA512}}, {@code {SSHA512}}, {@code {MD5}}, {@code {SMD5}}, and
 * {@code {CRYPT}}, whose value the shared {@link CryptHash} checks as every backend does (DES,
 * {@code $1$}, {@code $5$}, {@code $6$}, bcrypt with its 72-byte rule; a locked or malformed value
 * is a mismatch). Every comparison is timing-safe. Stateless and thread-safe.
 */
final class PasswordScheme {

    enum Outcome { MATCH, MISMATCH, UNSUPPORTED }

    private static final Pattern PREFIX = Pattern.compile("^\\{([A-Za-z0-9._-]{1,32})}");

    private PasswordScheme() {
    }

    /** The value's scheme in upper case ({@code SSHA}), or {@code null} for a clear-text value. */
    static String scheme(String stored) {
        Matcher m = PREFIX.matcher(stored);
        return m.find() ? m.group(1).toUpperCase(Locale.ROOT) : null;
    }

    /** Whether {@link #check} can decide values of this scheme here. */
    static boolean supported(String scheme) {
        return scheme != null && (digest(scheme) != null || scheme.equals("CRYPT"));
    }

    /**
     * Checks {@code password} (UTF-8, owned and cleared by the caller) against one stored value
     * with a scheme prefix, leaving {@code password} as it is. {@link Outcome#UNSUPPORTED} for
     * schemes (or crypt(3) variants such as yescrypt) this class cannot compute; a malformed value is
     * a mismatch.
     */
    static Outcome check(String stored, byte[] password) {
        String scheme = scheme(stored);
        if (scheme == null) {
            return Outcome.UNSUPPORTED;
        }
        String rest = stored.substring(scheme.length() + 2);
        if (scheme.equals("CRYPT")) {
            return switch (CryptHash.check(rest, password)) {
                case MATCH -> Outcome.MATCH;
                case UNSUPPORTED -> Outcome.UNSUPPORTED;
                case MISMATCH, LOCKED, NO_PASSWORD, MALFORMED -> Outcome.MISMATCH;
            };
        }
        String algorithm = digest(scheme);
        if (algorithm == null) {
            return Outcome.UNSUPPORTED;
        }
        // {SHA} is unsalted; the salted forms are {SSHA...} and {SMD5}, salt appended to the digest
        boolean salted = scheme.startsWith("SS") || scheme.equals("SMD5");
        byte[] decoded;
        try {
            decoded = Base64.getMimeDecoder().decode(rest);
        } catch (IllegalArgumentException e) {
            return Outcome.MISMATCH;
        }
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            return Outcome.UNSUPPORTED;
        }
        int len = md.getDigestLength();
        if (salted ? decoded.length <= len : decoded.length != len) {
            return Outcome.MISMATCH;
        }
        md.update(password);
        if (salted) {
            md.update(decoded, len, decoded.length - len);
        }
        byte[] computed = md.digest();
        Outcome outcome = equal(computed, Arrays.copyOf(decoded, len));
        Arrays.fill(computed, (byte) 0);
        return outcome;
    }

    private static Outcome equal(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b) ? Outcome.MATCH : Outcome.MISMATCH;
    }

    private static String digest(String scheme) {
        return switch (scheme) {
            case "SHA", "SSHA" -> "SHA-1";
            case "SHA256", "SSHA256" -> "SHA-256";
            case "SHA384", "SSHA384" -> "SHA-384";
            case "SHA512", "SSHA512" -> "SHA-512";
            case "MD5", "SMD5" -> "MD5";
            default -> null;
        };
    }
}
