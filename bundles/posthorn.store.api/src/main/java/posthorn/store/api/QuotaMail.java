package posthorn.store.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The quota side of one user's mail, when the store keeps quotas ({@link QuotaStore}). The server
 * answers GETQUOTAROOT, GETQUOTA and SETQUOTA (RFC 9208) from it; the store itself refuses what
 * would go over a limit with {@link StoreException.Reason#OVERQUOTA}. Same threading as
 * {@link UserMail}.
 */
@ProviderType
public interface QuotaMail extends UserMail {

    /**
     * The quota roots a mailbox is under, with their usage (RFC 9208 4.3.3), in the order the server
     * shows them; empty if none governs it.
     *
     * @throws StoreException {@link StoreException.Reason#NONEXISTENT} if the mailbox does not exist
     */
    List<Quota> quotaRoots(String mailbox) throws StoreException;

    /**
     * One quota root of this user and its usage (RFC 9208 4.3.2).
     *
     * @throws StoreException {@link StoreException.Reason#NONEXISTENT} if the user has no root of that name
     */
    Quota quota(String root) throws StoreException;

    /**
     * Replaces a root's limits (RFC 9208 4.3.1); -1 removes a limit. The server decides who may; the
     * store refuses what it cannot keep.
     *
     * @param storageLimitBytes the new STORAGE limit in bytes, or -1 for none
     * @param messagesLimit     the new MESSAGE limit, or -1 for none
     * @throws StoreException {@link StoreException.Reason#NONEXISTENT} for an unknown root,
     *         {@link StoreException.Reason#CANNOT} where the limits come from elsewhere (the user record)
     */
    void setQuota(String root, long storageLimitBytes, long messagesLimit) throws StoreException;
}
