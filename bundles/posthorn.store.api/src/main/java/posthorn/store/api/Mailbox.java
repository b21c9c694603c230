package posthorn.store.api;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An open mailbox: one session's handle, addressed by UID only.
 *
 * <p>The handle has a view: the messages it has reported through {@link #sync()}. Operations on UIDs
 * outside the view are ignored for those UIDs (the message is gone or not yet seen). Changes made
 * through this handle are reported by the next {@link #sync()} of every other handle, and of this
 * one too, so that the server has a single path from store changes to responses.
 *
 * <p>Not thread-safe: one session, one thread at a time.
 */
@ProviderType
public interface Mailbox extends AutoCloseable {

    /** The decoded mailbox name. */
    String name();

    boolean readOnly();

    /** UIDVALIDITY: stays the same as long as UIDs keep their meaning. */
    long uidValidity();

    /** The UID the next message added to the mailbox will have at least. */
    long uidNext();

    /** The keywords the mailbox knows, for the FLAGS and PERMANENTFLAGS responses. */
    Set<String> keywords();

    /**
     * Brings the view up to date: picks up deliveries and changes by others and returns what changed,
     * expunges first, then flag changes, then additions in ascending UID order. The first call on a
     * new handle returns every message as {@link Change.Added}.
     */
    List<Change> sync() throws StoreException;

    /** The messages in the view, in ascending UID order. */
    List<MessageMeta> messages();

    /**
     * The exact RFC822.SIZE (CRLF line ends) of messages in the view, measured where the store did not
     * know it yet ({@link MessageMeta#UNKNOWN_SIZE}) and kept, so that it is measured once. For FETCH
     * RFC822.SIZE and whole-message literals, SEARCH LARGER/SMALLER, SORT SIZE; a store that always
     * knows sizes need not override this (the default takes them from {@link #messages()}).
     *
     * @return UID to size, for those of the given UIDs that are in the view and whose message is still
     *         there (a message gone from the store is left out)
     * @since 1.5.0
     */
    default Map<Long, Long> sizes(Collection<Long> uids) throws StoreException {
        Set<Long> wanted = Set.copyOf(uids);
        Map<Long, Long> out = new java.util.HashMap<>();
        for (MessageMeta m : messages()) {
            if (wanted.contains(m.uid()) && m.size() != MessageMeta.UNKNOWN_SIZE) {
                out.put(m.uid(), m.size());
            }
        }
        return out;
    }

    /**
     * The exact RFC822.SIZE of one message: its {@link MessageMeta#size} where known, else
     * {@link #sizes}.
     *
     * @throws StoreException {@link StoreException.Reason#EXPUNGEISSUED} if the message vanished
     * @since 1.5.0
     */
    default long size(MessageMeta message) throws StoreException {
        if (message.size() != MessageMeta.UNKNOWN_SIZE) {
            return message.size();
        }
        Long size = sizes(List.of(message.uid())).get(message.uid());
        if (size == null) {
            throw new StoreException(StoreException.Reason.EXPUNGEISSUED,
                    "Message UID " + message.uid() + " has been expunged");
        }
        return size;
    }

    /**
     * Opens a message's full text (RFC 5322, CRLF line ends as IMAP counts them). The caller closes
     * the stream.
     *
     * @throws StoreException {@link StoreException.Reason#EXPUNGEISSUED} if the message vanished
     */
    InputStream openMessage(long uid) throws StoreException, IOException;

    /**
     * Changes the flags of the given messages; returns their flags afterwards, for those that exist.
     * {@code \Recent} in {@code flags} is ignored.
     */
    Map<Long, Set<String>> store(Collection<Long> uids, FlagMode mode, Set<String> flags) throws StoreException;

    /**
     * Adds a message. The stream holds the message exactly as the client sent it.
     *
     * @return the new message's UID
     */
    long append(InputStream message, Set<String> flags, Instant internalDate) throws StoreException, IOException;

    /**
     * Adds a message that was written into an upload of this mailbox's user ({@link UserMail#upload()});
     * the store adopts it where it can instead of copying it (Maildir: a rename from tmp/). Afterwards
     * the upload is spent, and closing it does nothing; if this fails, the upload is as before and the
     * caller still closes it. A store that cannot adopt uploads copies the bytes, as this default does.
     *
     * @return the new message's UID
     */
    default long append(MessageUpload message, Set<String> flags, Instant internalDate)
            throws StoreException, IOException {
        try (InputStream in = message.open()) {
            return append(in, flags, internalDate);
        }
    }

    /**
     * Copies messages to another mailbox of the same user, in ascending UID order.
     *
     * @return source UID to new UID, for COPYUID (RFC 4315)
     * @throws StoreException {@link StoreException.Reason#TRYCREATE} if the target does not exist
     */
    Map<Long, Long> copy(Collection<Long> uids, String target) throws StoreException;

    /**
     * Moves messages to another mailbox of the same user (RFC 6851): each message is in exactly one of
     * the two mailboxes at any time, also after a crash. The source's expunges are reported by
     * {@link #sync()}, as for every other change.
     *
     * @return source UID to new UID, for COPYUID
     * @throws StoreException {@link StoreException.Reason#TRYCREATE} if the target does not exist
     */
    Map<Long, Long> move(Collection<Long> uids, String target) throws StoreException;

    /** Removes the given messages if they carry {@code \Deleted}; returns the UIDs removed. */
    List<Long> expunge(Collection<Long> uids) throws StoreException;

    /**
     * Asks to be told when the mailbox may have changed: a delivery, a change through another handle,
     * or by another process. The listener runs on a store thread, must not block, and should only
     * schedule a {@link #sync()} on the session's own thread. Notices may be coalesced or spurious;
     * none is lost while the watch is open (a change is noticed within a second where the kernel
     * reports file changes, within the store's poll interval elsewhere). Closed with the handle.
     */
    Watch watch(Runnable listener);

    /**
     * A value the server derived from a message (its ENVELOPE, BODYSTRUCTURE, a header for SORT),
     * kept in the store's index so that it need not be derived again; opaque to the store. Never the
     * only copy of anything: the store may drop it at any time.
     *
     * @param field a short name chosen by the caller, e.g. {@code imap.envelope}
     * @return the value, or null if none is cached
     */
    byte[] cached(long uid, String field);

    /** Keeps a derived value for {@link #cached}; ignored for a UID not in the mailbox. */
    void cache(long uid, String field, byte[] value);

    /**
     * One field's cached values for many messages at once (SORT and THREAD read one record per
     * matching message): {@code out[i]} is what {@link #cached cached(uids[i], field)} would return,
     * for {@code i} from 0 to {@code count - 1}. Unlike {@link #cached}, a store may hand out its own
     * arrays rather than copies: the caller only reads them, never changes one, and does not keep them
     * beyond the command (a later {@link #cache} replaces a value, never changes one in place).
     * Since 1.7.0; the default asks {@link #cached} for each.
     *
     * @param uids  the messages, any order; a UID not in the mailbox gives null
     * @param count how many of {@code uids} to look up
     * @param out   where the values go, at least {@code count} long
     */
    default void cachedValues(long[] uids, int count, String field, byte[][] out) {
        for (int i = 0; i < count; i++) {
            out[i] = cached(uids[i], field);
        }
    }

    @Override
    void close();
}
