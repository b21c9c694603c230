package posthorn.store.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * MAILBOXID (RFC 8474 4): a mailbox's id, kept across RENAME and never given to another mailbox (a
 * mailbox deleted and created again gets a new one). Same threading as {@link UserMail}.
 *
 * @since 1.6.0
 */
@ProviderType
public interface ObjectIdMail extends UserMail {

    /**
     * The mailbox's id: 1 to 255 characters of {@code A-Z a-z 0-9 _ -} (RFC 8474 4, objectid), made
     * and kept the first time it is asked for where the mailbox has none yet.
     *
     * @throws StoreException {@link StoreException.Reason#NONEXISTENT} if the mailbox does not exist
     */
    String mailboxId(String mailbox) throws StoreException;
}
