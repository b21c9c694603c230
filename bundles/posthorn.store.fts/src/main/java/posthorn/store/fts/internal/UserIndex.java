package posthorn.store.fts.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongPredicate;
import java.util.stream.Stream;

import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.CollectorManager;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.SimpleCollector;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.LockObtainFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;
import posthorn.store.api.search.TextTerm;

/**
 * One user's Lucene index: a document per message, keyed by mailbox name, UIDVALIDITY and UID, with
 * the trigram fields {@code body} (text parts) and {@code head} (header lines and values), and a
 * {@code partial} mark on messages not read whole. Derived only: it is brought up to date from the
 * mailbox before each answer, and thrown away and rebuilt when Lucene finds it damaged.
 *
 * <p>Threading: every method holds this object's lock, a fair one, so sessions of one user and the
 * background indexer take turns in arrival order (one IndexWriter per index is Lucene's rule, and it
 * also holds the index's write.lock against other processes). The background indexer holds it for one
 * slice at a time ({@link #background}) and gives way after the message it is reading as soon as
 * another thread waits, so a search waits for one message (and a refresh), not a slice. Files: the
 * directory is 0700 and every file in it is made 0600 after each commit, whatever the umask.
 *
 * <p>Invariant: a UID is in {@link #boxes} only once its document is visible to {@link #searchers}
 * (after a refresh), so a search never takes a message for indexed that its searcher cannot find.
 * What is committed is what a restart finds: {@link #boxes} is rebuilt from the committed documents.
 */
final class UserIndex implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UserIndex.class);
    private static final FieldType TRIGRAMS = new FieldType();
    static {
        TRIGRAMS.setIndexOptions(IndexOptions.DOCS);
        TRIGRAMS.setTokenized(true);
        TRIGRAMS.setOmitNorms(true);
        TRIGRAMS.setStored(false);
        TRIGRAMS.freeze();
    }
    /** Documents added between two commits while catching up, so a long first build keeps its progress. */
    private static final int COMMIT_EVERY = 5000;
    /** At most this long between commits while documents wait uncommitted (a crash loses no more). */
    private static final long COMMIT_NANOS = 10_000_000_000L;

    private final String user;
    private final Path dir;
    private final MessageText.Limits limits;
    /** How long one search may spend reading new messages into the index; the rest stay candidates. */
    private final long budgetNanos;
    private IndexWriter writer;
    private SearcherManager searchers;
    /** Per mailbox name: its UIDVALIDITY and the UIDs in the index, ascending. */
    private final Map<String, Box> boxes = new HashMap<>();
    private boolean closed;
    /** Fair: a search waiting for the lock gets it before the background indexer's next slice. */
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock(true);
    private final Counters counters;
    /** Documents added or deleted since the last commit, and when that commit was. Under the lock. */
    private int uncommitted;
    private long lastCommit = System.nanoTime();
    /** What the index held at its last commit, for the metrics page (read without the lock). */
    private volatile long documents;
    private volatile long bytes;
    /** Reused for every document; two, as Lucene reads a document's fields one after the other. */
    private final DistinctTrigrams bodyTrigrams = new DistinctTrigrams();
    private final DistinctTrigrams headTrigrams = new DistinctTrigrams();

    private record Box(long uidValidity, long[] uids) {
    }

    /**
     * Unindexed messages a search indexes itself while a background indexer is on: past this many it
     * indexes none and reads them all, which costs about half as much as indexing each (the
     * profiles in BENCHMARKS.md, 2026-12-07), and leaves the indexing to the background. -1: no such
     * limit (no background indexer: a search is the only one that indexes).
     */
    private final int inlineMax;
    /**
     * Searches of this user now reading messages the index lacks (see {@link Reading}); the background
     * indexer holds back while there are any, until {@link #readingUntil} at the latest, so that it
     * does not read the same messages again on the other core while the search waits for them.
     * Guarded by {@link #readers}' monitor for waits; counted atomically.
     */
    private final java.util.concurrent.atomic.AtomicInteger reading = new java.util.concurrent.atomic.AtomicInteger();
    private final Object readers = new Object();
    private volatile long readingUntil;
    /** How long the background holds back for one search at most, per unindexed message and in all. */
    private static final long HOLD_NANOS_PER_MESSAGE = 20_000_000L;
    private static final long HOLD_NANOS_MIN = 10_000_000_000L;
    private static final long HOLD_NANOS_MAX = 600_000_000_000L;

    /** What one catch-up did: the UIDs now indexed, ascending; how many it added; how many it left. */
    private record CatchUp(long[] indexed, int added, int left) {
    }

    UserIndex(String user, Path dir, MessageText.Limits limits, long budgetMillis, Counters counters) {
        this(user, dir, limits, budgetMillis, -1, counters);
    }

    /** With {@code inlineMax} >= 0 when a background indexer keeps this index up to date (see the field). */
    UserIndex(String user, Path dir, MessageText.Limits limits, long budgetMillis, int inlineMax, Counters counters) {
        this.inlineMax = inlineMax;
        this.counters = counters;
        this.user = user;
        this.dir = dir;
        this.limits = limits;
        this.budgetNanos = budgetMillis * 1_000_000;
    }

    /**
     * The candidates for {@code terms} in {@code mailbox}, the index first brought up to date with the
     * handle's view; null when no term can narrow, or when the index cannot be used (then the caller
     * scans, and a damaged index is wiped to be rebuilt at the next search). When the answer leaves
     * messages unindexed for the caller to read, it is a {@link Reading}, which the caller closes when
     * it has read them; the background indexer of this user holds back until then.
     */
    LongPredicate candidates(Mailbox mailbox, List<TextTerm> terms) {
        Query narrowing = Queries.of(terms);
        if (narrowing == null) {
            return null;
        }
        lock.lock();
        try {
            if (closed) {
                return null;
            }
            open();
            String name = mailbox.name();
            long uv = mailbox.uidValidity();
            long started = System.nanoTime();
            CatchUp done = catchUp(mailbox, name, uv, budgetNanos, inlineMax, () -> true, "search");
            long[] indexed = done.indexed();
            long[] hits = search(new BooleanQuery.Builder()
                    .add(new TermQuery(new Term("box", boxKey(name, uv))), Occur.FILTER)
                    .add(new BooleanQuery.Builder()
                            .add(narrowing, Occur.SHOULD)
                            .add(new TermQuery(new Term("partial", "1")), Occur.SHOULD)
                            .build(), Occur.FILTER)
                    .build());
            counters.searchIndexed.add(done.added());
            counters.searchUnindexed.add(done.left());
            // What this search cost the index: messages it read into the index itself (indexed_now),
            // and those the server reads because they are not indexed yet (unindexed).
            LOG.info("event=fts.search user={} mailbox=\"{}\" indexed_now={} unindexed={} candidates={} ms={}", user,
                    name, done.added(), done.left(), hits.length, (System.nanoTime() - started) / 1_000_000);
            if (done.left() > 0) {
                return new Reading(hits, indexed, done.left());
            }
            // A UID not in the index (arrived since, vanished while read) is a candidate.
            return uid -> Arrays.binarySearch(hits, uid) >= 0 || Arrays.binarySearch(indexed, uid) < 0;
        } catch (IOException | RuntimeException | InternalError e) {
            unusable(e);
            return null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * One slice of background indexing: brings the index closer to {@code mailbox}'s view, adding new
     * messages for at most {@code sliceNanos} or until {@code keepGoing} says stop, then releases the
     * lock. The handle belongs to the caller (the background indexer's own, read-only).
     *
     * @return true if messages of the view are still not indexed (call again), false when done or
     *         when the index cannot be used (closed, locked by another process, damaged and wiped)
     */
    boolean background(Mailbox mailbox, long sliceNanos, java.util.function.BooleanSupplier keepGoing) {
        awaitReaders(keepGoing);
        lock.lock();
        try {
            if (closed || !keepGoing.getAsBoolean()) {
                return false;
            }
            open();
            // Gives way between two messages as soon as a search (or another caller) waits for the lock.
            CatchUp done = catchUp(mailbox, mailbox.name(), mailbox.uidValidity(), sliceNanos, -1,
                    () -> keepGoing.getAsBoolean() && !lock.hasQueuedThreads() && !holdingBack(), "background");
            counters.backgroundIndexed.add(done.added());
            return done.left() > 0 && keepGoing.getAsBoolean();
        } catch (IOException | RuntimeException | InternalError e) {
            unusable(e);
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The index could not be used: locked by another process (left alone; this caller does without),
     * or damaged (thrown away, rebuilt by the next caller). InternalError: a fault reading a mapped
     * file that was cut short under the index. Under the lock.
     */
    private void unusable(Throwable e) {
        if (e instanceof LockObtainFailedException) {
            LOG.warn("event=fts.locked user={} dir={} reason=\"{}\"", user, dir, e.getMessage());
            return;
        }
        LOG.warn("event=fts.damaged user={} dir={} action=rebuild reason=\"{}\"", user, dir, e.toString());
        wipe();
    }

    private void open() throws IOException {
        if (writer != null) {
            return;
        }
        createDirectories(dir);
        IndexWriterConfig cfg = new IndexWriterConfig(new TrigramAnalyzer())
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                .setRAMBufferSizeMB(32)
                .setCommitOnClose(false);
        OwnerOnlyDirectory d = new OwnerOnlyDirectory(FSDirectory.open(dir));
        try {
            writer = new IndexWriter(d, cfg);
            String built = null;
            Iterable<java.util.Map.Entry<String, String>> data = writer.getLiveCommitData();
            if (data != null) {
                for (java.util.Map.Entry<String, String> e : data) {
                    if (e.getKey().equals("fold")) {
                        built = e.getValue();
                    }
                }
            }
            if (!Fold.VERSION.equals(built) && writer.getDocStats().numDocs > 0) {
                // built with another text normalisation: its trigrams would miss true matches
                LOG.info("event=fts.rebuild user={} dir={} reason=\"normalisation {} is not {}\"", user, dir,
                        built, Fold.VERSION);
                writer.deleteAll();
            }
            writer.setLiveCommitData(java.util.Map.of("fold", Fold.VERSION).entrySet());
            searchers = new SearcherManager(writer, true, false, null);
            documents = writer.getDocStats().numDocs;
        } catch (IOException | RuntimeException e) {
            closeQuietly();
            d.close();
            throw e;
        }
    }

    /**
     * Adds what the view has and the index lacks, for at most {@code budget} nanoseconds and while
     * {@code keepGoing}; drops what the view no longer has. A UID above the view's newest (beyond its
     * horizon: arrived after the handle's last sync, indexed through a newer handle) is kept, so that
     * handles synced at different times do not undo each other's work.
     */
    private CatchUp catchUp(Mailbox mailbox, String name, long uv, long budget, int addAtMost,
                            java.util.function.BooleanSupplier keepGoing, String by) throws IOException {
        Box box = boxes.get(name);
        if (box == null || box.uidValidity() != uv) {
            // Another UIDVALIDITY's documents of this name are for messages that no longer exist.
            writer.deleteDocuments(new BooleanQuery.Builder()
                    .add(new TermQuery(new Term("name", name)), Occur.FILTER)
                    .add(new TermQuery(new Term("box", boxKey(name, uv))), Occur.MUST_NOT)
                    .build());
            searchers.maybeRefreshBlocking();
            box = new Box(uv, search(new TermQuery(new Term("box", boxKey(name, uv)))));
            boxes.put(name, box);
        }
        List<MessageMeta> view = mailbox.messages();
        long[] present = new long[view.size()];
        for (int i = 0; i < present.length; i++) {
            present[i] = view.get(i).uid();
        }
        Arrays.sort(present);
        long horizon = Math.max(present.length == 0 ? 0 : present[present.length - 1], mailbox.uidNext() - 1);
        long[] have = box.uids();
        if (addAtMost >= 0 && missing(present, have) > addAtMost) {
            budget = 0; // too many to index in line: all are read by the caller, indexed by the background
        }
        int deleted = 0;
        int added = 0;
        int left = 0;
        long started = System.nanoTime();
        long[] next = new long[present.length + have.length];
        int n = 0;
        int i = 0;
        int j = 0;
        String key = boxKey(name, uv);
        while (i < have.length || j < present.length) {
            if (j >= present.length || (i < have.length && have[i] < present[j])) {
                if (have[i] > horizon) {
                    next[n++] = have[i]; // newer than this view: another handle's, kept
                } else {
                    writer.deleteDocuments(new Term("id", key + "\u0000" + have[i]));
                    deleted++;
                }
                i++;
            } else if (i >= have.length || present[j] < have[i]) {
                // Past the budget, a new message is left for later: it is a candidate.
                if (left == 0 && System.nanoTime() - started < budget && keepGoing.getAsBoolean()) {
                    if (add(mailbox, name, key, present[j])) {
                        next[n++] = present[j];
                        added++;
                        if (++uncommitted >= COMMIT_EVERY) {
                            commit();
                        }
                    }
                } else {
                    left++;
                }
                j++;
            } else {
                next[n++] = present[j];
                i++;
                j++;
            }
        }
        uncommitted += deleted;
        long[] indexed = Arrays.copyOf(next, n);
        Arrays.sort(indexed);
        if (added + deleted > 0) {
            // Visible to the searcher before the UIDs count as indexed (the invariant above); durable
            // when this mailbox is done, every COMMIT_EVERY documents, or after COMMIT_NANOS.
            if (left == 0 || uncommitted >= COMMIT_EVERY || System.nanoTime() - lastCommit >= COMMIT_NANOS) {
                commit();
            } else {
                searchers.maybeRefreshBlocking();
            }
            LOG.info("event=fts.update user={} mailbox=\"{}\" by={} changes={} indexed={} pending={} ms={}", user, name,
                    by, added + deleted, indexed.length, left, (System.nanoTime() - started) / 1_000_000);
        } else if (uncommitted > 0 && left == 0) {
            commit();
        }
        boxes.put(name, new Box(uv, indexed));
        return new CatchUp(indexed, added, left);
    }

    /** How many of {@code present} are not in {@code have} (both ascending). */
    private static int missing(long[] present, long[] have) {
        int n = 0;
        int i = 0;
        for (long uid : present) {
            while (i < have.length && have[i] < uid) {
                i++;
            }
            if (i >= have.length || have[i] != uid) {
                n++;
            }
        }
        return n;
    }

    /** True while a search reads messages of this user that the index lacks (and not for too long). */
    private boolean holdingBack() {
        return reading.get() > 0 && System.nanoTime() - readingUntil < 0;
    }

    /**
     * Waits, without the index's lock, while a search reads unindexed messages of this user (see
     * {@link #reading}); looks at {@code keepGoing} every 200 ms so that a stop is not delayed.
     */
    private void awaitReaders(java.util.function.BooleanSupplier keepGoing) {
        synchronized (readers) {
            while (holdingBack() && keepGoing.getAsBoolean()) {
                long left = (readingUntil - System.nanoTime()) / 1_000_000;
                try {
                    readers.wait(Math.max(1, Math.min(200, left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * A search's candidates when it left {@code left} messages unindexed for the server to read: while
     * it is open, the background indexer of this user holds back (until a deadline that grows with
     * {@code left}, in case a caller never closes it). Closing twice is harmless.
     */
    final class Reading implements LongPredicate, AutoCloseable {
        private final long[] hits;
        private final long[] indexed;
        private final java.util.concurrent.atomic.AtomicBoolean open = new java.util.concurrent.atomic.AtomicBoolean(true);

        Reading(long[] hits, long[] indexed, int left) {
            this.hits = hits;
            this.indexed = indexed;
            long hold = Math.min(HOLD_NANOS_MAX, Math.max(HOLD_NANOS_MIN, left * HOLD_NANOS_PER_MESSAGE));
            long until = System.nanoTime() + hold;
            synchronized (readers) {
                if (reading.getAndIncrement() == 0 || until - readingUntil > 0) {
                    readingUntil = until;
                }
            }
        }

        /** A UID not in the index (not indexed yet, arrived since, vanished while read) is a candidate. */
        @Override
        public boolean test(long uid) {
            return Arrays.binarySearch(hits, uid) >= 0 || Arrays.binarySearch(indexed, uid) < 0;
        }

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) {
                synchronized (readers) {
                    reading.decrementAndGet();
                    readers.notifyAll();
                }
            }
        }
    }

    /** Searches reading unindexed messages now (for tests). */
    int readingNow() {
        return reading.get();
    }

    /** Indexes one message; false if it vanished meanwhile (then it is no candidate the index knows of). */
    private boolean add(Mailbox mailbox, String name, String key, long uid) throws IOException {
        Document doc = new Document();
        doc.add(new StringField("id", key + "\u0000" + uid, Field.Store.NO));
        doc.add(new StringField("box", key, Field.Store.NO));
        doc.add(new StringField("name", name, Field.Store.NO));
        doc.add(new NumericDocValuesField("uid", uid));
        MessageText text;
        try (InputStream in = mailbox.openMessage(uid)) {
            text = MessageText.read(in, limits);
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.EXPUNGEISSUED) {
                return false;
            }
            text = null;
            LOG.warn("event=fts.unreadable user={} mailbox=\"{}\" uid={} reason=\"{}\"", user, name, uid, e.getMessage());
        } catch (IOException | UncheckedIOException e) {
            text = null;
            LOG.warn("event=fts.unreadable user={} mailbox=\"{}\" uid={} reason=\"{}\"", user, name, uid, e.toString());
        }
        if (text == null || text.partial) {
            // Not read whole: a candidate for every search, so the server reads it.
            doc.add(new StringField("partial", "1", Field.Store.NO));
            if (text != null) {
                LOG.info("event=fts.partial user={} mailbox=\"{}\" uid={} reason=\"{}\"", user, name, uid, text.cut);
            }
        }
        if (text != null) {
            // One field value a name, each distinct trigram once (see DistinctTrigrams).
            doc.add(new Field("body", bodyTrigrams.of(text.bodies), TRIGRAMS));
            doc.add(new Field("head", headTrigrams.of(text.heads), TRIGRAMS));
        }
        writer.addDocument(doc);
        return true;
    }

    private void commit() throws IOException {
        writer.commit();
        uncommitted = 0;
        lastCommit = System.nanoTime();
        searchers.maybeRefreshBlocking();
        ownerOnly();
        documents = writer.getDocStats().numDocs;
    }

    /** Documents in the index at its last commit (for the metrics page, without the lock). */
    long committedDocuments() {
        return documents;
    }

    /** Bytes of the index's files at its last commit. */
    long bytes() {
        return bytes;
    }

    /** The UIDs of the documents that match, ascending. */
    private long[] search(Query q) throws IOException {
        IndexSearcher s = searchers.acquire();
        try {
            return s.search(q, new CollectorManager<UidCollector, long[]>() {
                @Override
                public UidCollector newCollector() {
                    return new UidCollector();
                }

                @Override
                public long[] reduce(java.util.Collection<UidCollector> collectors) {
                    long[] all = new long[0];
                    for (UidCollector c : collectors) {
                        long[] more = Arrays.copyOf(c.uids, c.n);
                        long[] merged = Arrays.copyOf(all, all.length + more.length);
                        System.arraycopy(more, 0, merged, all.length, more.length);
                        all = merged;
                    }
                    Arrays.sort(all);
                    return all;
                }
            });
        } finally {
            searchers.release(s);
        }
    }

    private static final class UidCollector extends SimpleCollector {
        private NumericDocValues values;
        long[] uids = new long[64];
        int n;

        @Override
        protected void doSetNextReader(LeafReaderContext context) throws IOException {
            values = DocValues.getNumeric(context.reader(), "uid");
        }

        @Override
        public void collect(int doc) throws IOException {
            if (values.advanceExact(doc)) {
                if (n == uids.length) {
                    uids = Arrays.copyOf(uids, n * 2);
                }
                uids[n++] = values.longValue();
            }
        }

        @Override
        public ScoreMode scoreMode() {
            return ScoreMode.COMPLETE_NO_SCORES;
        }
    }

    static String boxKey(String name, long uidValidity) {
        return uidValidity + "/" + name;
    }

    boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Number of documents, for tests. */
    int documents() throws IOException {
        lock.lock();
        try {
            open();
            searchers.maybeRefreshBlocking();
            IndexSearcher s = searchers.acquire();
            try {
                return s.count(new MatchAllDocsQuery());
            } finally {
                searchers.release(s);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Throws the index away (damaged): the next search rebuilds it from the mailboxes. */
    private void wipe() {
        closeQuietly();
        boxes.clear();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("event=fts.wipe.failed user={} dir={} reason=\"{}\"", user, dir, e.toString());
        }
    }

    private void closeQuietly() {
        try {
            if (searchers != null) {
                searchers.close();
            }
        } catch (IOException | RuntimeException e) {
            // closing what is broken anyway
        }
        try {
            if (writer != null) {
                writer.rollback();
            }
        } catch (IOException | RuntimeException e) {
            // rollback also releases the write lock and closes the directory
        }
        searchers = null;
        writer = null;
    }

    /**
     * Commits what was added and closes. Merges under way are abandoned (rollback after the commit
     * loses nothing committed), so closing never waits for a merge: a stop mid-indexing leaves the
     * index at its last commit point, which the next open continues from.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            try {
                if (searchers != null) {
                    searchers.close();
                }
                if (writer != null) {
                    writer.commit();
                    writer.rollback();
                    ownerOnly();
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("event=fts.close.failed user={} dir={} reason=\"{}\"", user, dir, e.toString());
                closeQuietly();
            }
            searchers = null;
            writer = null;
        } finally {
            lock.unlock();
        }
    }

    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    /** mkdir -p, each directory made 0700 as it is created. */
    static void createDirectories(Path dir) throws IOException {
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = dir.toAbsolutePath(); p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.push(p);
        }
        while (!missing.isEmpty()) {
            Path p = missing.pop();
            try {
                if (posix) {
                    Files.createDirectory(p, DIRECTORY);
                } else {
                    Files.createDirectory(p);
                }
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(p)) {
                    throw e;
                }
            }
        }
    }

    /** Lucene creates files with the umask's mode: they are made 0600 here (the directory is 0700 anyway). */
    private void ownerOnly() {
        if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Set<PosixFilePermission> rw = PosixFilePermissions.fromString("rw-------");
        long total = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    total += Files.size(p);
                    if (!Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).equals(rw)) {
                        Files.setPosixFilePermissions(p, rw);
                    }
                }
            }
            bytes = total;
        } catch (IOException e) {
            // a file Lucene deleted meanwhile; the next commit sees the rest
        }
    }
}
