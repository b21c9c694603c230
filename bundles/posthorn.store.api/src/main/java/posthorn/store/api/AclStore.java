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
}
