package posthorn.store.api;

import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A {@link MailStore} that keeps quotas (RFC 9208) implements this too; the server checks for it
 * and announces QUOTA only then. Every {@link UserMail} such a store opens is a {@link QuotaMail}.
 * Thread-safe.
 */
@ProviderType
public interface QuotaStore extends MailStore {

    /** The resource STORAGE: the size of the messages (RFC 9208 5.1). */
    String STORAGE = "STORAGE";
    /** The resource MESSAGE: the number of messages (RFC 9208 5.2). */
    String MESSAGE = "MESSAGE";

    /**
     * The resources this store counts and limits, by their RFC 9208 names ({@link #STORAGE},
     * {@link #MESSAGE}); each is announced as {@code QUOTA=RES-name}.
     */
    Set<String> quotaResources();
}
