package posthorn.store.api;

import org.osgi.annotation.versioning.ConsumerType;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A {@link MailStore} that tells listeners when messages may have arrived in, or left, one of a
 * user's mailboxes: appended, copied or moved in through this process, expunged, found by the store's
 * watch or poll as delivered or removed by another process, or a mailbox opened for the first time
 * since the store started. For work that follows the mail rather than a session (a full-text index
 * kept up to date in the background); a session learns of changes through {@link Mailbox#watch}.
 *
 * <p>What is covered: the store reports what it sees. Changes by other processes are seen only in
 * mailboxes the store watches (those some handle watches) or the next time a handle syncs the mailbox.
 * Notices may be coalesced or spurious (a flag change may cause one); the listener compares what it
 * has with the mailbox to learn what changed.
 *
 * <p>Thread-safe. Added in 1.6.0; a store without it has no such notices.
 */
@ProviderType
public interface ArrivalStore extends MailStore {

    /**
     * Registers a listener for every user's mailboxes; closing the result ends the notices. The
     * listener runs on a store thread (often while the store holds a mailbox's lock): it must not
     * block or call back into the store, only note the mailbox for work on its own thread.
     */
    Watch watchArrivals(Listener listener);

    /** Told of mailboxes whose messages may have changed. */
    @ConsumerType
    @FunctionalInterface
    interface Listener {
        /**
         * @param user    who the mailbox belongs to, as the store can open it again with
         *                {@link MailStore#open} (its Maildir named, say, whatever the auth layer said)
         * @param mailbox the mailbox's name as {@link UserMail} names it ({@code INBOX}, {@code Sent})
         */
        void changed(StoreUser user, String mailbox);
    }
}
