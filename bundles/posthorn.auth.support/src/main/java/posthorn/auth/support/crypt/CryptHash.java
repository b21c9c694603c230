package posthorn.auth.support.crypt;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.regex.Pattern;

import org.apache.commons.codec.digest.Crypt;
import org.apache.commons.codec.digest.Md5Crypt;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

import posthorn.auth.api.Secret;

/**
 * crypt(3) password hashes, as shadow(5), Courier's userdb ({@code systempw}, {@code imappw}), SQL
 * rows and LDAP's {@code {CRYPT}} values hold them: SHA-512 ({@code $6$}), SHA-256 ({@code $5$}),
 * MD5 ({@code $1$}), bcrypt ({@code $2a$}, {@code $2b$}, {@code $2y$}, through BouncyCastle's
 * OpenBSDBCrypt) and traditional DES (commons-codec's Crypt for all but bcrypt). Every backend
 * checks with this one class, so a hash means the same wherever it is stored.
 *
 * <p>The rules, decided once for every backend:
 * <ul>
 * <li>Locked and passwordless accounts (shadow(5)): a field starting with {@code !} is
 * {@link Outcome#LOCKED} ({@code passwd -l} puts {@code !} before the hash; {@code !!} is an
 * account whose password was never set); a field starting with {@code *}, or an empty field, is
 * {@link Outcome#NO_PASSWORD}. Both refuse every password; they differ only in the reason a
 * backend gives.</li>
 * <li>bcrypt reads at most 72 bytes of password and ignores the rest, so with crypt(3)'s
 * truncation any password that merely starts with the right 72 bytes would match. A password
 * longer than 72 bytes is therefore a {@link Outcome#MISMATCH} against a bcrypt hash, never a
 * match: no real user types that much, and a match there would accept a password that is not the
 * one that was set. (libxcrypt, PHP and Python's bcrypt truncate instead; a site whose users set
 * such passwords elsewhere must reset them.) {@link #bcrypt} refuses to make such a hash.</li>
 * <li>A value of a recognised scheme that cannot be decoded (a {@code $2b$} of the wrong length,
 * a bad salt) is {@link Outcome#MALFORMED}; a scheme this class cannot compute (yescrypt
 * {@code $y$}, Debian's default since 11, which has no maintained Java implementation;
 * {@code {SHA}}-style prefixes; anything else) is {@link Outcome#UNSUPPORTED}.</li>
 * </ul>
 * Comparisons take time that depends on the hash, not on how much of it matches. Stateless and
 * thread-safe.
 */
public final class CryptHash {

    /** What a check says. Only {@link #MATCH} lets the user in. */
    public enum Outcome {
        MATCH,
        MISMATCH,
        /** The field starts with {@code !}: a locked account. */
        LOCKED,
        /** The field is empty or starts with {@code *}: the account has no password. */
        NO_PASSWORD,
        /** A recognised scheme whose value is broken. */
        MALFORMED,
        /** A scheme this class cannot compute. */
        UNSUPPORTED
    }

    /** bcrypt's limit: it reads no more than this many bytes of the password. */
    public static final int BCRYPT_MAX_BYTES = 72;
    /** bcrypt's cost for new hashes: 2^10 rounds, about 50 ms here. */
    public static final int BCRYPT_COST = 10;

    private static final Pattern DES = Pattern.compile("[./0-9A-Za-z]{13}");
    private static final Pattern SHA_MD5 = Pattern.compile("\\$[156]\\$.+");
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$\\d\\d\\$[./0-9A-Za-z]{53}");
    private static final Pattern BCRYPT_PREFIX = Pattern.compile("\\$2[aby]\\$.*");
    private static final String SALT_CHARS =
            "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private CryptHash() {
    }

    /**
     * Checks a login's password against a hash; the copy of its bytes made for that is cleared.
     *
     * @param hash the stored field, as it is (no prefix such as {@code {CRYPT}})
     */
    public static Outcome check(String hash, Secret password) {
        byte[] key = password.utf8();
        try {
            return check(hash, key);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /**
     * Checks a password against a hash.
     *
     * @param hash     the stored field, as it is (no prefix such as {@code {CRYPT}})
     * @param password the UTF-8 password; left as it is (the caller owns and clears it)
     */
    public static Outcome check(String hash, byte[] password) {
        Outcome marker = marker(hash);
        if (marker != null) {
            return marker;
        }
        if (BCRYPT.matcher(hash).matches()) {
            if (password.length > BCRYPT_MAX_BYTES) {
                return Outcome.MISMATCH;
            }
            try {
                // compares in constant time (Strings.constantTimeAreEqual)
                return OpenBSDBCrypt.checkPassword(hash, password) ? Outcome.MATCH : Outcome.MISMATCH;
            } catch (IllegalArgumentException e) {
                return Outcome.MALFORMED;
            }
        }
        if (BCRYPT_PREFIX.matcher(hash).matches()) {
            return Outcome.MALFORMED;
        }
        if (!SHA_MD5.matcher(hash).matches() && !DES.matcher(hash).matches()) {
            return Outcome.UNSUPPORTED;
        }
        // commons-codec's SHA-crypt and MD5-crypt zero the key they are given: hand it a copy
        byte[] key = password.clone();
        String computed;
        try {
            computed = Crypt.crypt(key, hash);
        } catch (IllegalArgumentException e) {
            return Outcome.MALFORMED;
        } finally {
            Arrays.fill(key, (byte) 0);
        }
        return MessageDigest.isEqual(computed.getBytes(StandardCharsets.UTF_8),
                hash.getBytes(StandardCharsets.UTF_8)) ? Outcome.MATCH : Outcome.MISMATCH;
    }

    /**
     * True if the field itself refuses every password ({@link Outcome#LOCKED} or
     * {@link Outcome#NO_PASSWORD}), whatever is typed: such an account hands out no secret either.
     */
    public static boolean refusesEveryPassword(String hash) {
        return marker(hash) != null;
    }

    private static Outcome marker(String hash) {
        if (hash.startsWith("!")) {
            return Outcome.LOCKED;
        }
        if (hash.isEmpty() || hash.startsWith("*")) {
            return Outcome.NO_PASSWORD;
        }
        return null;
    }

    /**
     * The scheme of a hash, safe to log: {@code $y$}, {@code $2b$}, {@code {SHA}}, {@code DES}, or
     * {@code unrecognised}; never more than the prefix.
     */
    public static String scheme(String hash) {
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
        } else if (DES.matcher(hash).matches()) {
            return "DES";
        }
        return "unrecognised";
    }

    /** A new SHA-512 crypt hash ({@code $6$}, 16-character random salt) of the UTF-8 password. */
    public static String sha512(byte[] password, SecureRandom random) {
        return Crypt.crypt(password.clone(), "$6$" + salt(16, random));
    }

    /** A new SHA-256 crypt hash ({@code $5$}, 16-character random salt). */
    public static String sha256(byte[] password, SecureRandom random) {
        return Crypt.crypt(password.clone(), "$5$" + salt(16, random));
    }

    /** A new MD5 crypt hash ({@code $1$}, 8-character random salt), as {@code userdbpw -md5} makes. */
    public static String md5(byte[] password, SecureRandom random) {
        return Md5Crypt.md5Crypt(password.clone(), "$1$" + salt(8, random));
    }

    /**
     * A new bcrypt hash ({@code $2b$}, cost {@value #BCRYPT_COST}).
     *
     * @throws IllegalArgumentException if the password is longer than bcrypt's 72 bytes, which
     *                                  {@link #check} would never match
     */
    public static String bcrypt(byte[] password, SecureRandom random) {
        if (password.length > BCRYPT_MAX_BYTES) {
            throw new IllegalArgumentException("bcrypt takes at most " + BCRYPT_MAX_BYTES + " bytes of password");
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
        return new String(salt);
    }
}
