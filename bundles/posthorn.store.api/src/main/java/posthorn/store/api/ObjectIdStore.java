package posthorn.store.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A {@link MailStore} that gives mailboxes and messages lasting ids (RFC 8474 OBJECTID) implements
 * this too; the server announces OBJECTID only then. Every {@link UserMail} such a store opens is an
 * {@link ObjectIdMail}, and every {@link Mailbox} an {@link ObjectIdMailbox}. Thread-safe.
 *
 * @since 1.6.0
 */
@ProviderType
public interface ObjectIdStore extends MailStore {
}
