package posthorn.imap.server.internal.command;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;

import posthorn.store.api.Watch;

/**
 * Tells NOTIFY sessions (RFC 5465 5.6 MailboxMetadataChange, 5.7 ServerMetadataChange) of the METADATA
 * entries a SETMETADATA of this process changed, by the user whose entries they are. The store keeps
 * entries but watches no metadata file, so this is the only route: an entry changed by another process
 * (a second server on a shared Maildir) is not told.
 *
 * <p>Threading: thread-safe. {@link #changed} runs on the thread of the session that made the change and
 * calls each listener there; a listener records and schedules, never blocks (as
 * {@link posthorn.store.api.MailListener}).
 */
public final class MetadataNotices {
    /** The one every session of this process shares (a Host may give its own, for tests). */
    public static final MetadataNotices PROCESS = new MetadataNotices();

    /** A NOTIFY session that asked for a metadata event. */
    @FunctionalInterface
    public interface Listener {
        /**
         * Entries of a mailbox (its store name), or of the server ({@code mailbox == null}), changed.
         *
         * @param entries entry names, lower case, as SETMETADATA named them
         */
        void metadataChanged(String mailbox, List<String> entries);
    }

    private final ConcurrentHashMap<String, Set<Listener>> byUser = new ConcurrentHashMap<>();

    /** Starts telling {@code listener} of changes to {@code user}'s entries; closing the result ends it. */
    Watch listen(String user, Listener listener) {
        Listener own = listener::metadataChanged; // a distinct identity per registration
        byUser.compute(user, (u, set) -> {
            Set<Listener> s = set == null ? new CopyOnWriteArraySet<>() : set;
            s.add(own);
            return s;
        });
        return () -> byUser.computeIfPresent(user, (u, set) -> {
            set.remove(own);
            return set.isEmpty() ? null : set;
        });
    }

    /** A SETMETADATA of {@code user}'s entries succeeded: every listener of the user is told. */
    void changed(String user, String mailbox, List<String> entries) {
        Set<Listener> set = byUser.get(user);
        if (set == null || entries.isEmpty()) {
            return;
        }
        List<String> copy = List.copyOf(entries);
        for (Listener l : set) {
            l.metadataChanged(mailbox, copy);
        }
    }

    /** Number of users with a listener (tests: a closed NOTIFY leaves nothing behind). */
    int users() {
        return byUser.size();
    }
}
