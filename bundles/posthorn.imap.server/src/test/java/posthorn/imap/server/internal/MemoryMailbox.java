package posthorn.imap.server.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import posthorn.store.api.Change;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;
import posthorn.store.api.Watch;

/**
 * One session's handle on a {@link MemoryFolder}: its view is the messages as its last sync reported
 * them, and operations reach only those. Not thread-safe, as the SPI says.
 */
final class MemoryMailbox implements posthorn.store.api.ModSeqMailbox {
    private final MemoryUserMail owner;
    private final MemoryFolder folder;
    private final String name;
    private final boolean readOnly;
    private final TreeMap<Long, MessageMeta> view = new TreeMap<>();
    /** MODSEQs of the view, as of the last sync. */
    private final Map<Long, Long> modSeqs = new java.util.HashMap<>();
    private long highestModSeq;
    private final List<Runnable> watches = new ArrayList<>();
    private volatile boolean closed;

    MemoryMailbox(MemoryUserMail owner, MemoryFolder folder, String name, boolean readOnly) {
        this.owner = owner;
        this.folder = folder;
        this.name = name;
        this.readOnly = readOnly;
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
        return folder.uidValidity;
    }

    @Override
    public long uidNext() {
        return folder.uidNext();
    }

    @Override
    public Set<String> keywords() {
        return folder.keywords();
    }

    @Override
    public List<Change> sync() throws StoreException {
        checkOpen();
        MemoryFolder.Snapshot now = folder.sync(!readOnly, view.keySet());
        Map<Long, MemoryFolder.Message> current = new TreeMap<>();
        modSeqs.clear();
        for (MemoryFolder.Message m : now.messages()) {
            current.put(m.uid, m);
            modSeqs.put(m.uid, m.modseq);
        }
        highestModSeq = now.highestModSeq();
        List<Change> expunged = new ArrayList<>();
        List<Change> flagChanges = new ArrayList<>();
        List<Change> added = new ArrayList<>();
        var it = view.entrySet().iterator();
        while (it.hasNext()) {
            var seen = it.next();
            MemoryFolder.Message m = current.get(seen.getKey());
            if (m == null) {
                expunged.add(new Change.Expunged(seen.getKey()));
                it.remove();
            } else if (!m.flags.equals(seen.getValue().flags())) {
                seen.setValue(seen.getValue().withFlags(m.flags));
                flagChanges.add(new Change.FlagsChanged(m.uid, m.flags));
            }
        }
        for (MemoryFolder.Message m : current.values()) {
            if (!view.containsKey(m.uid)) {
                MessageMeta meta = new MessageMeta(m.uid, m.flags,
                        owner.account().lazySizes ? MessageMeta.UNKNOWN_SIZE : m.text.length, m.internalDate,
                        now.recent().contains(m.uid));
                view.put(m.uid, meta);
                added.add(new Change.Added(meta));
            }
        }
        List<Change> changes = new ArrayList<>(expunged);
        changes.addAll(flagChanges);
        changes.addAll(added);
        return changes;
    }

    @Override
    public long highestModSeq() {
        return owner.account().noModSeq ? NOMODSEQ : highestModSeq;
    }

    @Override
    public long modSeq(long uid) {
        return owner.account().noModSeq ? 0 : modSeqs.getOrDefault(uid, 0L);
    }

    @Override
    public long[] expungedSince(long modSeq) {
        return folder.expungedSince(modSeq, highestModSeq);
    }

    @Override
    public List<MessageMeta> messages() {
        return List.copyOf(view.values());
    }

    @Override
    public Map<Long, Long> sizes(Collection<Long> uids) throws StoreException {
        checkOpen();
        Map<Long, Long> out = new java.util.LinkedHashMap<>();
        for (long uid : uids) {
            MessageMeta seen = view.get(uid);
            MemoryFolder.Message m = seen == null ? null : folder.message(uid);
            if (m != null) {
                if (seen.size() == MessageMeta.UNKNOWN_SIZE) {
                    owner.account().sizesMeasured.incrementAndGet();
                }
                out.put(uid, (long) m.text.length);
            }
        }
        return out;
    }

    @Override
    public InputStream openMessage(long uid) throws StoreException, IOException {
        checkOpen();
        MemoryFolder.Message m = view.containsKey(uid) ? folder.message(uid) : null;
        if (m == null) {
            throw new StoreException(Reason.EXPUNGEISSUED, "Message UID " + uid + " has been expunged");
        }
        return new ByteArrayInputStream(m.text);
    }

    @Override
    public Map<Long, Set<String>> store(Collection<Long> uids, FlagMode mode, Set<String> flags) throws StoreException {
        checkWritable();
        return folder.store(inView(uids), mode, flags);
    }

    @Override
    public long append(InputStream message, Set<String> flags, Instant internalDate) throws StoreException, IOException {
        checkWritable();
        byte[] text = message.readAllBytes();
        MemoryAccount account = owner.account();
        if (account.bytes() + text.length > account.quotaBytes) {
            throw new StoreException(Reason.OVERQUOTA, "Over quota: " + account.quotaBytes + " bytes");
        }
        return folder.add(text, flags, internalDate == null ? Instant.now() : internalDate);
    }

    /** Reads the upload into memory, where this store keeps its messages; the upload is then spent. */
    @Override
    public long append(MessageUpload message, Set<String> flags, Instant internalDate) throws StoreException, IOException {
        long uid;
        try (InputStream in = message.open()) {
            uid = append(in, flags, internalDate);
        }
        message.close();
        return uid;
    }

    @Override
    public Map<Long, Long> copy(Collection<Long> uids, String target) throws StoreException {
        checkOpen();
        return folder.transfer(inView(uids), owner.account().target(target), false);
    }

    @Override
    public Map<Long, Long> move(Collection<Long> uids, String target) throws StoreException {
        checkWritable();
        return folder.transfer(inView(uids), owner.account().target(target), true);
    }

    @Override
    public List<Long> expunge(Collection<Long> uids) throws StoreException {
        checkWritable();
        return folder.expunge(inView(uids));
    }

    @Override
    public Watch watch(Runnable listener) {
        Runnable stop = folder.listen(listener);
        synchronized (watches) {
            watches.add(stop);
        }
        return () -> {
            synchronized (watches) {
                watches.remove(stop);
            }
            stop.run();
        };
    }

    @Override
    public byte[] cached(long uid, String field) {
        return view.containsKey(uid) ? folder.cached(uid, field) : null;
    }

    @Override
    public void cache(long uid, String field, byte[] value) {
        if (view.containsKey(uid)) {
            folder.cache(uid, field, value);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Runnable> stops;
        synchronized (watches) {
            stops = List.copyOf(watches);
            watches.clear();
        }
        stops.forEach(Runnable::run);
        owner.closed(this);
    }

    private List<Long> inView(Collection<Long> uids) {
        return uids.stream().filter(view::containsKey).toList();
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
