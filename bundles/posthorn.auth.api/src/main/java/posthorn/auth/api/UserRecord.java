package posthorn.auth.api;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * A user as a user database holds it.
 *
 * @param name    the canonical login name
 * @param home    home directory, or {@code null}
 * @param maildir the Maildir, or {@code null} to let the store derive it (from home or a template)
 * @param uid     numeric system user id, or {@code -1} if none
 * @param gid     numeric system group id, or {@code -1} if none
 * @param quota   Maildir++ quota string (e.g. {@code 100000000S}), or {@code null}
 * @param options further fields the backend found (Courier userdb's {@code options=...}, etc.)
 */
public record UserRecord(String name, Path home, Path maildir, long uid, long gid, String quota,
                         Map<String, String> options) {
    public UserRecord {
        Objects.requireNonNull(name, "name");
        options = Map.copyOf(options);
    }

    /** A record with only a name and a home. */
    public static UserRecord of(String name, Path home) {
        return new UserRecord(name, home, null, -1, -1, null, Map.of());
    }
}
