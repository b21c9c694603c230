package posthorn.auth.api;

import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Finds user records. Registered with {@link AuthBackend#NAME}. Thread-safe.
 */
@ProviderType
public interface UserDatabase {

    /** The user's record, or empty if this database does not know the user. */
    Optional<UserRecord> lookup(String user);
}
