package posthorn.store.maildir.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;

import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.MailboxStatus;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;
import posthorn.store.api.Watch;
import posthorn.store.maildir.internal.FolderIndex.Facts;

/**
 * One Maildir folder directory, shared by every handle on it in this process (the store keeps one per
 * directory): the message operations (scan, append, copy, move, expunge, flags) and their coordination
 * over the folder's parts: {@link DirectoryScan} (the files), {@link UidDb} (courierimapuiddb),
 * {@link FolderIndex} (posthorn.index), {@link CourierKeywords} (courierimapkeywords/) and
 * {@link FolderState} (what is known in memory between scans). Handles keep only their own view and
 * diff against {@link Snapshot}s.
 *
 * <p>Threading: thread-safe. Everything that reads and writes the UID database runs under
 * {@code FolderLock.withFile(dir)} (the in-process lock plus Courier's dot lock, against other
 * processes); every other rename or delete of a message file, and every keyword write, under the
 * in-process lock alone. Reading files to measure them runs outside the lock: a reader that finds a
 * stale file name relocates the message by its base name.
 *
 * <p>Other processes (an MDA, Courier's imapd) change the directory at any time: a file listed a
 * moment ago may have been renamed (a flag change) or removed. Messages are keyed by base name, so a
 * rename is a flag change, never an expunge and an add.
 */
final class MaildirFolder implements ChangeWatcher.Watched {
    /** The folder's subdirectories whose changes matter: deliveries, renames, keyword updates. */
    private static final String[] WATCHED = {"new", "cur", CourierKeywords.DIR};

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MaildirFolder.class);
    /** How often an operation looks a message up again after finding its file renamed under it. */
    private static final int ATTEMPTS = 4;

    /**
     * A message as a scan found it. Entries are shared by every handle that synced to the snapshot
     * holding them; the flag set is interned ({@link FlagSets}), so a folder's messages share the few
     * distinct sets they carry and handles compare them by identity first. {@code modseq}: the MODSEQ
     * of the message as it is here (RFC 7162), from {@link ModSeqs}.
     */
    record Entry(long uid, String base, Set<String> flags, long size, Instant internalDate, long modseq) {
        Entry {
            flags = FlagSets.intern(flags);
        }

        Entry withModSeq(long m) {
            return new Entry(uid, base, flags, size, internalDate, m);
        }

        /** The same message with the same flags, size and date (whatever the MODSEQ). */
        boolean sameAs(Entry o) {
            return uid == o.uid && base.equals(o.base) && flags.equals(o.flags) && size == o.size
                    && internalDate.equals(o.internalDate);
        }
    }

    /**
     * The folder at one moment, in ascending UID order. {@code recent} holds the UIDs that this scan
     * moved from new/ to cur/: they are \Recent for the handle that asked for the scan, and for no one
     * else; for a read-only scan, those no read-write handle has taken yet (left to the next one).
     * {@code highestModSeq}: the highest MODSEQ among the entries and the expunges that led to them.
     */
    record Snapshot(long uidValidity, long uidNext, Entries entries, Set<Long> recent, long highestModSeq) {
    }

    record Header(long uidValidity, long uidNext) {
    }

    /** A message file ready in tmp/ to be moved into cur/ and given a UID. */
    record Incoming(Path tmpFile, String base, String curName, Facts facts, Set<String> keywords) {
    }

    /** A check run on a written message before it is delivered (the quota); may refuse it. */
    interface Gate {
        void check(long diskBytes) throws StoreException;
    }

    final Path dir;
    private final DirectoryScan files;
    private final FolderIndex index;
    private final FolderState state = new FolderState();
    /** Guarded by FolderLock.withFile(dir). */
    private final UidDb uidDb;
    /** Guarded by the in-process FolderLock for dir. */
    private final CourierKeywords courierKeywords;
    /** EMAILIDs (RFC 8474) of messages moved in; see {@link EmailIds}. */
    final EmailIds emailIds;

    /** Reference count; changed only inside the owning store's map compute for this directory. */
    int refs;

    private final FolderListeners listeners;

    /*
     * Changes of this process's own since the last snapshot was taken, applied to it at the next sync
     * instead of a scan: UID to the message's entry now (null: expunged or moved away), and messages
     * delivered, in ascending UID order. Guarded by the in-process lock; the last scan's
     * {@link FolderState.LastScan#pending} tells lock-free readers that there is something to apply.
     */
    private final java.util.HashMap<Long, Entry> pendingChanged = new java.util.HashMap<>();
    private final List<Entry> pendingAdded = new ArrayList<>();
    /** The entries of the last snapshot built, reused by the next scan where unchanged. */
    private volatile Entries lastEntries = Entries.EMPTY;
    /** The highestModSeq of the snapshot {@link #lastEntries} came from. */
    private volatile long lastHighest;
    /** The highest MODSEQ among the pending own changes (pendingChanged, pendingAdded); in-process lock. */
    private long pendingHighest;
    /** MODSEQs (RFC 7162); in-process lock. */
    private final ModSeqs modseqs;
    private volatile long modseqsWritten;

    /** Messages in the folder's last known state, for the metrics page (no lock, no disk). */
    int knownMessages() {
        return lastEntries.size();
    }
    /** The store-wide arrival notice for this folder, set when a user's mail first holds it; null before. */
    private volatile Runnable arrivals;
    /** Whether a scan has announced the folder's contents to the arrival notice yet (first open). */
    private volatile boolean announced;
    /** Scans that listed the directory (for tests: own changes must not cause them). */
    private final java.util.concurrent.atomic.AtomicLong scans = new java.util.concurrent.atomic.AtomicLong();
    /** Own changes recorded; a scan's result is kept only if none came while it ran. In-process lock. */
    private long ownChanges;
    /**
     * Messages this process expunged or moved away that the UID database still lists: dropped from it
     * the next time the dot lock is held anyway (a delivery, a scan) or when the folder is released,
     * not at every expunge. In-process lock.
     */
    private final Set<String> uidDrops = new HashSet<>();
    /** An own change met another process's change (a file renamed or removed under it). In-process lock. */
    private boolean raced;

    /**
     * @param watcher tells the folder of changes by other processes while it has listeners; null: nobody does
     * @param clock   wall-clock milliseconds, compared with file times
     */
    MaildirFolder(Path dir, ChangeWatcher watcher, LongSupplier clock) {
        this.dir = dir;
        this.listeners = new FolderListeners(dir, () -> {
            if (watcher != null) {
                watcher.watch(this);
            }
        }, () -> {
            if (watcher != null) {
                watcher.unwatch(this);
            }
        });
        this.files = new DirectoryScan(dir, clock);
        this.index = new FolderIndex(dir);
        this.uidDb = new UidDb(dir);
        this.courierKeywords = new CourierKeywords(dir);
        this.emailIds = new EmailIds(dir);
        this.modseqs = new ModSeqs(dir, clock, () -> lastEntries);
    }

    boolean hasPendingRecent() {
        return state.hasPendingRecent();
    }

    Set<String> knownKeywords() {
        return state.knownKeywords();
    }

    // --- change notices ---

    /** Adds a listener for {@link #changed()}; the first one starts the kernel watch and polling. */
    Watch addListener(Runnable listener) {
        return listeners.add(listener);
    }

    /** Tells every listener that the folder may have changed. Never blocks on a listener's failure. */
    void changed() {
        listeners.fire();
    }

    @Override
    public Path watchedDir() {
        return dir;
    }

    @Override
    public String[] watchedSubdirs() {
        return WATCHED;
    }

    /**
     * From the kernel watch or the poller: whatever changed, the handles sync to find out, and the
     * store-wide arrival notice is told.
     */
    @Override
    public void noticed(java.util.List<Path> entries) {
        contentsChanged();
    }

    /**
     * Tells the handles' listeners and the store-wide arrival notice (store.api ArrivalStore) that
     * messages may have come or gone: the watch and poll (another process), own deliveries and
     * expunges, a scan that numbered or dropped messages.
     */
    void contentsChanged() {
        listeners.fire();
        arrived();
    }

    private void arrived() {
        Runnable r = arrivals;
        if (r != null) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("The arrival notice of {} failed: {}", dir, e.toString());
            }
        }
    }

    /** Sets the store-wide arrival notice (once: a folder belongs to one user's Maildir). */
    void arrivals(Runnable notice) {
        if (arrivals == null) {
            arrivals = notice;
        }
    }

    boolean hasArrivals() {
        return arrivals != null;
    }

    // --- derived values and the index ---

    byte[] cached(String base, String field) {
        return index.cached(base, field);
    }

    void cache(String base, String field, byte[] value) {
        if (state.present(base)) {
            index.cache(base, field, value);
        }
    }

    boolean indexDirty() {
        return index.dirty() || modseqs.dirty();
    }

    /**
     * Writes posthorn.index for the messages present now, and posthorn.modseq as a final write (its
     * records trusted by the next process); failures are only logged.
     */
    void flushIndex() {
        index.flush(state.bases());
        try (FolderLock.Held held = FolderLock.inProcess(dir)) {
            modseqs.writeClean();
            modseqsWritten = System.nanoTime();
        }
    }

    /** Writes posthorn.modseq if it has changed and was not written within the index's interval. */
    private void flushModSeqsIfDue() {
        if (modseqs.changed() && System.nanoTime() - modseqsWritten > FolderIndex.WRITE_INTERVAL_NS) {
            try (FolderLock.Held held = FolderLock.inProcess(dir)) {
                modseqs.write();
                modseqsWritten = System.nanoTime();
            }
        }
    }

    // --- modification sequences (RFC 7162) ---

    /** Whether MODSEQs cannot be kept (posthorn.modseq cannot be written): NOMODSEQ. */
    boolean noModSeq() {
        return modseqs.broken();
    }

    /** UIDs expunged with a MODSEQ in (since, upTo], ascending; null if some may be forgotten. */
    long[] expungedSince(long since, long upTo) {
        try (FolderLock.Held held = FolderLock.inProcess(dir)) {
            return modseqs.loaded() ? modseqs.expungedSince(since, upTo) : null;
        }
    }

    // --- scanning ---

    /**
     * Merges courierimapkeywords/'s update files into its :list once there are many, as a scan does,
     * now that own changes are followed by no scan; under the dot lock (taken here, reentrant).
     */
    private void mergeKeywordsIfDue() throws IOException {
        if (courierKeywords.pendingUpdates() >= CourierKeywords.mergeAt) {
            try (FolderLock.Held held = FolderLock.withFile(dir)) {
                courierKeywords.merge(Set.copyOf(state.bases()));
                state.keywordsRead(courierKeywords.current());
            }
        }
    }

    /** Removes {@link #uidDrops} from the loaded UID database; under the dot lock, saved by the caller. */
    private void dropGone() {
        for (String base : uidDrops) {
            uidDb.remove(base);
        }
        uidDrops.clear();
    }

    /**
     * Drops from the UID database the messages this process expunged or moved away since it was last
     * written (when the folder is released: Courier's imapd and the next process find it tidy).
     */
    void dropExpunged() {
        try (FolderLock.Held held = FolderLock.inProcess(dir)) {
            if (uidDrops.isEmpty()) {
                return;
            }
            try (FolderLock.Held file = FolderLock.withFile(dir)) {
                boolean track = tracking();
                try {
                    uidDb.load();
                    dropGone();
                    uidDb.save();
                } finally {
                    if (track) {
                        recordOwn();
                    }
                }
            }
        } catch (IOException e) {
            // the next scan drops them
            org.slf4j.LoggerFactory.getLogger(MaildirFolder.class).debug("Cannot tidy {}: {}", dir, e.toString());
        }
    }

    /** How many scans listed the directory so far. */
    long scans() {
        return scans.get();
    }

    /** UIDVALIDITY and UIDNEXT without scanning; creates the UID database if there is none. */
    Header header() throws StoreException {
        files.cleanTmpIfDue();
        FolderState.LastScan last = state.last();
        if (trusted(last, files.stamp()) && !last.pending()) {
            return new Header(last.snapshot().uidValidity(), last.snapshot().uidNext());
        }
        try (FolderLock.Held held = FolderLock.withFile(dir)) {
            uidDb.load();
            uidDb.save();
            return new Header(uidDb.uidValidity(), uidDb.nextUid());
        } catch (NoSuchFileException e) {
            throw gone(e);
        } catch (IOException e) {
            throw failure("Cannot read the UID database of " + dir, e);
        }
    }

    /**
     * Brings the UID database up to date with the directory and returns the folder's messages.
     *
     * @param claimNew move new/ to cur/ (a read-write handle); false leaves new/ untouched and lists it,
     *                 its messages and those waiting to be claimed reported as \Recent (EXAMINE shows
     *                 \Recent without taking it)
     */
    Snapshot scan(boolean claimNew) throws StoreException {
        files.cleanTmpIfDue(); // before the shortcut: a failed delivery changes only tmp/
        // Unchanged directories: the last scan's result still holds, without the lock, a listing or the
        // UID database.
        DirectoryScan.Stamp before = files.stamp();
        FolderState.LastScan last = state.last();
        if (trusted(last, before) && (!claimNew || last.newEmpty())) {
            if (!last.pending() && !(claimNew && state.hasPendingRecent())) {
                Snapshot s = last.snapshot();
                return new Snapshot(s.uidValidity(), s.uidNext(), s.entries(), claimNew ? Set.of() : unclaimed(s.entries()),
                        s.highestModSeq());
            }
            // Own changes to apply, or own deliveries to claim as \Recent: memory, under the in-process
            // lock only (no listing, no UID database, no dot lock).
            try (FolderLock.Held held = FolderLock.inProcess(dir)) {
                last = state.last();
                if (trusted(last, files.stamp()) && (!claimNew || last.newEmpty())) {
                    Snapshot s = applyPending(last).snapshot();
                    Set<Long> recent = claimNew ? claimed(s.entries(), state.claimAllRecent()) : unclaimed(s.entries());
                    return new Snapshot(s.uidValidity(), s.uidNext(), s.entries(), recent, s.highestModSeq());
                }
            }
        }
        long[] uids = new long[0];
        String[] bases = new String[0];
        int listed = 0;
        Set<Long> recent = new HashSet<>();
        long validity;
        long next;
        boolean notify;
        boolean newEmpty;
        long ownAtStart;
        scans.incrementAndGet();
        try (FolderLock.Held held = FolderLock.withFile(dir)) {
            forgetLast(); // the listing below is the truth now
            uidDrops.clear(); // the listing drops them
            ownAtStart = ownChanges;
            Set<String> claimed = claimNew ? files.claimNew() : Set.of();
            notify = !claimed.isEmpty();
            if (!index.loaded()) {
                index.load();
            }
            uidDb.load();
            Map<String, MessageFile> listing = files.list(claimNew, uidDb);
            for (String base : uidDb.bases()) {
                if (!listing.containsKey(base)) {
                    uidDb.remove(base);
                    index.forget(base);
                    state.forget(base);
                }
            }
            number(listing);
            if (uidDb.save()) {
                notify = true;
            }
            state.listed(listing);
            refreshKeywords(listing.keySet());
            newEmpty = listing.values().stream().noneMatch(MessageFile::inNew);
            for (int i = 0; i < uidDb.positions(); i++) {
                String base = uidDb.baseAt(i);
                if (base == null) {
                    continue; // a removed message's hole
                }
                long uid = uidDb.uidAt(i);
                if (listed == uids.length) {
                    int c = Math.max(16, Math.max(uidDb.size(), listed * 2));
                    uids = Arrays.copyOf(uids, c);
                    bases = Arrays.copyOf(bases, c);
                }
                uids[listed] = uid;
                bases[listed++] = base;
                if (claimed.contains(base) || (claimNew && state.claimRecent(base))) {
                    recent.add(uid);
                } else if (!claimNew && unclaimed(base)) {
                    recent.add(uid); // EXAMINE shows \Recent without taking it (RFC 3501 6.3.2)
                }
            }
            state.keepRecentPending(listing.keySet()); // expunged before anyone saw them
            validity = uidDb.uidValidity();
            next = uidDb.nextUid();
            // The UID database is written under the dot lock, by us or by Courier: what this scan wrote
            // there is no change by anyone else, so its new time stands in the stamp. The directories'
            // times stay those read before the listing.
            DirectoryScan.Stamp after = files.stamp();
            if (before != null && after != null) {
                before = new DirectoryScan.Stamp(before.cur(), before.newDir(), before.keywords(), after.db(), after.dbSize());
            }
        } catch (NoSuchFileException e) {
            throw gone(e);
        } catch (IOException e) {
            throw failure("Cannot scan " + dir, e);
        }
        // The first scan in this process also announces what the folder holds to the arrival notice (a
        // first SELECT of a mailbox a background indexer may never have seen).
        boolean announce = !announced && arrivals != null;
        if (announce) {
            announced = true;
        }
        if (notify) {
            contentsChanged(); // other handles in this process: messages were numbered, claimed or dropped
        } else if (announce) {
            arrived();
        }
        if (index.due()) {
            index.flush(state.bases());
        }
        Snapshot result;
        try (FolderLock.Held held = FolderLock.inProcess(dir)) {
            result = numbered(validity, next, uids, bases, listed, recent);
        }
        flushModSeqsIfDue();
        // The times seen before this scan's listing: a change during the scan makes the next times
        // differ, so nothing is missed; this scan's own moves do too, so the scan after next is the
        // first that can take the short way. Times that had not settled when read are trusted for
        // one settle time at most (see LastScan). Kept only if no own change came meanwhile, since
        // own changes are recorded against the last result.
        try (FolderLock.Held held = FolderLock.inProcess(dir)) {
            if (ownChanges == ownAtStart && before != null) {
                long verifyAfter = files.settled(before) ? Long.MAX_VALUE : files.now() + DirectoryScan.SETTLE_MILLIS;
                state.last(new FolderState.LastScan(before, result, newEmpty, false, verifyAfter, false));
            }
        }
        return result;
    }

    /**
     * The scan's result from its listing, under the in-process lock: entries equal to the previous
     * result's are that result's objects, and an unchanged list is that list (handles diff by identity
     * first and share what did not change). Messages new to memory, changed since the previous result
     * and gone from it get one new MODSEQ for the whole scan (RFC 7162 lets messages share one).
     */
    private Snapshot numbered(long validity, long next, long[] uids, String[] bases, int listed, Set<Long> recent)
            throws StoreException {
        if (!modseqs.loaded()) {
            modseqs.load(validity);
        }
        Entries previous = lastEntries;
        long high = Math.max(lastHighest, modseqs.expungeHigh());
        if (modseqs.validity(validity)) {
            previous = Entries.EMPTY; // other messages under the same UIDs now
            high = modseqs.expungeHigh();
        }
        java.util.Map<Long, long[]> fileRecords = modseqs.fileRecords();
        long scanMod = 0;
        int p = 0;
        boolean same = true;
        // Columns, not an entry per message: the listing's order is the UID order (issue 14).
        Entries.Builder built = new Entries.Builder(listed);
        for (int i = 0; i < listed; i++) {
            String base = bases[i];
            long uid = uids[i];
            Facts f = knownFacts(base);
            Set<String> flags = f == null ? null : state.flags(base);
            if (flags == null) {
                recent.remove(uid); // vanished since the listing; the next scan drops it
                continue;
            }
            long date = f.internalDate().toEpochMilli();
            while (p < previous.size() && previous.uid(p) < uid) {
                scanMod = scanMod == 0 ? modseqs.next() : scanMod;
                modseqs.expunged(previous.uid(p++), scanMod);
                same = false;
            }
            boolean known = p < previous.size() && previous.uid(p) == uid;
            long mod;
            if (known && previous.base(p).equals(base) && previous.flags(p).equals(flags)
                    && previous.size(p) == f.size() && previous.dateMillis(p) == date) {
                mod = previous.modseq(p);
                p++;
            } else {
                same = false;
                mod = 0;
                if (known) {
                    if (previous.base(p).equals(base) && previous.flags(p).equals(flags)) {
                        mod = previous.modseq(p); // only its size became known
                    }
                    p++;
                } else {
                    mod = modseqs.recorded(uid, flags.hashCode());
                    if (fileRecords != null) {
                        fileRecords.remove(uid);
                    }
                }
                if (mod == 0) {
                    scanMod = scanMod == 0 ? modseqs.next() : scanMod;
                    mod = scanMod;
                }
            }
            high = Math.max(high, mod);
            built.add(uid, base, flags, f.size(), date, mod);
        }
        while (p < previous.size()) {
            scanMod = scanMod == 0 ? modseqs.next() : scanMod;
            modseqs.expunged(previous.uid(p++), scanMod);
            same = false;
        }
        if (fileRecords != null) {
            // gone while no process of ours watched (or with a crash's lost records)
            for (long gone : new TreeSet<>(fileRecords.keySet())) {
                scanMod = scanMod == 0 ? modseqs.next() : scanMod;
                modseqs.expunged(gone, scanMod);
            }
            modseqs.recordsUsed();
        }
        high = Math.max(high, scanMod);
        Entries list = same && p == previous.size() ? previous : built.build();
        lastEntries = list;
        lastHighest = high;
        return new Snapshot(validity, next, list, Set.copyOf(recent), high);
    }

    /** True if no read-write handle has taken the message's \Recent yet. */
    private boolean unclaimed(String base) {
        return state.inNew(base) || state.isRecentPending(base);
    }

    private Set<Long> unclaimed(Entries entries) {
        Set<Long> recent = new HashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            if (unclaimed(entries.base(i))) {
                recent.add(entries.uid(i));
            }
        }
        return Set.copyOf(recent);
    }

    /** The claimed UIDs that are in the snapshot (a pending message may be expunged already). */
    private static Set<Long> claimed(Entries entries, Set<Long> claimed) {
        Set<Long> recent = new HashSet<>();
        for (long uid : claimed) {
            if (entries.position(uid) >= 0) {
                recent.add(uid);
            }
        }
        return Set.copyOf(recent);
    }

    // --- own changes, applied to memory instead of a scan ---

    /**
     * Whether memory may be trusted to describe the folder: the times now are those it was taken
     * under, and they are settled or still within the time an unsettled stamp is trusted for.
     */
    private boolean trusted(FolderState.LastScan last, DirectoryScan.Stamp now) {
        if (last == null || now == null || !now.equals(last.stamp())) {
            return false;
        }
        return last.verifyAfter() == Long.MAX_VALUE || files.now() < last.verifyAfter();
    }

    /**
     * Before an own change, under the in-process lock: true if memory still matches the folder (its
     * times are those memory was taken under), so the change can be applied to memory; otherwise
     * something changed outside, memory is dropped and the next sync scans.
     */
    private boolean tracking() {
        raced = false;
        FolderState.LastScan last = state.last();
        if (last != null && last.stamp().equals(files.stamp())) {
            return true;
        }
        forgetLast();
        return false;
    }

    /** Drops what memory knows of the folder's messages as a whole; the next sync scans. In-process lock. */
    private void forgetLast() {
        state.last(null);
        pendingChanged.clear();
        pendingAdded.clear();
        pendingHighest = 0;
    }

    /**
     * After an own change that {@link #tracking} allowed, under the same hold of the in-process lock:
     * takes the folder's times now as those memory holds for, so that a later difference means a change
     * by another process. A change that met another process's ({@link #raced}) drops memory instead.
     */
    private void recordOwn() {
        ownChanges++;
        FolderState.LastScan last = state.last();
        DirectoryScan.Stamp now = files.stamp();
        if (raced || last == null || now == null) {
            forgetLast();
            return;
        }
        long verifyAfter = Math.min(last.verifyAfter(), files.now() + DirectoryScan.SETTLE_MILLIS);
        state.last(new FolderState.LastScan(now, last.snapshot(), last.newEmpty(), true, verifyAfter, true));
    }

    /** Records a message's entry after an own change (null: it is gone); false if it cannot be. In-process lock. */
    private boolean pending(String base, boolean gone) {
        Long uid = uidDb.uidOf(base);
        if (uid == null) {
            return false;
        }
        if (gone) {
            pendingChanged.put(uid, null);
            uidDrops.add(base);
            if (modseqs.loaded()) {
                pendingHighest = modseqs.next();
                modseqs.expunged(uid, pendingHighest);
            }
            return true;
        }
        Facts f = index.facts(base);
        Set<String> flags = state.flags(base);
        if (f == null || flags == null || !modseqs.loaded()) {
            return false;
        }
        pendingHighest = modseqs.next();
        pendingChanged.put(uid, new Entry(uid, base, Set.copyOf(flags), f.size(), f.internalDate(), pendingHighest));
        return true;
    }

    /** Applies the pending own changes to the last snapshot, under the in-process lock; the result is kept. */
    private FolderState.LastScan applyPending(FolderState.LastScan last) {
        if (!last.pending()) {
            return last;
        }
        Snapshot s = last.snapshot();
        Entries before = s.entries();
        Entries.Builder entries = new Entries.Builder(before.size() + pendingAdded.size());
        for (int i = 0; i < before.size(); i++) {
            long uid = before.uid(i);
            if (pendingChanged.containsKey(uid)) {
                Entry now = pendingChanged.get(uid);
                if (now != null) {
                    entries.add(now);
                }
            } else {
                entries.add(before, i);
            }
        }
        for (Entry e : pendingAdded) {
            if (pendingChanged.containsKey(e.uid())) {
                Entry now = pendingChanged.get(e.uid());
                if (now != null) {
                    entries.add(now);
                }
            } else {
                entries.add(e);
            }
        }
        long next = Math.max(s.uidNext(), uidDb.nextUid());
        long high = Math.max(s.highestModSeq(), pendingHighest);
        FolderState.LastScan applied = new FolderState.LastScan(last.stamp(),
                new Snapshot(s.uidValidity(), next, entries.build(), Set.of(), high), last.newEmpty(), last.own(),
                last.verifyAfter(), false);
        pendingChanged.clear();
        pendingAdded.clear();
        pendingHighest = 0;
        state.last(applied);
        lastEntries = applied.snapshot().entries();
        lastHighest = high;
        return applied;
    }

    /**
     * Gives the listed files that have no UID yet their UIDs, in delivery order, after checking each
     * is still there and a regular file (else it leaves the listing). Under the dot lock.
     */
    private void number(Map<String, MessageFile> listing) throws IOException {
        List<MaildirFileName.Delivery> unknown = new ArrayList<>();
        for (String base : listing.keySet()) {
            if (uidDb.uid(base) == 0) {
                unknown.add(MaildirFileName.Delivery.of(base)); // parsed once, not at every comparison
            }
        }
        unknown.sort(null);
        for (MaildirFileName.Delivery d : unknown) {
            String base = d.base();
            BasicFileAttributes attrs = files.regularFile(listing.get(base));
            if (attrs == null) {
                listing.remove(base);
                continue;
            }
            if (index.facts(base) == null) {
                // the date from the listing's look at the file; the size from the name (W=) or unknown
                // until needed: opening a folder reads no message
                index.putFacts(base, new Facts(MaildirFileName.sizeField(base, 'W'), attrs.lastModifiedTime().toInstant()));
            }
            uidDb.assign(base);
        }
    }

    /** Brings the in-memory keywords up to date with courierimapkeywords/; under the dot lock. */
    private void refreshKeywords(Set<String> live) throws IOException {
        if (courierKeywords.pendingUpdates() >= CourierKeywords.mergeAt) {
            courierKeywords.merge(live);
        }
        state.keywordsRead(courierKeywords.current());
    }

    /** STATUS counts: numbers what is new without taking anybody's \Recent (new/ stays as it is). */
    MailboxStatus status() throws StoreException {
        Snapshot snap = scan(false);
        long recent = 0;
        long unseen = 0;
        long size = 0;
        Entries entries = snap.entries();
        for (int i = 0; i < entries.size(); i++) {
            String base = entries.base(i);
            if (state.inNew(base) || state.isRecentPending(base)) {
                recent++;
            }
            if (!entries.flags(i).contains(Flags.SEEN)) {
                unseen++;
            }
            if (entries.size(i) >= 0) {
                size += entries.size(i);
            } else {
                Facts f = facts(base); // STATUS SIZE: measured once, then kept in the index
                size += f == null ? 0 : f.size();
            }
        }
        return new MailboxStatus(snap.entries().size(), recent, snap.uidNext(), snap.uidValidity(), unseen, size);
    }

    // --- reading messages ---

    /** Where a message's file is, looked up again if memory has lost it; null if the message is gone. */
    private MessageFile locate(String base) throws IOException {
        MessageFile f = state.file(base);
        return f != null ? f : relocate(base);
    }

    /** Finds a message's current file by listing cur/ and new/; null (and forgotten) if it is gone. */
    private MessageFile relocate(String base) throws IOException {
        try (FolderLock.Held held = FolderLock.inProcess(dir)) {
            raced = true; // memory lost the file: another process renamed or removed it
            MessageFile f = files.find(base);
            if (f == null) {
                state.lostFile(base);
            } else {
                state.fileAt(base, f);
            }
            return f;
        }
    }

    /**
     * Date and, where known without reading the message, size ({@link posthorn.store.api.MessageMeta#UNKNOWN_SIZE}
     * otherwise) of a message: from the index, else from the name (W=) and the file's date; null if
     * the message is gone.
     */
    Facts knownFacts(String base) throws StoreException {
        Facts f = index.facts(base);
        if (f != null) {
            return f;
        }
        try {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                MessageFile loc = state.file(base);
                if (loc == null) {
                    return null;
                }
                try {
                    BasicFileAttributes attrs = Files.readAttributes(files.path(loc), BasicFileAttributes.class);
                    f = new Facts(MaildirFileName.sizeField(base, 'W'), attrs.lastModifiedTime().toInstant());
                    index.putFacts(base, f);
                    return f;
                } catch (NoSuchFileException e) {
                    if (relocate(base) == null) {
                        return null;
                    }
                }
            }
            return null;
        } catch (IOException e) {
            throw failure("Cannot read a message in " + dir, e);
        }
    }

    /**
     * Size and date of a message with its exact size, measured (by reading the message once) where
     * neither the index nor the name has it, and kept in the index; null if the message is gone.
     */
    Facts facts(String base) throws StoreException {
        Facts f = index.facts(base);
        if (f != null && f.size() >= 0) {
            return f;
        }
        try {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                MessageFile loc = state.file(base);
                if (loc == null) {
                    return null;
                }
                Path p = files.path(loc);
                try {
                    BasicFileAttributes attrs = Files.readAttributes(p, BasicFileAttributes.class);
                    long size = MaildirFileName.sizeField(base, 'W');
                    if (size < 0) {
                        try (InputStream in = Files.newInputStream(p)) {
                            size = LineEnds.crlfSize(in);
                        }
                    }
                    f = new Facts(size, attrs.lastModifiedTime().toInstant());
                    index.putMeasured(base, f);
                    return f;
                } catch (NoSuchFileException e) {
                    if (relocate(base) == null) {
                        return null;
                    }
                }
            }
            return null;
        } catch (IOException e) {
            throw failure("Cannot read a message in " + dir, e);
        }
    }

    /** Opens a message file as it is on disk, or returns null if the message is gone. */
    InputStream open(String base) throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            MessageFile loc = locate(base);
            if (loc == null) {
                return null;
            }
            try {
                return Files.newInputStream(files.path(loc));
            } catch (NoSuchFileException e) {
                if (relocate(base) == null) {
                    return null;
                }
            }
        }
        return null;
    }

    /** The message's size on disk, as Maildir++ quota counts it (S= where present); -1 if gone. */
    /** The message's RFC822.SIZE if known without reading it, else {@link posthorn.store.api.MessageMeta#UNKNOWN_SIZE}. */
    long knownSize(String base) {
        Facts f = index.facts(base);
        return f == null || f.size() < 0 ? posthorn.store.api.MessageMeta.UNKNOWN_SIZE : f.size();
    }

    long diskSize(String base) {
        long s = MaildirFileName.sizeField(base, 'S');
        if (s >= 0) {
            return s;
        }
        MessageFile loc = state.file(base);
        try {
            return loc == null ? -1 : Files.size(files.path(loc));
        } catch (IOException e) {
            return -1;
        }
    }

    // --- changing messages ---

    /**
     * Applies a STORE to one message by renaming its file in cur/ (and its keywords in
     * courierimapkeywords/ and memory), under the in-process lock.
     *
     * @param deletedChanged told (under the lock, after the rename) when the change set or cleared
     *                       \Deleted, with the new state: the quota counts only undeleted messages
     * @return the flags afterwards, or null if the message is gone
     */
    Set<String> changeFlags(String base, FlagMode mode, Set<String> requested,
                            java.util.function.Consumer<Boolean> deletedChanged) throws StoreException {
        Set<String> reqSystem = new HashSet<>();
        Set<String> reqKeywords = new HashSet<>();
        split(requested, reqSystem, reqKeywords);
        try (FolderLock.Held held = FolderLock.inProcess(dir)) {
            boolean track = tracking();
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                MessageFile loc = locate(base);
                if (loc == null) {
                    if (track) {
                        recordOwn(); // raced: memory is dropped
                    }
                    return null;
                }
                MaildirFileName parsed = MaildirFileName.parse(loc.name());
                Set<String> system = apply(mode, parsed.systemFlags(), reqSystem);
                Set<String> kwBefore = state.keywords(base);
                Set<String> kw = apply(mode, kwBefore, reqKeywords);
                String target = MaildirFileName.withFlags(base, system, parsed.otherLetters());
                boolean changedAny = loc.inNew() || !target.equals(loc.name()) || !kw.equals(kwBefore);
                if (loc.inNew() || !target.equals(loc.name())) {
                    try {
                        Files.move(files.path(loc), files.cur.resolve(target), StandardCopyOption.ATOMIC_MOVE);
                    } catch (NoSuchFileException e) {
                        state.lostFile(base);
                        raced = true;
                        continue; // renamed or removed by someone else meanwhile: look again
                    }
                    state.fileAt(base, new MessageFile(false, target));
                }
                boolean wasDeleted = parsed.systemFlags().contains(Flags.DELETED);
                if (wasDeleted != system.contains(Flags.DELETED)) {
                    deletedChanged.accept(!wasDeleted);
                }
                if (!kw.equals(kwBefore)) {
                    courierKeywords.set(base, kw);
                    mergeKeywordsIfDue();
                }
                state.setKeywords(base, kw);
                if (track) {
                    if (changedAny) {
                        raced |= !pending(base, false); // a new MODSEQ only for a change (RFC 7162 3.1.3)
                    }
                    recordOwn();
                }
                changed();
                Set<String> all = new HashSet<>(system);
                all.addAll(kw);
                return all;
            }
            if (track) {
                recordOwn();
            }
            return null;
        } catch (IOException e) {
            throw failure("Cannot change flags in " + dir, e);
        }
    }

    private static Set<String> apply(FlagMode mode, Set<String> current, Set<String> requested) {
        Set<String> result = new TreeSet<>(mode == FlagMode.REPLACE ? Set.of() : current);
        if (mode == FlagMode.REMOVE) {
            result.removeAll(requested);
        } else {
            result.addAll(requested);
        }
        return result;
    }

    /** Splits IMAP flags into system flags and keywords; other backslash flags (\Recent) are dropped. */
    private static void split(Set<String> flags, Set<String> system, Set<String> kw) {
        for (String flag : flags) {
            String c = Flags.canonical(flag);
            if (Flags.isSystem(c)) {
                system.add(c);
            } else if (!c.startsWith("\\")) {
                kw.add(c);
            }
        }
    }

    /** Deletes a message's file if its name carries T (\Deleted) now; true if this call removed it. */
    boolean expunge(String base) throws StoreException {
        try (FolderLock.Held held = FolderLock.inProcess(dir)) {
            boolean track = tracking();
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                MessageFile loc = locate(base);
                if (loc == null) {
                    if (track && raced) {
                        recordOwn();
                    }
                    return false;
                }
                if (!MaildirFileName.parse(loc.name()).systemFlags().contains(Flags.DELETED)) {
                    if (track && raced) {
                        recordOwn();
                    }
                    return false;
                }
                try {
                    Files.delete(files.path(loc));
                } catch (NoSuchFileException e) {
                    state.lostFile(base);
                    raced = true;
                    continue;
                }
                if (track) {
                    // the UID database keeps the base until the next scan drops it (under the dot lock)
                    raced |= !pending(base, true);
                    recordOwn();
                }
                state.forget(base);
                index.forget(base);
                courierKeywords.forget(base);
                contentsChanged();
                return true;
            }
            if (track) {
                recordOwn();
            }
            return false;
        } catch (IOException e) {
            throw failure("Cannot expunge in " + dir, e);
        }
    }

    // --- adding messages ---

    /** A new message file in this folder's tmp/, to be written and then given to {@link #append}. */
    TmpMessage newMessage() throws IOException {
        return TmpMessage.create(files.tmp, () -> { });
    }

    /**
     * Delivers a message written into a tmp/ directory of the same Maildir: finishes and fsyncs it,
     * moves it into this folder's tmp/ (a rename), dates it, lets the gate check it and renames it into
     * cur/ with a new UID. If anything fails before that last rename, the message is still the
     * caller's to close (which removes it).
     *
     * @return its UID
     */
    long append(TmpMessage message, Set<String> flags, Instant internalDate, Gate gate)
            throws StoreException, IOException {
        LineEnds.Written written = message.finish();
        message.moveTo(files.tmp);
        Path file = message.file();
        Files.setLastModifiedTime(file, FileTime.from(internalDate));
        gate.check(written.diskSize());
        String base = file.getFileName() + ",S=" + written.diskSize() + ",W=" + written.crlfSize();
        Set<String> system = new TreeSet<>();
        Set<String> kw = new TreeSet<>();
        split(flags, system, kw);
        Incoming in = new Incoming(file, base, MaildirFileName.withFlags(base, system, ""),
                new Facts(written.crlfSize(), internalDate), kw);
        long uid = deliver(List.of(in)).get(0);
        message.taken();
        return uid;
    }

    /**
     * Copies messages into another folder (hard links where the file system allows, else copies), in
     * the given order.
     *
     * @return the new UIDs, null where a source message had vanished
     */
    List<Long> copyTo(MaildirFolder target, List<String> sourceBases) throws StoreException {
        List<Incoming> incoming = new ArrayList<>();
        List<Integer> positions = new ArrayList<>();
        try {
            for (int i = 0; i < sourceBases.size(); i++) {
                Incoming in = prepareCopy(target, sourceBases.get(i));
                if (in != null) {
                    incoming.add(in);
                    positions.add(i);
                }
            }
            List<Long> uids = target.deliver(incoming);
            Long[] result = new Long[sourceBases.size()];
            for (int i = 0; i < uids.size(); i++) {
                result[positions.get(i)] = uids.get(i);
            }
            return Arrays.asList(result);
        } catch (IOException e) {
            for (Incoming in : incoming) {
                try {
                    Files.deleteIfExists(in.tmpFile());
                } catch (IOException ignored) {
                    // left in tmp/, where Maildir readers ignore it
                }
            }
            throw target.failure("Cannot copy messages to " + target.dir, e);
        }
    }

    /** Puts a copy of one message into the target's tmp/, under a new base name; null if it is gone. */
    private Incoming prepareCopy(MaildirFolder target, String base) throws IOException, StoreException {
        Facts f = knownFacts(base);
        if (f == null) {
            return null;
        }
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            MessageFile loc = locate(base);
            if (loc == null) {
                return null;
            }
            String unique = MaildirFileName.unique();
            Path file = target.files.tmp.resolve(unique);
            Path src = files.path(loc);
            try {
                try {
                    Files.createLink(file, src);
                } catch (NoSuchFileException e) {
                    throw e;
                } catch (IOException | UnsupportedOperationException e) {
                    // Another file system or no hard links: copy, keeping the date, and make it durable.
                    OwnerOnly.copy(src, file);
                }
            } catch (NoSuchFileException e) {
                Files.deleteIfExists(file);
                state.lostFile(base);
                continue;
            }
            long disk = Files.size(file);
            String newBase = unique + ",S=" + disk + (f.size() >= 0 ? ",W=" + f.size() : "");
            MaildirFileName parsed = MaildirFileName.parse(loc.name());
            return new Incoming(file, newBase, MaildirFileName.withFlags(newBase, parsed.systemFlags(), ""),
                    new Facts(f.size(), f.internalDate()), state.keywords(base));
        }
        return null;
    }

    /**
     * Moves messages into another folder (RFC 6851), each with one rename from this folder's cur/ (or
     * new/) into the target's cur/ under both folders' locks, so that a message is in exactly one of the
     * two folders at every moment, also after a crash: a crash after the rename and before the target's
     * UID database is written leaves a file the target's next scan numbers, and a source UID database
     * entry the source's next scan drops. The source's expunges are reported by its handles' syncs.
     *
     * @return the new UIDs in the given order, null where a source message had vanished
     */
    List<Long> moveTo(MaildirFolder target, List<String> sourceBases) throws StoreException {
        Long[] result = new Long[sourceBases.size()];
        if (sourceBases.isEmpty()) {
            return Arrays.asList(result);
        }
        boolean sourceFirst = dir.toString().compareTo(target.dir.toString()) <= 0;
        // Locks in path order, so two opposite moves cannot deadlock.
        try (FolderLock.Held a = sourceFirst ? FolderLock.inProcess(dir) : FolderLock.withFile(target.dir);
                FolderLock.Held b = sourceFirst ? FolderLock.withFile(target.dir) : FolderLock.inProcess(dir)) {
            boolean trackSource = tracking();
            boolean trackTarget = target.tracking();
            boolean done = false;
            try {
                target.uidDb.load();
                try {
                    for (int i = 0; i < sourceBases.size(); i++) {
                        Long uid = moveOne(target, sourceBases.get(i), trackSource, trackTarget);
                        if (uid != null) {
                            result[i] = uid;
                        }
                    }
                } finally {
                    target.uidDb.save();
                }
                done = true;
            } finally {
                if (trackSource) {
                    raced |= !done;
                    recordOwn();
                }
                if (trackTarget) {
                    target.raced |= !done;
                    target.recordOwn();
                }
            }
        } catch (NoSuchFileException e) {
            throw target.gone(e);
        } catch (IOException e) {
            throw target.failure("Cannot move messages to " + target.dir, e);
        }
        target.contentsChanged();
        contentsChanged();
        return Arrays.asList(result);
    }

    /** One message of {@link #moveTo}, under both locks; its UID in the target, or null if it had vanished. */
    private Long moveOne(MaildirFolder target, String base, boolean trackSource, boolean trackTarget)
            throws IOException, StoreException {
        Facts f = knownFacts(base);
        if (f == null) {
            return null;
        }
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            MessageFile loc = locate(base);
            if (loc == null) {
                return null;
            }
            Path src = files.path(loc);
            long disk;
            try {
                disk = Files.size(src);
            } catch (NoSuchFileException e) {
                state.lostFile(base);
                raced = true;
                continue;
            }
            String newBase = MaildirFileName.unique() + ",S=" + disk + (f.size() >= 0 ? ",W=" + f.size() : "");
            MaildirFileName parsed = MaildirFileName.parse(loc.name());
            String curName = MaildirFileName.withFlags(newBase, parsed.systemFlags(), "");
            Set<String> kw = state.keywords(base);
            if (!kw.isEmpty()) {
                target.courierKeywords.set(newBase, kw); // first, so a crash loses no keyword
            }
            target.emailIds.carry(newBase, emailIds.of(base)); // RFC 8474 5.1: MOVE keeps EMAILID
            try {
                Files.move(src, target.files.cur.resolve(curName), StandardCopyOption.ATOMIC_MOVE);
            } catch (NoSuchFileException e) {
                state.lostFile(base);
                raced = true;
                continue; // renamed by a flag change elsewhere: find it again
            }
            if (trackSource) {
                raced |= !pending(base, true);
            }
            long uid = target.uidDb.assign(newBase);
            target.state.addRecentPending(newBase, uid);
            target.state.fileAt(newBase, new MessageFile(false, curName));
            if (!kw.isEmpty()) {
                courierKeywords.forget(base);
                target.state.setKeywords(newBase, kw);
            }
            state.forget(base);
            index.moveTo(target.index, base, newBase, f); // same bytes, same facts and derived values
            if (trackTarget) {
                Set<String> flags = target.state.flags(newBase);
                target.raced |= flags == null;
                if (flags != null && target.modseqs.loaded()) {
                    target.pendingHighest = target.modseqs.next();
                    target.pendingAdded.add(new Entry(uid, newBase, Set.copyOf(flags), f.size(), f.internalDate(),
                            target.pendingHighest));
                } else {
                    target.raced = true;
                }
            }
            return uid;
        }
        return null;
    }

    /**
     * Moves files from tmp/ into cur/ and gives them UIDs, in order, under the UID database lock, so
     * a UID is returned at once and no scan can number the same message differently. Files not
     * delivered (an error) are removed from tmp/.
     */
    List<Long> deliver(List<Incoming> items) throws StoreException {
        List<Long> uids = new ArrayList<>(items.size());
        if (items.isEmpty()) {
            return uids;
        }
        try (FolderLock.Held held = FolderLock.withFile(dir)) {
            boolean track = tracking();
            try {
                deliverLocked(items, uids, track);
            } finally {
                if (track) {
                    raced |= uids.size() < items.size();
                    recordOwn();
                }
            }
            contentsChanged();
            return uids;
        } catch (NoSuchFileException e) {
            throw gone(e);
        } catch (IOException e) {
            throw failure("Cannot deliver to " + dir, e);
        } finally {
            for (int i = uids.size(); i < items.size(); i++) {
                try {
                    Files.deleteIfExists(items.get(i).tmpFile());
                } catch (IOException ignored) {
                    // left in tmp/, where Maildir readers ignore it
                }
            }
        }
    }

    /** The body of {@link #deliver}, under the dot lock; adds each UID to {@code uids} as it is given. */
    private void deliverLocked(List<Incoming> items, List<Long> uids, boolean track) throws IOException {
            uidDb.load();
            dropGone();
            try {
                for (Incoming in : items) {
                    if (!in.keywords().isEmpty()) {
                        courierKeywords.set(in.base(), in.keywords()); // first, so a crash loses no keyword
                    }
                    Files.move(in.tmpFile(), files.cur.resolve(in.curName()), StandardCopyOption.ATOMIC_MOVE);
                    long uid = uidDb.assign(in.base());
                    state.addRecentPending(in.base(), uid);
                    state.fileAt(in.base(), new MessageFile(false, in.curName()));
                    index.putFacts(in.base(), in.facts());
                    state.setKeywords(in.base(), in.keywords());
                    uids.add(uid);
                    if (track && modseqs.loaded()) {
                        pendingHighest = modseqs.next();
                        pendingAdded.add(new Entry(uid, in.base(), Set.copyOf(state.flags(in.base())),
                                in.facts().size(), in.facts().internalDate(), pendingHighest));
                    } else if (track) {
                        raced = true;
                    }
                }
            } finally {
                uidDb.save();
            }
            mergeKeywordsIfDue();
    }

    /**
     * The folder's directory is gone (another session or process deleted the mailbox). The text
     * reaches the client, so it names no path; the cause, with the path, is for the log.
     */
    private StoreException gone(IOException e) {
        return new StoreException(Reason.NONEXISTENT, "The mailbox no longer exists", e);
    }

    /**
     * An I/O failure of an operation on this folder: the mailbox is gone if its directory went away
     * meanwhile (a client can cause that, so it is NONEXISTENT, not a server bug), otherwise a server
     * bug described for the log.
     */
    private StoreException failure(String what, IOException e) {
        if (!Files.isDirectory(dir)) {
            return gone(e);
        }
        return new StoreException(Reason.SERVERBUG, what, e);
    }
}
