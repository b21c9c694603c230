package posthorn.store.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A {@link MailStore} that keeps access control lists: every user's mail it opens is an
 * {@link AclMail}. The server announces ACL (RFC 4314) and shared folders only while the bound store
 * is one; a store without ACLs stays a plain {@link MailStore}.
 */
@ProviderType
public interface AclStore extends MailStore {

    @Override
    AclMail open(StoreUser user) throws StoreException;

    /**
     * Opens the mail of {@code user} for someone else's session, to reach the mailboxes the owner
     * shares (the server's shared namespace): like {@link #open}, except that mail which does not
     * exist yet is never created (an owner who never had mail shares nothing).
     *
     * @throws StoreException {@link StoreException.Reason#NONEXISTENT} when the user has no mail
     * @since 1.4.0
     */
    AclMail openShared(StoreUser user) throws StoreException;
}
