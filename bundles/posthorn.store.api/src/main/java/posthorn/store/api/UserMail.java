package posthorn.store.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One user's mailboxes, open for one session. Mailbox names are the store's decoded names
 * (Unicode, with {@link #separator()} between levels; {@code INBOX} is always spelled so).
 *
 * <p>Names carry no namespace prefix (since 1.3.0): {@code INBOX}, and every other mailbox by its
 * own name, top-level ones included ({@code Sent}, {@code Lists.java}); a name whose first level is
 * INBOX ({@code INBOX.Foo}) is a child of INBOX. The IMAP personal namespace (none, or Courier's
 * {@code INBOX.}) is the server's: it maps the names clients use to these and back. Before 1.3.0 a
 * store took and returned names under a fixed {@code INBOX.} prefix.
 * Not thread-safe: one session, one thread at a time. Closing it closes every mailbox opened
 * from it.
 */
@ProviderType
public interface UserMail extends AutoCloseable {

    /** The hierarchy separator of this store's mailbox names. */
    char separator();

    /** Every mailbox of the user, INBOX first. */
    List<MailboxInfo> list() throws StoreException;

    /** The names the user subscribed to (may name mailboxes that no longer exist). */
    List<String> subscriptions() throws StoreException;

    void subscribe(String name, boolean subscribed) throws StoreException;

    /**
     * Opens a mailbox. Reading it does not change it; a read-only handle also refuses every change.
     *
     * @throws StoreException {@link StoreException.Reason#NONEXISTENT} if it does not exist
     */
    Mailbox open(String name, boolean readOnly) throws StoreException;

    /**
     * The counts STATUS reports, without opening a handle and without taking \Recent from anybody.
     *
     * @throws StoreException {@link StoreException.Reason#NONEXISTENT} if it does not exist
     */
    MailboxStatus status(String name) throws StoreException;

    /** @throws StoreException {@link StoreException.Reason#ALREADYEXISTS}, {@link StoreException.Reason#CANNOT} */
    void create(String name) throws StoreException;

    /** @throws StoreException {@link StoreException.Reason#NONEXISTENT}, {@link StoreException.Reason#CANNOT} for INBOX */
    void delete(String name) throws StoreException;

    /** Renaming INBOX moves its messages into a new mailbox and leaves INBOX empty (RFC 3501 6.3.5). */
    void rename(String from, String to) throws StoreException;

    /** Quota roots and their usage, or an empty list if the store has none for this user. */
    List<Quota> quota() throws StoreException;

    /**
     * Starts a message that will be written as it arrives and then appended to one of this user's
     * mailboxes ({@link Mailbox#append(MessageUpload, java.util.Set, java.time.Instant)}); the caller
     * closes it. Not yet bound to a mailbox: an APPEND's message arrives before the command's end is
     * read.
     *
     * @throws StoreException if nothing can be stored now (e.g. {@link StoreException.Reason#SERVERBUG}
     *         for an unwritable Maildir)
     */
    MessageUpload upload() throws StoreException;

    @Override
    void close();
}
