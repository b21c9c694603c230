package posthorn.auth.userdb.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.regex.Pattern;

import org.apache.commons.codec.digest.Crypt;

/**
 * Checks a password against a crypt(3) hash as userdb's {@code systempw}/{@code imappw} hold them:
 * MD5 ({@code $1$}), SHA-256 ({@code $5$}), SHA-512 ({@code $6$}) and traditional DES. Other schemes
 * (bcrypt, yescrypt, Courier's {@code {SHA}}-style prefixes) are recognised as unsupported. Stateless
 * and thread-safe.
 */
final class CryptHash {

    enum Outcome { MATCH, MISMATCH, LOCKED, UNSUPPORTED, MALFORMED }

    private static final Pattern DES = Pattern.compile("[./0-9A-Za-z]{13}");
    private static final Pattern MODULAR = Pattern.compile("\\$[156]\\$.+");
    private static final String SALT_CHARS =
            "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private CryptHash() {
    }

    /**
     * Compares in constant time for a given hash. {@code password} is the UTF-8 password; the caller
     * owns and clears it.
     */
    static Outcome check(String hash, byte[] password) {
        if (hash.isEmpty() || hash.startsWith("!") || hash.startsWith("*")) {
            return Outcome.LOCKED; // shadow(5) convention for a locked or passwordless account
        }
        if (!MODULAR.matcher(hash).matches() && !DES.matcher(hash).matches()) {
            return Outcome.UNSUPPORTED;
        }
        String computed;
        try {
            computed = Crypt.crypt(password, hash);
        } catch (IllegalArgumentException e) {
            return Outcome.MALFORMED;
        }
        return MessageDigest.isEqual(computed.getBytes(StandardCharsets.US_ASCII),
                hash.getBytes(StandardCharsets.US_ASCII)) ? Outcome.MATCH : Outcome.MISMATCH;
    }

    /**
     * The scheme prefix of an unsupported hash, safe to log: {@code $2b$}, {@code {SHA}}, or
     * {@code unrecognised}. Never more than the prefix.
     */
    static String schemePrefix(String hash) {
        if (hash.startsWith("$")) {
            int end = hash.indexOf('$', 1);
            if (end > 0 && end <= 12) {
                return hash.substring(0, end + 1);
            }
        } else if (hash.startsWith("{")) {
            int end = hash.indexOf('}');
            if (end > 0 && end <= 24) {
                return hash.substring(0, end + 1);
            }
        }
        return "unrecognised";
    }

    /** A new SHA-512 crypt hash ({@code $6$} with a 16-character random salt) of the password. */
    static String sha512(byte[] password, SecureRandom random) {
        char[] salt = new char[16];
        for (int i = 0; i < salt.length; i++) {
            salt[i] = SALT_CHARS.charAt(random.nextInt(SALT_CHARS.length()));
        }
        String hash = Crypt.crypt(password, "$6$" + new String(salt));
        Arrays.fill(salt, '\0');
        return hash;
    }
}
