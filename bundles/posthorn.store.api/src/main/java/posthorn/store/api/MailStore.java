package posthorn.store.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A mail store: opens the mail of one user. Registered as an OSGi service by the store bundle.
 * Thread-safe.
 */
@ProviderType
public interface MailStore {

    /**
     * Opens the mail of one user. The store decides where it lives: {@link StoreUser#maildir()} when
     * the user record names one, otherwise the store's own configured template.
     *
     * @throws StoreException with {@link StoreException.Reason#NONEXISTENT} when the user's mail
     *         cannot be found or created, {@link StoreException.Reason#SERVERBUG} on I/O failure
     */
    UserMail open(StoreUser user) throws StoreException;

    /**
     * What the store keeps in memory to answer quickly (its index), for a metrics page: counts by
     * what they measure (lower case letters, digits and underscores, e.g. {@code folders},
     * {@code messages}), never negative. Answered at once from memory, never by walking a disk. A
     * store that keeps nothing worth counting answers an empty map, as this default does.
     *
     * @since 1.5
     */
    default java.util.Map<String, Long> sizes() {
        return java.util.Map.of();
    }
}
