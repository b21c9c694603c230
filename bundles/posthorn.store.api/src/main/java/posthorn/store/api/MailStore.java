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
}
