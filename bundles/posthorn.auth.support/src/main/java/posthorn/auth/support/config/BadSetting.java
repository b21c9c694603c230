package posthorn.auth.support.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * A value in a backend's configuration file that the backend cannot use: the key as the operator
 * writes it ({@code password.query}, {@code pool.size}) and why, in words that never quote a
 * password. Every backend refuses a whole file for one bad value and logs {@link #refusal} as one
 * line; the settings it had keep serving (or, if it had none, it answers Unavailable).
 */
public final class BadSetting extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String key;
    private final String reason;

    public BadSetting(String key, String reason) {
        super(key + ": " + reason);
        this.key = key;
        this.reason = reason;
    }

    /** No stack trace: the mistake is the operator's, and the key and reason say all of it. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }

    /** The key as written in the file. */
    public String key() {
        return key;
    }

    /** Why the value cannot be used. */
    public String reason() {
        return reason;
    }

    /**
     * The one log line for a refused file, e.g. {@code auth.sql.cfg refused: password.query: never
     * names the login; the previous settings stay in force}.
     *
     * @param file             the file's name as the operator knows it ({@code auth.sql.cfg})
     * @param previousInForce  whether settings from before keep serving; if not, the backend is
     *                         unavailable until the file is fixed, and the line says so
     */
    public String refusal(String file, boolean previousInForce) {
        return file + " refused: " + getMessage() + (previousInForce ? "; the previous settings stay in force"
                : "; the backend is unavailable until the file is fixed");
    }

    /** A file or directory a setting names: required, and a path this system can have. */
    public static Path path(String key, String value) {
        if (value == null || value.isBlank()) {
            throw new BadSetting(key, "required");
        }
        try {
            return Path.of(value.trim());
        } catch (InvalidPathException e) {
            throw new BadSetting(key, "not a valid path");
        }
    }

    /**
     * One value of a Declarative Services configuration. DS hands a value it cannot convert to the
     * annotation's type (say {@code pool.size=lots}) as an exception thrown when the value is read:
     * that becomes a BadSetting naming the key.
     */
    public static <T> T read(String key, Supplier<T> value) {
        try {
            return value.get();
        } catch (BadSetting e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BadSetting(key, "not a valid value");
        }
    }
}
