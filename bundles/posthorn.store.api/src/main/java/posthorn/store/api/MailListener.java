package posthorn.store.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * What a {@link WatchMail#watchMail watch on a user's mail} is told: that something may have changed,
 * never what exactly (the server finds that out by asking: {@link UserMail#status},
 * {@link UserMail#list}, {@link UserMail#subscriptions}). Notices may be coalesced or spurious; none is
 * lost while the watch is open.
 *
 * <p>Threading: called on a store thread or on the thread of the session that made the change. An
 * implementation must not block and must not call back into the store: it records the notice and
 * schedules the work on the watching session's own thread.
 *
 * @since 1.6.0
 */
@ConsumerType
public interface MailListener {

    /** The messages of this mailbox (a name the watch was given) may have changed: new, expunged, flags. */
    void messagesChanged(String mailbox);

    /** Mailboxes may have been created, deleted or renamed (by anyone: this process or another). */
    void mailboxesChanged();

    /**
     * A mailbox was renamed through this process, with its inferiors; {@link #mailboxesChanged} follows
     * or has been called too. The default treats it as any other change of the hierarchy.
     */
    default void mailboxRenamed(String from, String to) {
        mailboxesChanged();
    }

    /** The user's subscriptions may have changed. */
    void subscriptionsChanged();
}
