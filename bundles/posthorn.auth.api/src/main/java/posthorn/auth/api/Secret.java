package posthorn.auth.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * A password or other secret as a client sent it. Its {@link #toString()} never shows the value, so
 * a secret that reaches a log line by mistake is not leaked. Call {@link #clear()} when done.
 */
public final class Secret {
    private final byte[] utf8;

    private Secret(byte[] utf8) {
        this.utf8 = utf8;
    }

    /** Wraps a copy of the given UTF-8 bytes. */
    public static Secret ofUtf8(byte[] utf8) {
        return new Secret(utf8.clone());
    }

    public static Secret of(String s) {
        return new Secret(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A copy of the secret's UTF-8 bytes; the caller should clear it after use. */
    public byte[] utf8() {
        return utf8.clone();
    }

    /** The secret as a string, for libraries that take nothing else. */
    public String reveal() {
        return new String(utf8, StandardCharsets.UTF_8);
    }

    public boolean isEmpty() {
        return utf8.length == 0;
    }

    /** Timing-safe comparison with the UTF-8 bytes of {@code other}. */
    public boolean matches(byte[] other) {
        return MessageDigest.isEqual(utf8, other);
    }

    /** Overwrites the secret in memory. */
    public void clear() {
        Arrays.fill(utf8, (byte) 0);
    }

    @Override
    public String toString() {
        return "Secret[***]";
    }
}
