package posthorn.store.maildir.internal;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import posthorn.store.api.Change;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.ModSeqMailbox;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;
import posthorn.store.api.Watch;

/**
 * One session's handle on a Maildir folder. Its view (the messages as last reported) is the folder's
 * snapshot it synced to, an immutable list shared with every other handle that synced to the same one,
 * plus what is the handle's alone: the UIDs that are \Recent for it. No per-message object is kept per
 * handle; {@link MessageMeta}s are built when {@link #messages()} asks. The shared {@link MaildirFolder}
 * does the disk work. Not thread-safe, as the SPI says.
 */
final class MaildirMailbox implements ModSeqMailbox, posthorn.store.api.ObjectIdMailbox, posthorn.store.api.SaveDateMailbox {
    private final MaildirUserMail owner;
    private final MaildirFolder folder;
    private final String name;
    private final boolean readOnly;
    /** The snapshot entries last reported, ascending UID; shared and never modified. */
    private Entries view = Entries.EMPTY;
    /** UIDs in {@link #view} that are \Recent for this handle (RFC 3501 2.3.2); usually empty. */
    private Set<Long> recent = Set.of();
    private long uidValidity;
    private long uidNext;
    /** HIGHESTMODSEQ of the snapshot last synced to. */
    private long highestModSeq;
    private boolean synced;
    private volatile boolean closed;
    /** Open watches, closed with the handle; a set because close may come from another thread. */
    private final Set<Watch> watches = java.util.concurrent.ConcurrentHashMap.newKeySet();

    MaildirMailbox(MaildirUserMail owner, MaildirFolder folder, String name, boolean readOnly) throws StoreException {
        this.owner = owner;
        this.folder = folder;
        this.name = name;
        this.readOnly = readOnly;
        MaildirFolder.Header header = folder.header();
        this.uidValidity = header.uidValidity();
        this.uidNext = header.uidNext();
    }

    /** The shared folder behind this handle (for tests). */
    MaildirFolder folder() {
        return folder;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public long uidValidity() {
        return uidValidity;
    }

    @Override
    public long uidNext() {
        return uidNext;
    }

    @Override
    public Set<String> keywords() {
        return folder.knownKeywords();
    }

    @Override
    public List<Change> sync() throws StoreException {
        checkOpen();
        MaildirFolder.Snapshot snap = folder.scan(!readOnly);
        if (synced && snap.uidValidity() != uidValidity) {
            // The UID database was rebuilt under this handle: every UID it reported is void. Report that
            // alone and start over; the next sync reports every message as added (RFC 3501 2.3.1.1).
            uidValidity = snap.uidValidity();
            uidNext = snap.uidNext();
            view = Entries.EMPTY;
            recent = Set.of();
            synced = false;
            return List.of(new Change.UidValidityChanged(uidValidity));
        }
        uidValidity = snap.uidValidity();
        uidNext = snap.uidNext();
        highestModSeq = snap.highestModSeq();
        synced = true;
        Entries old = view;
        Entries now = snap.entries();
        view = now;
        if (old == now) {
            return List.of(); // the same shared snapshot: nothing changed (an idle handle's usual case)
        }
        // Both lists ascend by UID: one merge walk over the columns finds what went, what changed and
        // what came, building an object only for a change.
        List<Change> expunged = new ArrayList<>();
        List<Change> flagChanges = new ArrayList<>();
        List<Change> added = new ArrayList<>();
        Set<Long> recentNow = recent.isEmpty() ? null : new java.util.HashSet<>(recent);
        int i = 0;
        int j = 0;
        while (i < old.size() || j < now.size()) {
            boolean hasO = i < old.size();
            boolean hasN = j < now.size();
            if (!hasN || (hasO && old.uid(i) < now.uid(j))) {
                expunged.add(new Change.Expunged(old.uid(i)));
                if (recentNow != null) {
                    recentNow.remove(old.uid(i));
                }
                i++;
            } else if (!hasO || now.uid(j) < old.uid(i)) {
                long uid = now.uid(j);
                boolean isRecent = snap.recent().contains(uid);
                if (isRecent) {
                    if (recentNow == null) {
                        recentNow = new java.util.HashSet<>();
                    }
                    recentNow.add(uid);
                }
                added.add(new Change.Added(meta(now, j, isRecent)));
                j++;
            } else if (!old.base(i).equals(now.base(j))) {
                // the same UID for another file: the old message is gone and this one is new to us
                expunged.add(new Change.Expunged(old.uid(i)));
                if (recentNow != null) {
                    recentNow.remove(old.uid(i));
                }
                i++; // n is taken as added on the next round
            } else {
                if (!old.sameFlags(i, now, j)) {
                    flagChanges.add(new Change.FlagsChanged(now.uid(j), now.flags(j)));
                }
                i++;
                j++;
            }
        }
        recent = recentNow == null || recentNow.isEmpty() ? Set.of() : Set.copyOf(recentNow);
        List<Change> changes = new ArrayList<>(expunged.size() + flagChanges.size() + added.size());
        changes.addAll(expunged);
        changes.addAll(flagChanges);
        changes.addAll(added);
        return changes;
    }

    @Override
    public long highestModSeq() {
        return folder.noModSeq() ? NOMODSEQ : highestModSeq;
    }

    /** A binary search in the shared snapshot: no object per call. */
    @Override
    public long modSeq(long uid) {
        int at = view.position(uid);
        return at < 0 || folder.noModSeq() ? 0 : view.modseq(at);
    }

    @Override
    public long[] expungedSince(long modSeq) throws StoreException {
        checkOpen();
        return folder.expungedSince(modSeq, highestModSeq);
    }

    /** A message of the view as the SPI reports it; the size as far as the folder knows it without reading. */
    private MessageMeta meta(Entries entries, int i, boolean isRecent) {
        long size = entries.size(i);
        if (size == MessageMeta.UNKNOWN_SIZE) {
            size = folder.knownSize(entries.base(i));
        }
        return new MessageMeta(entries.uid(i), entries.flags(i), size, entries.internalDate(i), isRecent);
    }

    /** The view as last synced (for tests: handles synced to the same snapshot share it). */
    Entries view() {
        return view;
    }

    /** The view's base name for a UID, or null (no object per call). */
    private String base(long uid) {
        int at = view.position(uid);
        return at < 0 ? null : view.base(at);
    }

    /** The view's entry for a UID, or null. */
    private MaildirFolder.Entry entry(long uid) {
        int at = view.position(uid);
        return at < 0 ? null : view.get(at);
    }

    @Override
    public List<MessageMeta> messages() {
        List<MessageMeta> list = new ArrayList<>(view.size());
        boolean anyRecent = !recent.isEmpty();
        for (int i = 0; i < view.size(); i++) {
            list.add(meta(view, i, anyRecent && recent.contains(view.uid(i))));
        }
        return list;
    }

    /** Sizes the view does not know yet are measured once by the folder (and kept in its index). */
    @Override
    public Map<Long, Long> sizes(Collection<Long> uids) throws StoreException {
        checkOpen();
        Map<Long, Long> out = new LinkedHashMap<>();
        for (long uid : uids) {
            MaildirFolder.Entry e = entry(uid);
            if (e == null) {
                continue;
            }
            long size = e.size();
            if (size == MessageMeta.UNKNOWN_SIZE) {
                FolderIndex.Facts f = folder.facts(e.base()); // measured once, kept in the folder's index
                if (f == null) {
                    continue; // gone
                }
                size = f.size();
            }
            out.put(uid, size);
        }
        return out;
    }

    @Override
    public InputStream openMessage(long uid) throws StoreException, IOException {
        checkOpen();
        String base = base(uid);
        InputStream in = base == null ? null : folder.open(base);
        if (in == null) {
            throw new StoreException(Reason.EXPUNGEISSUED, "Message UID " + uid + " has been expunged");
        }
        return MaildirFileName.servedAsStored(base) ? in : new CrlfInputStream(in);
    }

    @Override
    public Map<Long, Set<String>> store(Collection<Long> uids, FlagMode mode, Set<String> flags) throws StoreException {
        checkWritable();
        Map<Long, Set<String>> result = new LinkedHashMap<>();
        for (long uid : new TreeSet<>(uids)) {
            MaildirFolder.Entry seen = entry(uid);
            if (seen == null) {
                continue;
            }
            Set<String> after = folder.changeFlags(seen.base(), mode, flags, deleted -> {
                if (counts()) {
                    // Courier: a message marked \Deleted stops counting, unmarked it counts again
                    long size = Math.max(0, folder.diskSize(seen.base()));
                    owner.quotaFile().add(deleted ? -size : size, deleted ? -1 : 1);
                }
            });
            if (after != null) {
                result.put(uid, Set.copyOf(after));
            }
        }
        return result;
    }

    @Override
    public long append(InputStream message, Set<String> flags, Instant internalDate) throws StoreException, IOException {
        checkWritable();
        try (TmpMessage m = folder.newMessage()) {
            m.write(message);
            return deliver(m, flags, internalDate);
        }
    }

    /**
     * An upload of this mailbox's user is renamed into the folder, not copied; anything else is copied
     * (the SPI's default).
     */
    @Override
    public long append(MessageUpload message, Set<String> flags, Instant internalDate)
            throws StoreException, IOException {
        if (!(message instanceof TmpMessage m) || !owner.owns(m)) {
            return ModSeqMailbox.super.append(message, flags, internalDate);
        }
        checkWritable();
        return deliver(m, flags, internalDate);
    }

    /**
     * Delivers a written message within the user's quota (Maildir++ maildirsize): checked once its
     * size is known, recorded once it is in place. A message that does not count (into Trash, or
     * marked \Deleted) is neither.
     */
    private long deliver(TmpMessage m, Set<String> flags, Instant internalDate) throws StoreException, IOException {
        MaildirQuota quota = owner.quotaFile();
        boolean counted = counts() && flags.stream().noneMatch(f -> Flags.canonical(f).equals(Flags.DELETED));
        long[] size = new long[1];
        long uid = folder.append(m, flags, internalDate == null ? Instant.now() : internalDate, disk -> {
            if (counted) {
                quota.check(disk, 1);
            }
            size[0] = disk;
        });
        if (counted) {
            quota.add(size[0], 1);
        }
        return uid;
    }

    /** Whether this folder's messages count against the quota (all but Trash, as Courier). */
    private boolean counts() {
        return MaildirQuota.counts(owner.root(), folder.dir);
    }

    private static boolean deleted(MaildirFolder.Entry seen) {
        return seen.flags().contains(Flags.DELETED);
    }

    @Override
    public Map<Long, Long> copy(Collection<Long> uids, String target) throws StoreException {
        checkOpen();
        MaildirFolder to = owner.folderForCopy(target);
        List<Long> sources = new ArrayList<>();
        List<String> bases = new ArrayList<>();
        // a copy keeps its flags: one marked \Deleted, or one into Trash, does not count
        boolean targetCounts = MaildirQuota.counts(owner.root(), to.dir);
        long[] sizes = new long[uids.size()];
        long total = 0;
        int counted = 0;
        for (long uid : new TreeSet<>(uids)) {
            MaildirFolder.Entry seen = entry(uid);
            if (seen != null) {
                if (targetCounts && !deleted(seen)) {
                    sizes[sources.size()] = Math.max(0, folder.diskSize(seen.base()));
                    total += sizes[sources.size()];
                    counted++;
                } else {
                    sizes[sources.size()] = -1;
                }
                sources.add(uid);
                bases.add(seen.base());
            }
        }
        MaildirQuota quota = owner.quotaFile();
        quota.check(total, counted);
        List<Long> created = folder.copyTo(to, bases);
        Map<Long, Long> result = new LinkedHashMap<>();
        long added = 0;
        int addedCount = 0;
        for (int i = 0; i < sources.size(); i++) {
            if (created.get(i) != null) {
                result.put(sources.get(i), created.get(i));
                if (sizes[i] >= 0) {
                    added += sizes[i];
                    addedCount++;
                }
            }
        }
        quota.add(added, addedCount);
        return result;
    }

    @Override
    public List<Long> expunge(Collection<Long> uids) throws StoreException {
        checkWritable();
        List<Long> removed = new ArrayList<>();
        for (long uid : new TreeSet<>(uids)) {
            MaildirFolder.Entry seen = entry(uid);
            if (seen == null) {
                continue;
            }
            // only \Deleted messages are removed, and those were taken off the quota when marked
            if (folder.expunge(seen.base())) {
                removed.add(uid);
            }
        }
        return removed;
    }

    @Override
    public Map<Long, Long> move(Collection<Long> uids, String target) throws StoreException {
        checkWritable();
        MaildirFolder to = owner.folderForCopy(target);
        List<Long> sources = new ArrayList<>();
        List<String> bases = new ArrayList<>();
        // Between counted folders a move changes nothing; out of Trash it adds (and is checked, as
        // Maildir++ says), into Trash it removes. Messages marked \Deleted never count.
        int direction = Integer.compare(MaildirQuota.counts(owner.root(), to.dir) ? 1 : 0, counts() ? 1 : 0);
        List<Long> sizes = new ArrayList<>();
        long total = 0;
        int counted = 0;
        for (long uid : new TreeSet<>(uids)) {
            MaildirFolder.Entry seen = entry(uid);
            if (seen != null) {
                sources.add(uid);
                bases.add(seen.base());
                long size = direction == 0 || deleted(seen) ? -1 : Math.max(0, folder.diskSize(seen.base()));
                sizes.add(size);
                if (size >= 0) {
                    total += size;
                    counted++;
                }
            }
        }
        MaildirQuota quota = owner.quotaFile();
        if (direction > 0) {
            quota.check(total, counted);
        }
        List<Long> created = folder.moveTo(to, bases);
        Map<Long, Long> result = new LinkedHashMap<>();
        long moved = 0;
        int movedCount = 0;
        for (int i = 0; i < sources.size(); i++) {
            if (created.get(i) != null) {
                result.put(sources.get(i), created.get(i));
                if (sizes.get(i) >= 0) {
                    moved += sizes.get(i);
                    movedCount++;
                }
            }
        }
        quota.add(direction * moved, direction * movedCount);
        return result;
    }

    @Override
    public Watch watch(Runnable listener) {
        Watch w = folder.addListener(listener);
        watches.add(w);
        return () -> {
            watches.remove(w);
            w.close();
        };
    }

    @Override
    public byte[] cached(long uid, String field) {
        String base = base(uid);
        if (base == null) {
            return null;
        }
        byte[] v = folder.cached(base, field);
        return v == null ? null : v.clone();
    }

    /**
     * The index's own arrays, not copies (store.api 1.7): the index never changes a value in place
     * ({@link FolderIndex} keeps a copy of what {@link #cache} is given and replaces it whole).
     */
    @Override
    public void cachedValues(long[] uids, int count, String field, byte[][] out) {
        for (int i = 0; i < count; i++) {
            String base = base(uids[i]); // the name alone: no Entry (flags, Instant) built per message
            out[i] = base == null ? null : folder.cached(base, field);
        }
    }

    @Override
    public void cache(long uid, String field, byte[] value) {
        String base = base(uid);
        if (base != null) {
            folder.cache(base, field, value);
        }
    }

    /** RFC 8474 5.1; see {@link EmailIds}. THREADID stays NIL (the default): no thread is kept. */
    @Override
    public String emailId(long uid) {
        MaildirFolder.Entry seen = entry(uid);
        return seen == null ? null : folder.emailIds.of(seen.base());
    }

    /**
     * RFC 8514: the second in the message's Maildir name. Posthorn names every message it saves (APPEND,
     * COPY and MOVE alike) anew at that moment, and MDAs name a delivery at delivery, so the name's time
     * is when the message was saved into this folder. A name without a time (not Maildir's
     * {@code SECONDS.UNIQUE.HOST}) has no save date known: left out.
     */
    @Override
    public Map<Long, Instant> saveDates(Collection<Long> uids) {
        Map<Long, Instant> out = new java.util.HashMap<>();
        for (long uid : uids) {
            MaildirFolder.Entry seen = entry(uid);
            if (seen != null) {
                long t = MaildirFileName.deliveryTime(seen.base());
                if (t != Long.MAX_VALUE) {
                    out.put(uid, Instant.ofEpochSecond(t));
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (Watch w : List.copyOf(watches)) {
                w.close();
            }
            watches.clear();
            owner.closed(this);
        }
    }

    private void checkOpen() throws StoreException {
        if (closed) {
            throw new StoreException(Reason.CANNOT, "Mailbox " + name + " is closed");
        }
    }

    private void checkWritable() throws StoreException {
        checkOpen();
        if (readOnly) {
            throw new StoreException(Reason.CANNOT, "Mailbox " + name + " is open read-only");
        }
    }
}
