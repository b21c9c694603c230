package posthorn.store.api;

import java.util.Map;
import java.util.SortedMap;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The annotations (RFC 5464) of one user's mail: those of the server (as this user sees them) and
 * those of each mailbox. The server checks entry names, sizes, counts and rights; the store only keeps
 * what it is given. Entry names arrive checked and in lower case, starting {@code /private/} or
 * {@code /shared/}; values are octets. A mailbox's entries go with it: a renamed mailbox keeps them, a
 * deleted one loses them, a new one starts with none. Same threading as {@link UserMail}.
 *
 * @since 1.6.0
 */
@ProviderType
public interface MetadataMail extends UserMail {

    /**
     * Every entry of a mailbox, or of the server for {@code mailbox == null}, sorted by name.
     *
     * @throws StoreException {@link StoreException.Reason#NONEXISTENT} if the mailbox does not exist
     */
    SortedMap<String, byte[]> metadata(String mailbox) throws StoreException;

    /**
     * Sets and removes entries in one change: a name mapped to null is removed, every other is set to
     * its value; entries not named stay. Written so that a crash leaves all of the old entries or all
     * of the new ones.
     *
     * @param changes name to value, null values allowed (a {@link java.util.HashMap})
     * @throws StoreException {@link StoreException.Reason#NONEXISTENT} if the mailbox does not exist
     */
    void setMetadata(String mailbox, Map<String, byte[]> changes) throws StoreException;
}
