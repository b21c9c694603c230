package posthorn.store.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * EMAILID and THREADID (RFC 8474 5) of the messages of an open mailbox. Same threading as
 * {@link Mailbox}.
 *
 * @since 1.6.0
 */
@ProviderType
public interface ObjectIdMailbox extends Mailbox {

    /**
     * A message's EMAILID: 1 to 255 characters of {@code A-Z a-z 0-9 _ -}, the same for the message
     * moved to another mailbox (RFC 8474 5.1), never the same for two different messages of the user.
     *
     * @return the id, or null for a UID not in the view
     */
    String emailId(long uid);

    /**
     * A message's THREADID, or null where the store does not keep threads (the server then answers NIL,
     * RFC 8474 5.3), as this default does.
     */
    default String threadId(long uid) {
        return null;
    }
}
