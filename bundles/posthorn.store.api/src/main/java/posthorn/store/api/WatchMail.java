package posthorn.store.api;

import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The optional part of a store that tells a session about changes to a user's mail beyond one open
 * mailbox: deliveries, expunges and flag changes in mailboxes that are not open, mailboxes created,
 * deleted or renamed, and subscription changes; whether made through this process or by another
 * (an MDA, Courier's imapd, another server on a shared file system). The server's NOTIFY (RFC 5465)
 * is built on it and is announced only when the bound store's mail is a {@code WatchMail}.
 *
 * <p>A watch costs the store something per watched mailbox (a kernel watch, a place in a poll
 * round); the server bounds how many one session may watch. A user nobody watches costs nothing.
 * Same threading as {@link UserMail}; the listener is called as {@link MailListener} says.
 *
 * @since 1.6.0
 */
@ProviderType
public interface WatchMail extends UserMail {

    /**
     * Starts telling {@code listener} of changes: of the messages of each mailbox in {@code mailboxes}
     * (store names; a name that does not exist now is left out: the server watches it again after a
     * {@link MailListener#mailboxesChanged} that created it), and of this user's mailbox hierarchy and
     * subscriptions. Closing the result ends the notices; closing this mail closes it too.
     */
    Watch watchMail(Set<String> mailboxes, MailListener listener) throws StoreException;
}
