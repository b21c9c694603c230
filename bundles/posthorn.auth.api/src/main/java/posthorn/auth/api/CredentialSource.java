package posthorn.auth.api;

import java.util.Optional;
import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A password database that can hand out a stored credential, for challenge-response mechanisms.
 * Registered as a service of its own (with {@link AuthBackend#NAME}) by backends that have one.
 */
@ProviderType
public interface CredentialSource {

    /** Credential schemes: what the stored value is. */
    String PLAIN = "PLAIN";
    /** The 32-byte HMAC-MD5 inner/outer pad state, as Courier's {@code hmac-md5pw} (RFC 2195). */
    String HMAC_MD5 = "HMAC-MD5";

    /** The schemes this source can supply now (it may depend on configuration). */
    Set<String> schemes();

    /**
     * The user's stored credential in the given scheme, or empty if the user is unknown or has none
     * in that scheme. The caller clears the secret after use.
     */
    Optional<Secret> credential(String user, String scheme);
}
