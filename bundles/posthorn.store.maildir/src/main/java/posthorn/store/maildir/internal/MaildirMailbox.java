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
import java.util.TreeMap;
import java.util.TreeSet;

import posthorn.store.api.Change;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;
import posthorn.store.api.Watch;

/**
 * One session's handle on a Maildir folder. It holds only its view (UID to message as last reported);
 * the shared {@link MaildirFolder} does the disk work. Not thread-safe, as the SPI says.
 */
final class MaildirMailbox implements Mailbox {
    private record Seen(MessageMeta meta, String base) {
    }

    private final MaildirUserMail owner;
    private final MaildirFolder folder;
    private final String name;
    private final boolean readOnly;
    private final TreeMap<Long, Seen> view = new TreeMap<>();
    private long uidValidity;
    private long uidNext;
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
            view.clear();
            synced = false;
            return List.of(new Change.UidValidityChanged(uidValidity));
        }
        uidValidity = snap.uidValidity();
        uidNext = snap.uidNext();
        synced = true;

        Map<Long, MaildirFolder.Entry> now = new LinkedHashMap<>();
        for (MaildirFolder.Entry e : snap.entries()) {
            now.put(e.uid(), e);
        }
        List<Change> expunged = new ArrayList<>();
        List<Change> flagChanges = new ArrayList<>();
        List<Change> added = new ArrayList<>();
        var it = view.entrySet().iterator();
        while (it.hasNext()) {
            var seen = it.next();
            MaildirFolder.Entry e = now.get(seen.getKey());
            if (e == null || !e.base().equals(seen.getValue().base())) {
                expunged.add(new Change.Expunged(seen.getKey()));
                it.remove();
            } else if (!e.flags().equals(seen.getValue().meta().flags())) {
                MessageMeta meta = seen.getValue().meta().withFlags(e.flags());
                seen.setValue(new Seen(meta, e.base()));
                flagChanges.add(new Change.FlagsChanged(e.uid(), meta.flags()));
            }
        }
        for (MaildirFolder.Entry e : snap.entries()) {
            if (!view.containsKey(e.uid())) {
                MessageMeta meta = new MessageMeta(e.uid(), e.flags(), e.size(), e.internalDate(),
                        snap.recent().contains(e.uid()));
                view.put(e.uid(), new Seen(meta, e.base()));
                added.add(new Change.Added(meta));
            }
        }
        List<Change> changes = new ArrayList<>(expunged.size() + flagChanges.size() + added.size());
        changes.addAll(expunged);
        changes.addAll(flagChanges);
        changes.addAll(added);
        return changes;
    }

    @Override
    public List<MessageMeta> messages() {
        List<MessageMeta> list = new ArrayList<>(view.size());
        view.values().forEach(s -> list.add(s.meta()));
        return list;
    }

    /** Sizes the view does not know yet are measured once by the folder (and kept in its index). */
    @Override
    public Map<Long, Long> sizes(Collection<Long> uids) throws StoreException {
        checkOpen();
        Map<Long, Long> out = new LinkedHashMap<>();
        for (long uid : uids) {
            Seen seen = view.get(uid);
            if (seen == null) {
                continue;
            }
            long size = seen.meta().size();
            if (size == MessageMeta.UNKNOWN_SIZE) {
                FolderIndex.Facts f = folder.facts(seen.base());
                if (f == null) {
                    continue; // gone
                }
                size = f.size();
                view.put(uid, new Seen(seen.meta().withSize(size), seen.base()));
            }
            out.put(uid, size);
        }
        return out;
    }

    @Override
    public InputStream openMessage(long uid) throws StoreException, IOException {
        checkOpen();
        Seen seen = view.get(uid);
        InputStream in = seen == null ? null : folder.open(seen.base());
        if (in == null) {
            throw new StoreException(Reason.EXPUNGEISSUED, "Message UID " + uid + " has been expunged");
        }
        return MaildirFileName.servedAsStored(seen.base()) ? in : new CrlfInputStream(in);
    }

    @Override
    public Map<Long, Set<String>> store(Collection<Long> uids, FlagMode mode, Set<String> flags) throws StoreException {
        checkWritable();
        Map<Long, Set<String>> result = new LinkedHashMap<>();
        for (long uid : new TreeSet<>(uids)) {
            Seen seen = view.get(uid);
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
            return Mailbox.super.append(message, flags, internalDate);
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

    private static boolean deleted(Seen seen) {
        return seen.meta().flags().contains(Flags.DELETED);
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
            Seen seen = view.get(uid);
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
            Seen seen = view.get(uid);
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
            Seen seen = view.get(uid);
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
        Seen seen = view.get(uid);
        if (seen == null) {
            return null;
        }
        byte[] v = folder.cached(seen.base(), field);
        return v == null ? null : v.clone();
    }

    @Override
    public void cache(long uid, String field, byte[] value) {
        Seen seen = view.get(uid);
        if (seen != null) {
            folder.cache(seen.base(), field, value);
        }
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
