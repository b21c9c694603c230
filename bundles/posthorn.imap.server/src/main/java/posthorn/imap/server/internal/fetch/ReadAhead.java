package posthorn.imap.server.internal.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

import posthorn.imap.server.internal.mime.Header;
import posthorn.imap.server.internal.mime.MimeCuts;
import posthorn.imap.server.internal.mime.MimePart;
import posthorn.imap.server.internal.mime.Structure;
import posthorn.imap.server.internal.search.SortKeys;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;

/**
 * Derives the cached values of the messages a command is about to go through (FETCH ENVELOPE or
 * BODYSTRUCTURE, the first SORT or THREAD) a bounded number of messages ahead, on virtual threads, so that
 * reading and parsing one message overlaps with the next and with writing the response: cold, a FETCH
 * 1:* (ENVELOPE) is reading and parsing 50,000 headers, which is what lags. The values land in the store's
 * cache before the command reaches the message ({@link #prepare}), where {@link FetchRenderer} and
 * {@link DerivedCache#sortKeys} find them as if derived earlier; a message not read ahead (cached already,
 * too big, expunged, or a failure) is left to them, so this changes what is computed where, never what is
 * answered.
 *
 * <p>Threading: the {@link Mailbox} is touched only on the session's thread, as the SPI requires (the
 * store opens each message there); a worker gets the open stream, reads it, closes it and parses the
 * bytes into response bytes, with no shared state. At most {@link #WINDOW} messages are in flight, each
 * at most {@link #MAX_TEXT} bytes when the whole text is read (BODYSTRUCTURE), so the memory held is
 * bounded. {@link #close} waits for the workers, which close their streams whatever happens.
 */
public final class ReadAhead implements AutoCloseable {
    /** Messages in flight at most. */
    static final int WINDOW = 32;
    /** Bigger messages are left to be read on the session's thread (they are not where the time goes). */
    static final long MAX_TEXT = 1 << 20;


    /** What a worker derived; null fields were not asked for (the sort keys only for SORT and THREAD: see DerivedCache). */
    private record Values(long uid, byte[] envelope, byte[] sortKeys, byte[] structure, String cut) {
    }

    private record Pending(int index, long size, Future<Values> result) {
    }

    /** What the command needs of each message; the other values of the same read come along. */
    public enum Need {
        /** ENVELOPE (FETCH): the header is read. */
        ENVELOPE,
        /** The sort keys (SORT, THREAD): the header is read. */
        SORT_KEYS,
        /** BODY or BODYSTRUCTURE (FETCH): the whole text is read. */
        BODY,
        /** BODYSTRUCTURE (FETCH): the whole text is read. */
        BODYSTRUCTURE
    }

    /** After this many messages in a row with nothing to derive the mailbox is taken as warm ... */
    private static final int WARM_RUN = 64;
    /** ... and this many are passed without looking before looking again. */
    private static final int WARM_SKIP = 4096;

    private final Mailbox box;
    /** The message at each index of the command's order, built when the read-ahead looks at it. */
    private final IntFunction<MessageMeta> order;
    private final int count;
    private final Need need;
    private final boolean structure;
    private final boolean extensible;
    private int cachedRun;
    private final String structureField;
    private final MimeCuts cuts;
    private final ArrayDeque<Pending> inFlight = new ArrayDeque<>();
    /** The bytes the messages in flight may take at most (their sizes), and what they may take now. */
    private final long budget;
    private long held;
    private ExecutorService workers;
    private int next;

    /**
     * @param order the messages in the order the command goes through them
     * @param cuts  the command's MIME bounds; cuts are noted on the session's thread
     * @param budget bytes of messages in flight at most (imapd.cfg fetch.readahead.kb); 0 = no read-ahead
     */
    public ReadAhead(Mailbox box, MessageMeta[] order, Need need, MimeCuts cuts, long budget) {
        this(box, order.length, i -> order[i], need, cuts, budget);
    }

    /**
     * As {@link #ReadAhead(Mailbox, MessageMeta[], Need, MimeCuts, long)}, with the messages given by
     * their index in the command's order ({@code 0} to {@code count - 1}): a warm mailbox is mostly
     * skipped, so the message of an index is asked for only when it is looked at.
     */
    public ReadAhead(Mailbox box, int count, IntFunction<MessageMeta> order, Need need, MimeCuts cuts, long budget) {
        this.box = box;
        this.budget = budget;
        this.count = count;
        this.order = order;
        this.need = need;
        this.structure = need == Need.BODY || need == Need.BODYSTRUCTURE;
        this.extensible = need == Need.BODYSTRUCTURE;
        this.structureField = DerivedCache.structureField(extensible ? DerivedCache.BODYSTRUCTURE : DerivedCache.BODY,
                cuts.limits());
        this.cuts = cuts;
    }

    /**
     * Called on the session's thread before the command reaches {@code order[index]}, for every index
     * in ascending order: caches that message's values if they were read ahead, and keeps the window
     * ahead of it filled.
     */
    public void prepare(int index) throws IOException {
        if (next <= index) {
            next = index;
        }
        fill(index);
        while (!inFlight.isEmpty() && inFlight.peekFirst().index() <= index) {
            Pending p = inFlight.pollFirst();
            held -= p.size();
            store(p);
        }
    }

    private void fill(int index) throws IOException {
        while (budget > 0 && next < count && next <= index + WINDOW && inFlight.size() < WINDOW) {
            MessageMeta m = order.apply(next);
            if (!wanted(m)) {
                next++;
                if (++cachedRun >= WARM_RUN) {
                    cachedRun = 0;
                    next = Math.min(count, next + WARM_SKIP); // warm: leave these to the command
                }
                continue;
            }
            cachedRun = 0;
            long size = m.size();
            if (size > MAX_TEXT) {
                next++;
                continue;
            }
            if (held + size > budget && !inFlight.isEmpty()) {
                return; // full: the next call goes on from here
            }
            int i = next++;
            InputStream in;
            try {
                in = box.openMessage(m.uid());
            } catch (StoreException e) {
                continue; // expunged meanwhile, or the store failed: the renderer answers for it
            }
            if (workers == null) {
                workers = Executors.newVirtualThreadPerTaskExecutor();
            }
            held += size;
            inFlight.addLast(new Pending(i, size, workers.submit(() -> derive(m, in))));
        }
    }

    /** Whether the message has something to derive that is small enough to hold. */
    private boolean wanted(MessageMeta m) {
        return switch (need) {
            case BODY, BODYSTRUCTURE -> box.cached(m.uid(), structureField) == null;
            case ENVELOPE -> box.cached(m.uid(), DerivedCache.ENVELOPE) == null;
            case SORT_KEYS -> !SortKeys.valid(box.cached(m.uid(), DerivedCache.SORTKEYS));
        };
    }

    /** On a worker: reads and closes the stream, derives the values. */
    private Values derive(MessageMeta meta, InputStream stream) throws IOException {
        byte[] bytes;
        try (InputStream in = stream) {
            bytes = structure ? in.readAllBytes() : MimePart.readHeader(in);
        }
        if (structure) {
            MimePart root = MimePart.parse(bytes, cuts.limits());
            return new Values(meta.uid(), Structure.envelope(root.header()), null,
                    Structure.bodyStructure(bytes, root, extensible), root.cut());
        }
        Header h = MimePart.parseHeader(bytes, bytes.length);
        if (need == Need.ENVELOPE) {
            return new Values(meta.uid(), Structure.envelope(h), null, null, null);
        }
        Structure.Addresses a = Structure.Addresses.of(h);
        return new Values(meta.uid(), Structure.envelope(h, a), SortKeys.of(meta, h, a).encode(), null, null);
    }

    /** On the session's thread: waits for one message's values and caches what is missing. */
    private void store(Pending p) throws IOException {
        Values v;
        try {
            v = p.result().get();
        } catch (InterruptedException e) {
            java.lang.Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading ahead", e);
        } catch (ExecutionException e) {
            return; // a read failed (the file vanished, say): the renderer reads it again and answers for it
        }
        if (v.structure() != null) {
            box.cache(v.uid(), structureField, v.structure());
            if (v.cut() != null) {
                cuts.note(v.uid(), v.cut());
            }
        }
        if (box.cached(v.uid(), DerivedCache.ENVELOPE) == null) {
            box.cache(v.uid(), DerivedCache.ENVELOPE, v.envelope());
        }
        if (v.sortKeys() != null && !SortKeys.valid(box.cached(v.uid(), DerivedCache.SORTKEYS))) {
            box.cache(v.uid(), DerivedCache.SORTKEYS, v.sortKeys());
        }
    }

    /** Waits for the workers still running (each closes its stream) and drops what they derived. */
    @Override
    public void close() {
        if (workers != null) {
            workers.close();
        }
        inFlight.clear();
    }
}
