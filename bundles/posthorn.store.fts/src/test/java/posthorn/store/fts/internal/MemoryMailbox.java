package posthorn.store.fts.internal;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

import posthorn.store.api.Change;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;
import posthorn.store.api.Watch;

/** A mailbox in memory for the index's unit tests: messages by UID, and a count of messages opened. */
final class MemoryMailbox implements Mailbox {
    final String name;
    long uidValidity;
    final ConcurrentSkipListMap<Long, byte[]> messages = new ConcurrentSkipListMap<>();
    final AtomicInteger opened = new AtomicInteger();
    private long next = 1;

    MemoryMailbox(String name, long uidValidity) {
        this.name = name;
        this.uidValidity = uidValidity;
    }

    synchronized long add(String message) {
        long uid = next++;
        messages.put(uid, message.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8));
        return uid;
    }

    synchronized long addBytes(byte[] message) {
        long uid = next++;
        messages.put(uid, message);
        return uid;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    @Override
    public long uidValidity() {
        return uidValidity;
    }

    @Override
    public long uidNext() {
        return next;
    }

    @Override
    public Set<String> keywords() {
        return Set.of();
    }

    @Override
    public List<Change> sync() {
        return List.of();
    }

    @Override
    public List<MessageMeta> messages() {
        List<MessageMeta> out = new ArrayList<>();
        for (Map.Entry<Long, byte[]> e : messages.entrySet()) {
            out.add(new MessageMeta(e.getKey(), Set.of(), e.getValue().length, Instant.EPOCH, false));
        }
        return out;
    }

    @Override
    public InputStream openMessage(long uid) throws StoreException {
        byte[] m = messages.get(uid);
        if (m == null) {
            throw new StoreException(StoreException.Reason.EXPUNGEISSUED, "gone: " + uid);
        }
        opened.incrementAndGet();
        return new ByteArrayInputStream(m);
    }

    @Override
    public Map<Long, Set<String>> store(Collection<Long> uids, FlagMode mode, Set<String> flags) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long append(InputStream message, Set<String> flags, Instant internalDate) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Map<Long, Long> copy(Collection<Long> uids, String target) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Map<Long, Long> move(Collection<Long> uids, String target) {
        throw new UnsupportedOperationException();
    }

    @Override
    public List<Long> expunge(Collection<Long> uids) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Watch watch(Runnable listener) {
        return () -> { };
    }

    @Override
    public byte[] cached(long uid, String field) {
        return null;
    }

    @Override
    public void cache(long uid, String field, byte[] value) {
    }

    @Override
    public void close() {
    }
}
