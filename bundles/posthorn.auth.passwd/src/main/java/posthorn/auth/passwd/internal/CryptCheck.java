package posthorn.auth.passwd.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.regex.Pattern;

import org.apache.commons.codec.digest.Crypt;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Checks a password against a crypt(3) hash as shadow(5) holds it: SHA-512 ({@code $6$}),
 * SHA-256 ({@code $5$}), MD5 ({@code $1$}), bcrypt ({@code $2a$}, {@code $2b$}, {@code $2y$}) and
 * traditional DES. yescrypt ({@code $y$}), Debian's default since 11, is recognised but cannot be
 * checked: there is no maintained Java implementation of it. Stateless and thread-safe.
 */
final class CryptCheck {

    enum Outcome {
        MATCH, MISMATCH,
        /** shadow(5): a field starting with '!' is a locked password ({@code passwd -l}). */
        LOCKED,
        /** '*', '!!'-less markers and the empty field: the account has no usable password. */
        NO_PASSWORD,
        UNSUPPORTED, MALFORMED
    }

    private static final Pattern DES = Pattern.compile("[./0-9A-Za-z]{13}");
    private static final Pattern SHA_MD5 = Pattern.compile("\\$[156]\\$.+");
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$\\d\\d\\$[./0-9A-Za-z]{53}");

    private CryptCheck() {
    }

    /**
     * Compares in time that depends on the hash, not on how much of it matches.
     *
     * @param password the UTF-8 password; the caller owns and clears it
     */
    static Outcome check(String hash, byte[] password) {
        if (hash.startsWith("!")) {
            return Outcome.LOCKED;
        }
        if (hash.isEmpty() || hash.startsWith("*")) {
            return Outcome.NO_PASSWORD;
        }
        if (BCRYPT.matcher(hash).matches()) {
            if (password.length > 72) {
                // bcrypt reads 72 bytes at most; BouncyCastle refuses longer input where crypt(3)
                // would silently cut it. A password that long is no real user's: refuse it.
                return Outcome.MISMATCH;
            }
            try {
                // compares in constant time (Strings.constantTimeAreEqual)
                return OpenBSDBCrypt.checkPassword(hash, password) ? Outcome.MATCH : Outcome.MISMATCH;
            } catch (IllegalArgumentException e) {
                return Outcome.MALFORMED;
            }
        }
        if (hash.startsWith("$2")) {
            return hash.matches("\\$2[aby]\\$.*") ? Outcome.MALFORMED : Outcome.UNSUPPORTED;
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
        return MessageDigest.isEqual(computed.getBytes(StandardCharsets.US_ASCII),
                hash.getBytes(StandardCharsets.US_ASCII)) ? Outcome.MATCH : Outcome.MISMATCH;
    }

    /**
     * The scheme of a hash, safe to log: {@code $y$}, {@code $2b$}, {@code DES}, or
     * {@code unrecognised}; never more than the prefix.
     */
    static String scheme(String hash) {
        if (hash.startsWith("$")) {
            int end = hash.indexOf('$', 1);
            if (end > 0 && end <= 12) {
                return hash.substring(0, end + 1);
            }
        } else if (DES.matcher(hash).matches()) {
            return "DES";
        }
        return "unrecognised";
    }
}
