package posthorn.store.api;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Who the store opens mail for, as the auth layer found them.
 *
 * @param name    the login name, as authenticated
 * @param home    the user's home directory, or {@code null} if the record names none
 * @param maildir the user's Maildir, or {@code null} to let the store derive it
 * @param quota   the quota the user record sets (Maildir++ form, e.g. {@code 1000000S,1000C}),
 *                or {@code null} for none or the store's own
 */
public record StoreUser(String name, Path home, Path maildir, String quota) {
    public StoreUser {
        Objects.requireNonNull(name, "name");
    }
}
