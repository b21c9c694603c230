package posthorn.auth.sql.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.regex.Pattern;

import org.apache.commons.codec.digest.Crypt;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Checks a password against what an SQL row stores: a crypt(3) hash (SHA-512 {@code $6$}, SHA-256
 * {@code $5$}, MD5 {@code $1$}, bcrypt {@code $2a$}/{@code $2b$}/{@code $2y$}, traditional DES) or
 * a clear password. Every comparison is timing-safe. Stateless and thread-safe.
 */
final class PasswordCheck {

    enum Outcome { MATCH, MISMATCH, LOCKED, UNSUPPORTED, MALFORMED }

    private static final Pattern DES = Pattern.compile("[./0-9A-Za-z]{13}");
    private static final Pattern SHA_MD5 = Pattern.compile("\\$[156]\\$.+");
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$\\d\\d\\$[./0-9A-Za-z]{53}");

    private PasswordCheck() {
    }

    /**
     * Compares the UTF-8 {@code password} (owned and cleared by the caller) with a crypt(3) hash,
     * in time that does not depend on where they differ.
     */
    static Outcome crypt(String hash, byte[] password) {
        if (hash.startsWith("!") || hash.startsWith("*")) {
            return Outcome.LOCKED; // shadow(5) convention for a locked or passwordless account
        }
        if (BCRYPT.matcher(hash).matches()) {
            try {
                return OpenBSDBCrypt.checkPassword(hash, password) ? Outcome.MATCH : Outcome.MISMATCH;
            } catch (IllegalArgumentException e) {
                return Outcome.MALFORMED;
            }
        }
        if (!SHA_MD5.matcher(hash).matches() && !DES.matcher(hash).matches()) {
            return Outcome.UNSUPPORTED;
        }
        String computed;
        try {
            computed = Crypt.crypt(password, hash);
        } catch (IllegalArgumentException e) {
            return Outcome.MALFORMED;
        }
        return MessageDigest.isEqual(computed.getBytes(StandardCharsets.UTF_8),
                hash.getBytes(StandardCharsets.UTF_8)) ? Outcome.MATCH : Outcome.MISMATCH;
    }

    /** Compares the UTF-8 {@code password} with a stored clear password, timing-safely. */
    static Outcome clear(String stored, byte[] password) {
        return MessageDigest.isEqual(stored.getBytes(StandardCharsets.UTF_8), password)
                ? Outcome.MATCH : Outcome.MISMATCH;
    }

    /**
     * The scheme prefix of an unsupported hash, safe to log ({@code $y$}, {@code {SHA}}), or
     * {@code unrecognised}; never more than the prefix.
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
}
