package posthorn.imap.server.internal;

import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicLong;

import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.MailboxStatus;

/**
 * One mailbox's messages, shared by every handle on it (the part of the Maildir store a folder on
 * disk plays). A message added by anyone is \Recent for the first read-write handle whose sync
 * finds it, and for no other (RFC 3501 2.3.2). Thread-safe: state changes under the folder's lock;
 * listeners are told after it is released, on the thread that made the change.
 */
final class MemoryFolder {
    /** Distinct UIDVALIDITYs for the folders of one JVM, starting where a clock would. */
    private static final AtomicLong VALIDITY = new AtomicLong(System.currentTimeMillis() / 1000);

    /** A message as stored: its text with CRLF line ends, flags, arrival, and derived values. */
    static final class Message {
        final long uid;
        final byte[] text;
        final Instant internalDate;
        Set<String> flags;
        /** RFC 7162 MODSEQ: 1 for the first change of the folder, one more for every change after it. */
        long modseq;
        final Map<String, byte[]> cache = new HashMap<>();

        Message(long uid, byte[] text, Set<String> flags, Instant internalDate) {
            this.uid = uid;
            this.text = text;
            this.flags = Set.copyOf(flags);
            this.internalDate = internalDate;
        }
    }

    /** What a handle's sync sees: the messages now, and which of them are \Recent for it. */
    record Snapshot(List<Message> messages, Set<Long> recent, long highestModSeq) {
    }

    final long uidValidity = VALIDITY.incrementAndGet();
    /** The folder's own ACL (identifier to rights, in order), or null to have its parent's. Guarded by the account. */
    java.util.LinkedHashMap<String, String> acl;
    private long uidNext = 1;
    /** HIGHESTMODSEQ; guarded by this. */
    private long highestModSeq;
    /** Expunges as UID, MODSEQ pairs, in order; guarded by this. */
    private final List<long[]> expunged = new ArrayList<>();
    private final TreeMap<Long, Message> messages = new TreeMap<>();
    /** Messages no read-write handle has synced yet (Maildir's new/). */
    private final Set<Long> unclaimedRecent = new HashSet<>();
    private final Set<String> keywords = new LinkedHashSet<>();
    private final Set<Runnable> listeners = new CopyOnWriteArraySet<>();

    synchronized long uidNext() {
        return uidNext;
    }

    synchronized Set<String> keywords() {
        return Set.copyOf(keywords);
    }

    /** Adds a message; returns its UID. */
    long add(byte[] text, Set<String> flags, Instant internalDate) {
        long uid;
        synchronized (this) {
            uid = addLocked(crlf(text), flags, internalDate);
        }
        changed();
        return uid;
    }

    private long addLocked(byte[] text, Set<String> flags, Instant internalDate) {
        long uid = uidNext++;
        Set<String> stored = withoutRecent(flags);
        Message m = new Message(uid, text, stored, internalDate);
        m.modseq = ++highestModSeq;
        messages.put(uid, m);
        unclaimedRecent.add(uid);
        learn(stored);
        return uid;
    }

    /**
     * The messages now; a read-write handle ({@code claim}) takes the \Recent of those it has not
     * seen ({@code known} holds the UIDs it has) that nobody has taken yet; a read-only one sees
     * them as \Recent and leaves them for the next read-write handle (EXAMINE, RFC 3501 6.3.2).
     */
    synchronized Snapshot sync(boolean claim, Set<Long> known) {
        Set<Long> recent = new HashSet<>();
        for (long uid : messages.keySet()) {
            if (!known.contains(uid) && (claim ? unclaimedRecent.remove(uid) : unclaimedRecent.contains(uid))) {
                recent.add(uid);
            }
        }
        return new Snapshot(List.copyOf(messages.values()), recent, highestModSeq);
    }

    /** The message, or null if it is gone. */
    synchronized Message message(long uid) {
        return messages.get(uid);
    }

    /** Applies a STORE to the messages that exist; returns their flags afterwards. */
    Map<Long, Set<String>> store(Collection<Long> uids, FlagMode mode, Set<String> flags) {
        Map<Long, Set<String>> after = new LinkedHashMap<>();
        Set<String> given = withoutRecent(flags);
        synchronized (this) {
            for (long uid : new TreeSet<>(uids)) {
                Message m = messages.get(uid);
                if (m == null) {
                    continue;
                }
                Set<String> now = new HashSet<>(m.flags);
                switch (mode) {
                    case REPLACE -> {
                        now.clear();
                        now.addAll(given);
                    }
                    case ADD -> now.addAll(given);
                    case REMOVE -> now.removeAll(given);
                }
                if (!now.equals(m.flags)) {
                    m.modseq = ++highestModSeq;
                }
                m.flags = Set.copyOf(now);
                after.put(uid, m.flags);
            }
            learn(given);
        }
        changed();
        return after;
    }

    /** Removes those of the messages that carry \Deleted; returns their UIDs. */
    List<Long> expunge(Collection<Long> uids) {
        List<Long> removed = new ArrayList<>();
        synchronized (this) {
            for (long uid : new TreeSet<>(uids)) {
                Message m = messages.get(uid);
                if (m != null && m.flags.contains(Flags.DELETED)) {
                    messages.remove(uid);
                    unclaimedRecent.remove(uid);
                    removed.add(uid);
                    expunged.add(new long[] {uid, ++highestModSeq});
                }
            }
        }
        changed();
        return removed;
    }

    /**
     * Copies (or moves) messages that exist to another folder, in ascending UID order, keeping flags
     * and arrival; returns source UID to new UID. Both folders are locked at once, in a fixed order,
     * so a moved message is in exactly one of them at any moment.
     */
    Map<Long, Long> transfer(Collection<Long> uids, MemoryFolder target, boolean move) {
        Map<Long, Long> created = new LinkedHashMap<>();
        MemoryFolder first = uidValidity < target.uidValidity ? this : target;
        MemoryFolder second = first == this ? target : this;
        synchronized (first) {
            synchronized (second) {
                for (long uid : new TreeSet<>(uids)) {
                    Message m = messages.get(uid);
                    if (m == null) {
                        continue;
                    }
                    created.put(uid, target.addLocked(m.text, m.flags, m.internalDate));
                    if (move) {
                        messages.remove(uid);
                        unclaimedRecent.remove(uid);
                        expunged.add(new long[] {uid, ++highestModSeq});
                    }
                }
            }
        }
        changed();
        target.changed();
        return created;
    }

    /** The UIDs expunged with a MODSEQ in (since, upTo], ascending. */
    synchronized long[] expungedSince(long since, long upTo) {
        return expunged.stream().filter(e -> e[1] > since && e[1] <= upTo).mapToLong(e -> e[0]).sorted().toArray();
    }

    /** STATUS: counts without taking anybody's \Recent. */
    synchronized MailboxStatus status() {
        long unseen = 0;
        long size = 0;
        for (Message m : messages.values()) {
            if (!m.flags.contains(Flags.SEEN)) {
                unseen++;
            }
            size += m.text.length;
        }
        return new MailboxStatus(messages.size(), unclaimedRecent.size(), uidNext, uidValidity, unseen, size);
    }

    synchronized byte[] cached(long uid, String field) {
        Message m = messages.get(uid);
        byte[] v = m == null ? null : m.cache.get(field);
        return v == null ? null : v.clone();
    }

    synchronized void cache(long uid, String field, byte[] value) {
        Message m = messages.get(uid);
        if (m != null) {
            m.cache.put(field, value.clone());
        }
    }

    Runnable listen(Runnable listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void changed() {
        for (Runnable l : listeners) {
            l.run();
        }
    }

    private void learn(Set<String> flags) {
        for (String f : flags) {
            if (!f.startsWith("\\")) {
                keywords.add(f);
            }
        }
    }

    private static Set<String> withoutRecent(Set<String> flags) {
        Set<String> out = new HashSet<>(flags);
        out.remove(Flags.RECENT);
        return out;
    }

    /** The text with every bare LF made CRLF, as the Maildir store serves a file (IMAP counts CRLF). */
    static byte[] crlf(byte[] text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length + text.length / 32);
        for (int i = 0; i < text.length; i++) {
            if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) {
                out.write('\r');
            }
            out.write(text[i]);
        }
        return out.toByteArray();
    }
}
