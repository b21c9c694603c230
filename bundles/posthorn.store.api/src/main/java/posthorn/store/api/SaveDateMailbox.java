package posthorn.store.api;

import java.time.Instant;
import java.util.Collection;
import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The save dates (RFC 8514) of the messages of an open mailbox: when each was saved into this mailbox
 * (delivered, appended, copied or moved here), not the INTERNALDATE. Same threading as {@link Mailbox}.
 *
 * @since 1.6.0
 */
@ProviderType
public interface SaveDateMailbox extends Mailbox {

    /**
     * @return UID to save date for those of the given UIDs in the view; a message whose save date the
     *         store does not know is left out (the server answers NIL, RFC 8514 4.1)
     */
    Map<Long, Instant> saveDates(Collection<Long> uids) throws StoreException;
}
