package posthorn.store.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A user's mail that keeps access control lists (RFC 4314): the optional sub-interface of
 * {@link UserMail} a store implements when it stores ACLs; what {@link AclStore#open} returns. The
 * server computes rights from the list and enforces them; the store only keeps it.
 *
 * <p>Identifiers are Courier-IMAP's ({@code maildiracl(1)}): {@code owner} (the user whose mail this
 * is), {@code anyone} and its synonym {@code anonymous}, {@code administrators} (the group of that
 * name), {@code user=NAME}, {@code group=NAME}; {@code -} before one makes a negative right.
 */
@ProviderType
public interface AclMail extends UserMail {

    /**
     * The mailbox's ACL, in the store's order. A mailbox with none of its own has its parent's (RFC
     * 4314 4: a new mailbox inherits its parent's ACL); INBOX without one gives {@code owner} every
     * right; an {@code administrators} entry with every right is always there (Courier's rule).
     *
     * @throws StoreException {@link StoreException.Reason#NONEXISTENT} if the mailbox does not exist
     */
    List<AclEntry> acl(String mailbox) throws StoreException;

    /**
     * Gives {@code identifier} exactly {@code rights} on the mailbox, or removes its entry when
     * {@code rights} is null; the other entries stay as they were, letters the store does not know
     * included. Written so that a crash leaves the old list or the new one.
     *
     * @throws StoreException {@link StoreException.Reason#NONEXISTENT} if the mailbox does not exist,
     *         {@link StoreException.Reason#CANNOT} for an identifier the store cannot keep (empty,
     *         or with spaces or control characters)
     */
    void setAcl(String mailbox, String identifier, String rights) throws StoreException;
}
