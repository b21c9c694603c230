package posthorn.imap.server.internal.state;

import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;

import posthorn.store.api.Change;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Mailbox;
import posthorn.store.api.StoreException;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.Watch;

/**
 * A store handle whose sync() returns what the test scripted, in turn: enough to drive the
 * session's view of a mailbox without a store. Everything else the view does not use is refused.
 */
public final class ScriptedMailbox implements Mailbox {
    private final String name;
    private final boolean readOnly;
    private final Deque<List<Change>> syncs = new ArrayDeque<>();
    /** Thrown by the sync after the scripted ones, when set: the store failing. */
    private StoreException failure;
    public boolean closed;

    public ScriptedMailbox(String name, boolean readOnly) {
        this.name = name;
        this.readOnly = readOnly;
    }

    /** A message as the store first reports it. */
    public static MessageMeta message(long uid, boolean recent, String... flags) {
        return new MessageMeta(uid, Set.of(flags), 100 + uid, Instant.ofEpochSecond(1_700_000_000L + uid), recent);
    }

    /** The messages the first sync reports, as Added, in order. */
    public ScriptedMailbox holding(MessageMeta... messages) {
        List<Change> added = new ArrayList<>();
        for (MessageMeta m : messages) {
            added.add(new Change.Added(m));
        }
        syncs.add(added);
        return this;
    }

    /** What the next sync not yet scripted returns. */
    public ScriptedMailbox then(Change... changes) {
        syncs.add(List.of(changes));
        return this;
    }

    /** Once the scripted syncs are used up, every further sync throws this. */
    public ScriptedMailbox thenFails(StoreException e) {
        failure = e;
        return this;
    }

    @Override
    public List<Change> sync() throws StoreException {
        if (syncs.isEmpty() && failure != null) {
            throw failure;
        }
        return syncs.isEmpty() ? List.of() : syncs.poll();
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
        return 1;
    }

    @Override
    public long uidNext() {
        return 1000;
    }

    @Override
    public Set<String> keywords() {
        return Set.of();
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public List<MessageMeta> messages() {
        throw new UnsupportedOperationException();
    }

    @Override
    public InputStream openMessage(long uid) {
        throw new UnsupportedOperationException();
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
        throw new UnsupportedOperationException();
    }

    @Override
    public byte[] cached(long uid, String field) {
        return null;
    }

    @Override
    public void cache(long uid, String field, byte[] value) {
    }
}
