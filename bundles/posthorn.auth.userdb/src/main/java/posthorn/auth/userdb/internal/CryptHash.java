package posthorn.auth.userdb.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.regex.Pattern;

import org.apache.commons.codec.digest.Crypt;
import org.apache.commons.codec.digest.Md5Crypt;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Checks a password against a crypt(3) hash as userdb's {@code systempw}/{@code imappw} hold them:
 * MD5 ({@code $1$}), SHA-256 ({@code $5$}), SHA-512 ({@code $6$}), bcrypt ({@code $2a$}, {@code $2b$},
 * {@code $2y$}, through BouncyCastle) and traditional DES. Other schemes (yescrypt, Courier's
 * {@code {SHA}}-style prefixes) are recognised as unsupported. Stateless and thread-safe.
 */
final class CryptHash {

    enum Outcome { MATCH, MISMATCH, LOCKED, UNSUPPORTED, MALFORMED }

    private static final Pattern DES = Pattern.compile("[./0-9A-Za-z]{13}");
    private static final Pattern MODULAR = Pattern.compile("\\$[156]\\$.+");
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$\\d\\d\\$[./0-9A-Za-z]{53}");
    /** bcrypt's cost for new hashes: 2^10 rounds, about 50 ms here. */
    static final int BCRYPT_COST = 10;
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
        if (BCRYPT.matcher(hash).matches()) {
            if (password.length > 72) {
                return Outcome.MISMATCH; // bcrypt reads at most 72 bytes; BouncyCastle refuses more
            }
            try {
                // compares in constant time (Strings.constantTimeAreEqual)
                return OpenBSDBCrypt.checkPassword(hash, password) ? Outcome.MATCH : Outcome.MISMATCH;
            } catch (IllegalArgumentException e) {
                return Outcome.MALFORMED;
            }
        }
        if (hash.matches("\\$2[aby]\\$.*")) {
            return Outcome.MALFORMED;
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
        return Crypt.crypt(password, "$6$" + salt(16, random));
    }

    /** A new SHA-256 crypt hash ({@code $5$}, 16-character random salt). */
    static String sha256(byte[] password, SecureRandom random) {
        return Crypt.crypt(password, "$5$" + salt(16, random));
    }

    /** A new MD5 crypt hash ({@code $1$}, 8-character random salt), as {@code userdbpw -md5} makes. */
    static String md5(byte[] password, SecureRandom random) {
        return Md5Crypt.md5Crypt(password, "$1$" + salt(8, random));
    }

    /**
     * A new bcrypt hash ({@code $2b$}, cost {@value #BCRYPT_COST}).
     *
     * @throws IllegalArgumentException if the password is longer than bcrypt's 72 bytes
     */
    static String bcrypt(byte[] password, SecureRandom random) {
        if (password.length > 72) {
            throw new IllegalArgumentException("bcrypt takes at most 72 bytes of password");
        }
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        return OpenBSDBCrypt.generate("2b", password, salt, BCRYPT_COST);
    }

    private static String salt(int length, SecureRandom random) {
        char[] salt = new char[length];
        for (int i = 0; i < salt.length; i++) {
            salt[i] = SALT_CHARS.charAt(random.nextInt(SALT_CHARS.length()));
        }
        String s = new String(salt);
        Arrays.fill(salt, '\0');
        return s;
    }
}
