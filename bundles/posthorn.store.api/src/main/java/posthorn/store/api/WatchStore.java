package posthorn.store.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A {@link MailStore} whose users' mail can be watched beyond the open mailbox: every user's mail it
 * opens is a {@link WatchMail}. The server announces NOTIFY (RFC 5465) only while the bound store is
 * one.
 *
 * @since 1.6.0
 */
@ProviderType
public interface WatchStore extends MailStore {
    @Override
    WatchMail open(StoreUser user) throws StoreException;
}
