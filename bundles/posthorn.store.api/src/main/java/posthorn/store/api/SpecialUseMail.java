package posthorn.store.api;

import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Creating a mailbox with special-use attributes (RFC 6154 3). The attributes kept are shown by
 * {@link UserMail#list()} in {@link MailboxInfo#attributes()}. Same threading as {@link UserMail}.
 *
 * @since 1.6.0
 */
@ProviderType
public interface SpecialUseMail extends UserMail {

    /** The special-use attributes this store can keep, as IMAP spells them ({@code \Drafts}, ...). */
    Set<String> specialUses();

    /**
     * {@link #create(String)} with the given special uses kept for the new mailbox (the server has
     * checked them against {@link #specialUses()}); the mailbox exists with them or not at all.
     *
     * @throws StoreException as {@link #create(String)}
     */
    void create(String name, Set<String> uses) throws StoreException;
}
