package posthorn.auth.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A SASL mechanism (RFC 4422) for IMAP AUTHENTICATE. Registered as a service with the property
 * {@link #MECHANISM} (e.g. {@code CRAM-MD5}). The server offers it when {@link #available} says so.
 */
@ProviderType
public interface SaslMechanism {

    /** Service property: the mechanism's IANA name, upper case. */
    String MECHANISM = "posthorn.sasl.mechanism";

    /** The mechanism's IANA name, upper case. */
    String name();

    /** Whether the mechanism sends the password in the clear (so it needs TLS off loopback). */
    boolean plaintext();

    /** Whether it can work now, given what the active backends offer. */
    boolean available(Authenticator authenticator);

    /** Starts one exchange for one AUTHENTICATE command. */
    SaslExchange start(Authenticator authenticator, String serverName);
}
