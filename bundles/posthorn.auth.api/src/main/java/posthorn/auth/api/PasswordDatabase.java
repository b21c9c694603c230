package posthorn.auth.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Verifies passwords. Registered with {@link AuthBackend#NAME}. Thread-safe; may block (the server
 * calls it on a virtual thread), and should time out by itself rather than hang.
 */
@ProviderType
public interface PasswordDatabase {

    /**
     * Checks a user's password. Never logs the password.
     *
     * @param user     the login name as the client gave it
     * @param password the password; the implementation does not keep it
     */
    Verdict verify(String user, Secret password);
}
