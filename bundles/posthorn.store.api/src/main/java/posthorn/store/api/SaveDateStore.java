package posthorn.store.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A {@link MailStore} that knows when each message was saved into its mailbox (RFC 8514 SAVEDATE)
 * implements this too; the server announces SAVEDATE only then. Every {@link Mailbox} such a store
 * opens is a {@link SaveDateMailbox}. Thread-safe.
 *
 * @since 1.6.0
 */
@ProviderType
public interface SaveDateStore extends MailStore {
}
