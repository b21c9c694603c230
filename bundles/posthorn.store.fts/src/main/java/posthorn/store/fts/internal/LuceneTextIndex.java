package posthorn.store.fts.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.support.keys.ConfigKeys;
import posthorn.store.api.ArrivalStore;
import posthorn.store.api.MailStore;
import posthorn.store.api.Mailbox;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;
import posthorn.store.api.Watch;
import posthorn.store.api.search.TextIndex;
import posthorn.store.api.search.TextTerm;

/**
 * The full-text index: one Lucene index per user under {@code dir} (by default
 * {@code $POSTHORN_VAR/fts}), each brought up to date from the mailbox a search runs in.
 *
 * <p>Why under the server's state directory and not beside the Maildir: Lucene's locking and its
 * deletion of files still open elsewhere are not safe on NFS, where a shared Maildir store of several
 * nodes lives (issue 16, each user served by one node); the index is derived, so a user moved to
 * another node costs one rebuild there and nothing else, and the Maildir stays what other programs
 * (Courier, Dovecot, an MDA) expect.
 *
 * <p>Kept up to date in two ways. In the background: when the bound store is an {@link ArrivalStore},
 * its notices (messages appended, copied, moved, expunged, delivered by another process and found by
 * the store's watch, a mailbox opened the first time) queue the mailbox for a {@link BackgroundIndexer}
 * that reads it through a read-only handle of its own, off the session threads. And by each search,
 * which first adds what is still missing within {@code index.budget}, and leaves the rest to the
 * server to read, so an answer never depends on how far the background has come.
 *
 * <p>Configuration PID {@code fts} (config/fts.cfg), optional. Thread-safe: a user's index serialises
 * its own callers; indexes of users not searched or indexed lately are closed beyond {@code max.open}.
 */
@Component(service = TextIndex.class, configurationPid = "fts", configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = LuceneTextIndex.Config.class)
public final class LuceneTextIndex implements TextIndex {
    private static final Logger LOG = LoggerFactory.getLogger(LuceneTextIndex.class);
    /**
     * Lucene tells, through java.util.logging at its first vector use, that the JDK's incubating
     * Vector API module is not readable and how to add it: nothing an operator should act on (the
     * index uses no vectors; adding the incubator module makes the JVM warn at every start), and
     * JUL's level names are not the log's. Held here so that the level is not lost with a collected
     * logger; set before this bundle touches any Lucene class.
     */
    private static final java.util.logging.Logger LUCENE_VECTORS =
            java.util.logging.Logger.getLogger("org.apache.lucene.internal.vectorization");

    static {
        LUCENE_VECTORS.setLevel(java.util.logging.Level.SEVERE);
    }

    @ObjectClassDefinition(name = "Posthorn full-text index", description = "Lucene index that narrows SEARCH's text keys")
    public @interface Config {
        @AttributeDefinition(name = "Enabled", description = "true uses the index for SEARCH; false searches every"
                + " message as without one")
        boolean enabled() default true;

        @AttributeDefinition(name = "Directory", description = "Where the users' indexes are; empty for"
                + " $POSTHORN_VAR/fts (no index when neither is set)")
        String dir() default "";

        @AttributeDefinition(name = "Most text per message", description = "Chars of decoded text indexed per"
                + " message; a longer message is read by every search instead")
        long max_text() default 4_000_000;

        @AttributeDefinition(name = "Most parts per message", description = "MIME parts indexed per message;"
                + " a message with more is read by every search instead")
        int max_parts() default 1000;

        @AttributeDefinition(name = "Most levels per message", description = "Nested MIME levels indexed;"
                + " a deeper message is read by every search instead")
        int max_depth() default 50;

        @AttributeDefinition(name = "Indexing time per search", description = "Seconds one search may spend"
                + " adding new messages to the index; the messages left are read by that search and indexed by the"
                + " next ones")
        int index_budget() default 10;

        @AttributeDefinition(name = "Messages a search indexes itself", description = "With background indexing"
                + " on: a search that finds more messages than this not indexed yet indexes none of them (it reads them,"
                + " which costs about half as much, and the background indexer waits meanwhile, then indexes them)")
        int index_inline_max() default 500;

        @AttributeDefinition(name = "Open indexes", description = "Users' indexes kept open at once; the one"
                + " searched least recently is closed beyond this")
        int max_open() default 64;

        @AttributeDefinition(name = "Background indexing", description = "true indexes arriving mail in the"
                + " background, off the session threads; false leaves all indexing to searches")
        boolean background() default true;

        @AttributeDefinition(name = "Background indexing threads", description = "Low-priority threads that"
                + " index in the background (one user at a time each)")
        int background_threads() default 1;

        @AttributeDefinition(name = "Background queue", description = "Users whose mailboxes may wait for the"
                + " background indexer; notices beyond are dropped (indexed at the next notice or search)")
        int background_queue() default 10000;
    }

    private record Settings(boolean enabled, Path dir, MessageText.Limits limits, int maxOpen, int budget,
                            boolean background, int threads, int queue, int inlineMax) {
    }

    /**
     * How long the background indexer holds a user's index at a time when nobody else waits for it
     * (it gives way at once to a waiting search: see UserIndex#background); each slice ends with a
     * refresh, so this also bounds how many small segments a long build makes.
     */
    static final long SLICE_NANOS = 2_000_000_000L;
    /** How long deactivation waits for the background workers to stop between two messages. */
    private static final long STOP_MILLIS = 1500;

    private final Counters counters = new Counters();
    /** The bound store, for the background indexer's own read-only handles; null while none is bound. */
    private volatile MailStore store;
    /** The arrival notices of {@link #store}, while it is an ArrivalStore. Guarded by this. */
    private Watch arrivals;
    /** The running background indexer, or null (off, or not activated). Guarded by this for changes. */
    private volatile BackgroundIndexer indexer;

    private volatile Settings settings;
    /** Access-ordered: the eldest is the user searched least recently. Guarded by itself. */
    private final LinkedHashMap<String, UserIndex> open = new LinkedHashMap<>(16, 0.75f, true);

    public LuceneTextIndex() {
    }

    /** Outside OSGi (tests, tools): an index under {@code dir}. */
    LuceneTextIndex(Path dir, MessageText.Limits limits) {
        this(dir, limits, 3600);
    }

    /** Outside OSGi (tests, tools): an index under {@code dir}, {@code budget} seconds of indexing a search. */
    LuceneTextIndex(Path dir, MessageText.Limits limits, int budget) {
        settings = new Settings(true, dir, limits, 64, budget, false, 0, 0, 500);
    }

    /** Outside OSGi (tests): an index under {@code dir} kept up to date from {@code store}'s notices. */
    LuceneTextIndex(Path dir, MessageText.Limits limits, int budget, MailStore store, int threads, int queue) {
        this(dir, limits, budget, store, threads, queue, 500);
    }

    /** As above, with {@code inlineMax} (index.inline.max). */
    LuceneTextIndex(Path dir, MessageText.Limits limits, int budget, MailStore store, int threads, int queue,
                    int inlineMax) {
        settings = new Settings(true, dir, limits, 64, budget, true, threads, queue, inlineMax);
        bindStore(store);
        restartIndexer();
    }

    /**
     * Takes fts.cfg whole or not at all: a near-miss key, a bad boolean or a value out of range refuses
     * the file in one line naming the key, and the settings from before (at first, the defaults) stay.
     */
    @Activate
    @Modified
    void configure(Config config, Map<String, Object> properties) {
        Settings s;
        try {
            for (ConfigKeys.Problem p : ConfigKeys.check(properties, Config.class)) {
                if (p.refuse()) {
                    throw new IllegalArgumentException(p.key() + ": " + p.reason());
                }
                LOG.warn("fts.cfg: {}: {}", p.key(), p.reason());
            }
            boolean enabled = ConfigKeys.read("enabled", config::enabled);
            String d = ConfigKeys.read("dir", config::dir);
            long maxText = ConfigKeys.read("max.text", config::max_text);
            int maxParts = ConfigKeys.read("max.parts", config::max_parts);
            int maxDepth = ConfigKeys.read("max.depth", config::max_depth);
            int maxOpen = ConfigKeys.read("max.open", config::max_open);
            int budget = ConfigKeys.read("index.budget", config::index_budget);
            boolean background = ConfigKeys.read("background", config::background);
            int threads = ConfigKeys.read("background.threads", config::background_threads);
            int queue = ConfigKeys.read("background.queue", config::background_queue);
            int inlineMax = ConfigKeys.read("index.inline.max", config::index_inline_max);
            if (inlineMax < 0 || inlineMax > 100_000_000) {
                throw new IllegalArgumentException("index.inline.max: must be from 0 to 100000000 messages");
            }
            if (threads < 1 || threads > 16) {
                throw new IllegalArgumentException("background.threads: must be from 1 to 16");
            }
            if (queue < 1 || queue > 1_000_000) {
                throw new IllegalArgumentException("background.queue: must be from 1 to 1000000 users");
            }
            if (budget < 0 || budget > 86400) {
                throw new IllegalArgumentException("index.budget: must be from 0 to 86400 seconds");
            }
            if (maxText < 1000 || maxText > 1_000_000_000L) {
                throw new IllegalArgumentException("max.text: must be from 1000 to 1000000000 chars");
            }
            if (maxParts < 1 || maxParts > 100_000) {
                throw new IllegalArgumentException("max.parts: must be from 1 to 100000");
            }
            if (maxDepth < 1 || maxDepth > 1000) {
                throw new IllegalArgumentException("max.depth: must be from 1 to 1000");
            }
            if (maxOpen < 1 || maxOpen > 100_000) {
                throw new IllegalArgumentException("max.open: must be from 1 to 100000");
            }
            Path dir = null;
            if (d != null && !d.isBlank()) {
                dir = Path.of(d.strip());
                if (!dir.isAbsolute()) {
                    throw new IllegalArgumentException("dir: must be an absolute path");
                }
            } else if (System.getenv("POSTHORN_VAR") != null && !System.getenv("POSTHORN_VAR").isBlank()) {
                dir = Path.of(System.getenv("POSTHORN_VAR")).toAbsolutePath().resolve("fts");
            }
            s = new Settings(enabled && dir != null, dir, new MessageText.Limits(maxText, maxParts, maxDepth), maxOpen,
                    budget, background, threads, queue, inlineMax);
            if (enabled && dir == null) {
                LOG.warn("event=fts.off reason=\"neither dir nor POSTHORN_VAR is set\"");
            }
        } catch (IllegalArgumentException e) {
            LOG.error("fts.cfg refused: {}; the previous settings stay in force", e.getMessage());
            if (settings == null) {
                configure(defaults(), Map.of());
            }
            return;
        }
        Settings before = settings;
        settings = s;
        if (before != null && !before.equals(s)) {
            stopIndexer();
            closeAll();
        }
        restartIndexer();
        LOG.info("event=fts.config enabled={} dir={} max.text={} max.parts={} max.depth={} max.open={} index.budget={}"
                + " index.inline.max={} background={} background.threads={} background.queue={}",
                s.enabled(), s.dir(), s.limits().maxChars(), s.limits().maxParts(), s.limits().maxDepth(), s.maxOpen(),
                s.budget(), s.inlineMax(), s.background(), s.threads(), s.queue());
    }

    /** Starts a background indexer for the settings in force, if they want one and none runs. */
    private synchronized void restartIndexer() {
        Settings s = settings;
        if (indexer != null || s == null || !s.enabled() || !s.background()) {
            return;
        }
        BackgroundIndexer b = new BackgroundIndexer(s.threads(), s.queue(), counters, this::indexMailbox);
        b.start();
        indexer = b;
    }

    private synchronized void stopIndexer() {
        BackgroundIndexer b = indexer;
        indexer = null;
        if (b != null) {
            b.stop(STOP_MILLIS);
        }
    }

    /**
     * The store the background indexer reads through, bound dynamically: the index works without one
     * (searches index what they search), and with one that is not an ArrivalStore nothing is queued.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    synchronized void bindStore(MailStore s) {
        if (arrivals != null) {
            arrivals.close();
            arrivals = null;
        }
        store = s;
        if (s instanceof ArrivalStore a) {
            arrivals = a.watchArrivals((user, mailbox) -> {
                BackgroundIndexer b = indexer;
                if (b != null) {
                    b.changed(user, mailbox);
                }
            });
        }
    }

    synchronized void unbindStore(MailStore s) {
        if (store != s) {
            return;
        }
        if (arrivals != null) {
            arrivals.close();
            arrivals = null;
        }
        store = null;
    }

    /**
     * The background indexer's work for one mailbox (on its worker thread): a read-only handle of its
     * own, synced, indexed slice by slice so a search of the same user waits at most one slice.
     */
    void indexMailbox(StoreUser user, String mailbox, java.util.function.BooleanSupplier keepGoing) {
        Settings s = settings;
        MailStore st = store;
        if (s == null || !s.enabled() || st == null) {
            return;
        }
        try (UserMail mail = st.open(user); Mailbox box = mail.open(mailbox, true)) {
            box.sync();
            for (int attempt = 0; attempt < 2 && keepGoing.getAsBoolean(); attempt++) {
                UserIndex index = index(s, user.name());
                while (index.background(box, SLICE_NANOS, keepGoing)) {
                    Thread.yield(); // the fair lock hands over to a waiting search first
                }
                if (!index.isClosed()) {
                    return;
                }
                // Closed by eviction or a configuration change meanwhile: open it again.
            }
        } catch (StoreException e) {
            // The mailbox went away (deleted, renamed) since the notice: nothing to index.
            LOG.debug("event=fts.background.skipped user={} mailbox=\"{}\" reason=\"{}\"", user.name(), mailbox,
                    e.getMessage());
        }
    }

    private static Config defaults() {
        return new Config() {
            @Override
            public Class<? extends java.lang.annotation.Annotation> annotationType() {
                return Config.class;
            }

            @Override
            public boolean enabled() {
                return true;
            }

            @Override
            public String dir() {
                return "";
            }

            @Override
            public long max_text() {
                return 4_000_000;
            }

            @Override
            public int max_parts() {
                return 1000;
            }

            @Override
            public int max_depth() {
                return 50;
            }

            @Override
            public int max_open() {
                return 64;
            }

            @Override
            public int index_budget() {
                return 10;
            }

            @Override
            public int index_inline_max() {
                return 500;
            }

            @Override
            public boolean background() {
                return true;
            }

            @Override
            public int background_threads() {
                return 1;
            }

            @Override
            public int background_queue() {
                return 10000;
            }
        };
    }

    /**
     * Stops the background workers (between two messages, waiting at most {@link #STOP_MILLIS}) and
     * closes the indexes at their last commit points, so a stop mid-indexing delays shutdown by about
     * a second at most and leaves indexes the next start continues.
     */
    @Deactivate
    void deactivate() {
        stopIndexer();
        synchronized (this) {
            if (arrivals != null) {
                arrivals.close();
                arrivals = null;
            }
        }
        closeAll();
    }

    /** Closes every open index (committing it); the next search opens it again. */
    void closeAll() {
        List<UserIndex> all;
        synchronized (open) {
            all = new ArrayList<>(open.values());
            open.clear();
        }
        all.forEach(UserIndex::close);
    }

    /**
     * The open indexes' sizes at their last commits, for the metrics page: {@code users} (indexes
     * open), {@code documents}, {@code bytes}. Indexes not open now (evicted, or not searched since the
     * start) are not counted: no disk is walked to answer. And since the start: {@code queued} (users
     * waiting for the background indexer), {@code indexing} (users being indexed now),
     * {@code background_indexed} (messages it added), {@code dropped} (notices beyond the queue),
     * {@code search_indexed} (messages searches indexed themselves) and {@code search_unindexed}
     * (messages searches found not indexed and left to the server to read).
     */
    @Override
    public Map<String, Long> sizes() {
        long users;
        long documents = 0;
        long bytes = 0;
        synchronized (open) {
            users = open.size();
            for (UserIndex index : open.values()) {
                documents += index.committedDocuments();
                bytes += index.bytes();
            }
        }
        BackgroundIndexer b = indexer;
        return Map.of("users", users, "documents", documents, "bytes", bytes,
                "queued", b == null ? 0L : b.queued(), "indexing", b == null ? 0L : b.busy(),
                "background_indexed", counters.backgroundIndexed.sum(), "dropped", counters.dropped.sum(),
                "search_indexed", counters.searchIndexed.sum(), "search_unindexed", counters.searchUnindexed.sum());
    }

    @Override
    public LongPredicate candidates(String user, Mailbox mailbox, List<TextTerm> terms) {
        Settings s = settings;
        if (s == null || !s.enabled() || terms.isEmpty()) {
            return null;
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            UserIndex index = index(s, user);
            LongPredicate p = index.candidates(mailbox, terms);
            if (p != null || !index.isClosed()) {
                return p;
            }
            // Closed by eviction or a configuration change between lookup and use: open it again.
        }
        return null;
    }

    /** Documents in a user's index (for tests). */
    int documents(String user) throws java.io.IOException {
        return index(settings, user).documents();
    }

    private UserIndex index(Settings s, String user) {
        UserIndex evicted = null;
        UserIndex index;
        synchronized (open) {
            index = open.get(user);
            if (index == null) {
                // Without a background indexer, searches are the only ones to index: no inline limit.
                index = new UserIndex(user, s.dir().resolve(directoryName(user)), s.limits(), s.budget() * 1000L,
                        s.background() ? s.inlineMax() : -1, counters);
                open.put(user, index);
                if (open.size() > s.maxOpen()) {
                    Map.Entry<String, UserIndex> eldest = open.entrySet().iterator().next();
                    evicted = eldest.getValue();
                    open.remove(eldest.getKey());
                }
            }
        }
        if (evicted != null) {
            evicted.close();
        }
        return index;
    }

    /**
     * A user's directory name: the login name where it is a plain one, else a digest of it, so that no
     * name can reach outside {@code dir} or collide with another's.
     */
    static String directoryName(String user) {
        if (user.matches("[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")) {
            return user;
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(user.getBytes(StandardCharsets.UTF_8));
            return "~" + HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
