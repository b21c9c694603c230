package posthorn.store.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A {@link MailStore} that keeps METADATA annotations (RFC 5464) implements this too; the server
 * announces METADATA and METADATA-SERVER only then. Every {@link UserMail} such a store opens is a
 * {@link MetadataMail}. Thread-safe.
 *
 * @since 1.6.0
 */
@ProviderType
public interface MetadataStore extends MailStore {
}
