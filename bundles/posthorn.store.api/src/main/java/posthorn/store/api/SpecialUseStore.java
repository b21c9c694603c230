package posthorn.store.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A {@link MailStore} that keeps the special use of mailboxes a client chose (RFC 6154 CREATE-SPECIAL-USE)
 * implements this too; the server announces CREATE-SPECIAL-USE only then. Every {@link UserMail} such
 * a store opens is a {@link SpecialUseMail}. Thread-safe.
 *
 * @since 1.6.0
 */
@ProviderType
public interface SpecialUseStore extends MailStore {
}
