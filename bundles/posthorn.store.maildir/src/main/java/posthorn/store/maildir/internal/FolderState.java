package posthorn.store.maildir.internal;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this process knows of one folder's messages between scans, shared by every handle on the
 * folder: where each message's file is, its keywords, which messages wait to be claimed as \Recent, and
 * the last scan's result with the folder times it was taken under. Sizes, dates and derived values
 * live in {@link FolderIndex}; UIDs in {@link UidDb}.
 *
 * <p>Threading: every map is concurrent, so readers need no lock and may see a file name that is
 * stale by the time they use it (they then look the message up again). Writers hold the folder's
 * in-process lock ({@link FolderLock#inProcess}), except that a reader may forget a file it found gone.
 * The last scan is one volatile record, so that its parts are always read together.
 */
final class FolderState {
    /**
     * What memory knows of the folder and the folder's times it holds for.
     *
     * @param stamp       after a scan: the times read before its listing; after a change of this
     *                    process's own: the times read right after it, under the lock
     * @param own         the stamp was taken after an own change (not a scan)
     * @param pending     own changes are recorded (under the in-process lock) that the snapshot does not
     *                    show yet: a reader must take the lock and apply them. Part of this record, not a
     *                    field beside it, so that a lock-free reader cannot pair a snapshot with the
     *                    state of another moment (a stale snapshot read just before another thread
     *                    applied the changes, with the "nothing pending" read just after: CI saw an
     *                    EXAMINE miss the message its session had just appended).
     * @param verifyAfter wall-clock milliseconds after which an unsettled stamp ({@link
     *                    DirectoryScan#settled}) is no longer trusted: a change by another process within
     *                    the same clock tick as ours leaves the times as ours left them, so a scan
     *                    looks once the times have settled; carried over from change to change, so that
     *                    a folder changed without pause is still scanned once per settle time
     */
    record LastScan(DirectoryScan.Stamp stamp, MaildirFolder.Snapshot snapshot, boolean newEmpty, boolean own,
                    long verifyAfter, boolean pending) {
    }

    /**
     * Where each message's file is, by base name: for a file in cur/, the part of its name after the
     * base (":2,S"), interned, so that a folder's 50,000 messages share the few distinct suffixes
     * instead of holding a name and a {@link MessageFile} each (issue 14); for a file in new/ (or a
     * name that does not start with its base), its {@link MessageFile}.
     */
    private final ConcurrentHashMap<String, Object> files = new ConcurrentHashMap<>();
    /** Suffixes of names in cur/, shared by every folder; bounded as {@link FlagSets} is. */
    private static final ConcurrentHashMap<String, String> SUFFIXES = new ConcurrentHashMap<>();
    /** The system flags each interned suffix stands for. */
    private static final ConcurrentHashMap<String, Set<String>> SUFFIX_FLAGS = new ConcurrentHashMap<>();
    private static final int MAX_SUFFIXES = 10_000;
    /** Keywords by base name, as last read from (or written to) courierimapkeywords/. */
    private final ConcurrentHashMap<String, Set<String>> keywords = new ConcurrentHashMap<>();
    /** The reading of courierimapkeywords/ that {@link #keywords} reflects; guarded by the in-process lock. */
    private Map<String, Set<String>> keywordsRead;
    private final Set<String> knownKeywords = ConcurrentHashMap.newKeySet();
    /**
     * Messages APPEND, COPY or MOVE put into this folder (straight into cur/, since Maildir keeps no
     * flags in new/) that no handle has seen yet: the next read-write scan claims them as \Recent
     * (RFC 3501 6.3.11, 6.4.7), as it does for what it moves out of new/. Kept in memory, so across
     * this process; the store keeps a folder with pending messages alive until they are claimed.
     */
    private final ConcurrentHashMap<String, Long> recentPending = new ConcurrentHashMap<>();
    private volatile LastScan last;

    // --- files ---

    MessageFile file(String base) {
        return unpack(base, files.get(base));
    }

    private static MessageFile unpack(String base, Object v) {
        if (v == null || v instanceof MessageFile) {
            return (MessageFile) v;
        }
        return new MessageFile(false, base.concat((String) v));
    }

    /** What {@link #files} keeps for a message's file. */
    private static Object pack(String base, MessageFile f) {
        String name = f.name();
        if (f.inNew() || !name.startsWith(base)) {
            return f;
        }
        String suffix = name.substring(base.length());
        String known = SUFFIXES.get(suffix);
        if (known != null) {
            return known;
        }
        if (SUFFIXES.size() >= MAX_SUFFIXES) {
            return f; // correct, merely not shared
        }
        String raced = SUFFIXES.putIfAbsent(suffix, suffix);
        return raced == null ? suffix : raced;
    }

    /** The system flags a packed file stands for, parsed once per distinct suffix. */
    private static Set<String> systemFlags(String base, Object v) {
        if (v instanceof MessageFile m) {
            return MaildirFileName.parse(m.name()).systemFlags();
        }
        String suffix = (String) v;
        Set<String> flags = SUFFIX_FLAGS.get(suffix);
        if (flags == null) {
            flags = MaildirFileName.parse(base.concat(suffix)).systemFlags();
            SUFFIX_FLAGS.putIfAbsent(suffix, flags); // as bounded as SUFFIXES, whose instances key it
        }
        return flags;
    }

    boolean present(String base) {
        return files.containsKey(base);
    }

    /** The base names of the messages present, live (for writing the index). */
    Set<String> bases() {
        return files.keySet();
    }

    void fileAt(String base, MessageFile f) {
        files.put(base, pack(base, f));
    }

    /** Forgets where a message's file is (it was found gone or renamed); it may be found again. */
    void lostFile(String base) {
        files.remove(base);
    }

    /** Takes a scan's listing as the truth about which messages are present and where. */
    void listed(Map<String, MessageFile> listing) {
        files.keySet().retainAll(listing.keySet());
        for (Map.Entry<String, MessageFile> e : listing.entrySet()) {
            files.put(e.getKey(), pack(e.getKey(), e.getValue()));
        }
    }

    /** True if the message's file is still in new/ (nobody has taken its \Recent yet). */
    boolean inNew(String base) {
        return files.get(base) instanceof MessageFile f && f.inNew();
    }

    /** Forgets a message that is gone for good: its file and its keywords. */
    void forget(String base) {
        files.remove(base);
        keywords.remove(base);
    }

    // --- flags and keywords ---

    Set<String> keywords(String base) {
        return keywords.getOrDefault(base, Set.of());
    }

    /** Records a message's whole keyword set (empty: none). */
    void setKeywords(String base, Set<String> kw) {
        if (kw.isEmpty()) {
            keywords.remove(base);
        } else {
            keywords.put(base, Set.copyOf(kw));
            knownKeywords.addAll(kw);
        }
    }

    /** Adopts a reading of courierimapkeywords/; the same reading as last time costs nothing. */
    void keywordsRead(Map<String, Set<String>> read) {
        if (read == keywordsRead) {
            return;
        }
        keywordsRead = read;
        keywords.keySet().removeIf(b -> !read.containsKey(b));
        for (Map.Entry<String, Set<String>> e : read.entrySet()) {
            if (!e.getValue().equals(keywords.get(e.getKey()))) {
                keywords.put(e.getKey(), e.getValue());
            }
            knownKeywords.addAll(e.getValue());
        }
    }

    /** Every keyword seen in this folder since the process started (PERMANENTFLAGS, FLAGS). */
    Set<String> knownKeywords() {
        return Set.copyOf(knownKeywords);
    }

    /** Current flags of a message (system flags from its file name, keywords from memory), or null if gone. */
    Set<String> flags(String base) {
        Object f = files.get(base);
        if (f == null) {
            return null;
        }
        Set<String> system = systemFlags(base, f);
        Set<String> kw = keywords.get(base);
        if (kw == null || kw.isEmpty()) {
            return system;
        }
        Set<String> all = new HashSet<>(system);
        all.addAll(kw);
        return all;
    }

    // --- \Recent for messages this process put into the folder ---

    void addRecentPending(String base, long uid) {
        recentPending.put(base, uid);
    }

    boolean isRecentPending(String base) {
        return recentPending.containsKey(base);
    }

    /** Claims a pending message for the scanning handle; true if it was pending. */
    boolean claimRecent(String base) {
        return recentPending.remove(base) != null;
    }

    /** Claims every pending message for the scanning handle; their UIDs. */
    Set<Long> claimAllRecent() {
        Set<Long> uids = new HashSet<>();
        for (String base : Set.copyOf(recentPending.keySet())) {
            Long uid = recentPending.remove(base);
            if (uid != null) {
                uids.add(uid);
            }
        }
        return uids;
    }

    /** Drops pending messages expunged before anyone saw them. */
    void keepRecentPending(Set<String> present) {
        recentPending.keySet().retainAll(present);
    }

    boolean hasPendingRecent() {
        return !recentPending.isEmpty();
    }

    // --- the last scan ---

    LastScan last() {
        return last;
    }

    void last(LastScan scan) {
        last = scan;
    }
}
