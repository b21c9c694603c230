package posthorn.auth.api;

import java.util.Optional;
import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The server's auth chain as SASL mechanisms see it: the configured backends, in order.
 * Implemented by the server; thread-safe.
 */
@ProviderType
public interface Authenticator {

    /** Verifies a password against the chain; a {@link Verdict.Success} always carries a record. */
    Verdict verify(String user, Secret password);

    /** A credential in the given scheme from the first backend in the chain that has one. */
    Optional<Secret> credential(String user, String scheme);

    /** The credential schemes some active backend can supply. */
    Set<String> credentialSchemes();

    /** The user's record from the chain's user databases. */
    Optional<UserRecord> lookup(String user);
}
