package posthorn.store.maildir.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;

/**
 * One Maildir folder directory, shared by every handle on it in this process (the store keeps one per
 * directory). It owns the directory scan, the UID database and what is known of each message
 * without reading it; handles keep only their own view and diff against {@link Snapshot}s.
 *
 * <p>Threading: thread-safe. Everything that reads and writes the UID database, and every rename or
 * delete of a message file, runs under {@link FolderLock} for the directory (the UID database part
 * also under the lock file, against other processes). Reading files to measure them runs outside the
 * lock. The maps below are concurrent so that readers need no lock; a reader that finds a stale file
 * name relocates the message by its base name.
 *
 * <p>Other processes (an MDA, Courier's imapd) change the directory at any time: a file listed a
 * moment ago may have been renamed (a flag change) or removed. Messages are keyed by base name, so a
 * rename is a flag change, never an expunge and an add.
 */
final class MaildirFolder {
    private static final Logger LOG = LoggerFactory.getLogger(MaildirFolder.class);
    private static final AtomicLong DELIVERY_COUNTER = new AtomicLong();
    private static final long PID = ProcessHandle.current().pid();
    private static final String HOST = maildirHost();
    private static final int ATTEMPTS = 4;

    /** What a message is known by without reading it again: RFC822.SIZE (CRLF) and INTERNALDATE. */
    record Facts(long size, Instant internalDate) {
    }

    /** A message as a scan found it. */
    record Entry(long uid, String base, Set<String> flags, long size, Instant internalDate) {
    }

    /**
     * The folder at one moment, in ascending UID order. {@code recent} holds the UIDs that this scan
     * moved from new/ to cur/: they are \Recent for the handle that asked for the scan, and for no one
     * else.
     */
    record Snapshot(long uidValidity, long uidNext, List<Entry> entries, Set<Long> recent) {
    }

    record Header(long uidValidity, long uidNext) {
    }

    /** A message file ready in tmp/ to be moved into cur/ and given a UID. */
    record Incoming(Path tmpFile, String base, String curName, Facts facts, Set<String> keywords) {
    }

    private record Loc(boolean inNew, String name) {
    }

    static final String KEYWORDS_DIR = CourierKeywords.DIR;

    final Path dir;
    private final ChangeWatcher watcher;
    private final Path cur;
    private final Path newDir;
    private final Path tmp;

    // Guarded by FolderLock for dir.
    private UidDb db;
    private Object dbStamp;
    private boolean dbDirty;

    private final ConcurrentHashMap<String, Loc> location = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Facts> facts = new ConcurrentHashMap<>();
    /** Keywords by base name, as last read from (or written to) {@link CourierKeywords}. */
    private final ConcurrentHashMap<String, Set<String>> keywords = new ConcurrentHashMap<>();
    /** Guarded by the in-process FolderLock for dir. */
    private final CourierKeywords courierKeywords;
    private Map<String, Set<String>> keywordsRead;
    private final Set<String> knownKeywords = ConcurrentHashMap.newKeySet();
    private final Set<String> junkLogged = ConcurrentHashMap.newKeySet();

    static final String INDEX_FILE = "posthorn.index";
    private static final long INDEX_WRITE_INTERVAL_NS = 5_000_000_000L;
    /** Guarded by the in-process FolderLock for dir. */
    private boolean indexLoaded;
    private volatile boolean indexDirty;
    private long indexWritten;

    /** Reference count; changed only inside the owning store's map compute for this directory. */
    int refs;

    /**
     * Messages APPEND, COPY or MOVE put into this folder (straight into cur/, since Maildir keeps no
     * flags in new/) that no handle has seen yet: the next read-write scan claims them as \Recent
     * (RFC 3501 6.3.11, 6.4.7), as it does for what it moves out of new/. Kept in memory, so across
     * this process; the store keeps a folder with pending messages alive until they are claimed.
     */
    private final Set<String> recentPending = ConcurrentHashMap.newKeySet();

    boolean hasPendingRecent() {
        return !recentPending.isEmpty();
    }

    /** Change listeners of open handles ({@link posthorn.store.api.Mailbox#watch}); guarded by itself. */
    private final Set<Runnable> listeners = new java.util.LinkedHashSet<>();
    private volatile Runnable[] listenerArray = new Runnable[0];
    /** Values derived by the server, per base name and field ({@link posthorn.store.api.Mailbox#cached}). */
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, byte[]>> derived = new ConcurrentHashMap<>();

    MaildirFolder(Path dir, ChangeWatcher watcher) {
        this.dir = dir;
        this.watcher = watcher;
        this.cur = dir.resolve("cur");
        this.newDir = dir.resolve("new");
        this.tmp = dir.resolve("tmp");
        this.courierKeywords = new CourierKeywords(dir);
    }

    /** Brings the in-memory keywords up to date with courierimapkeywords/; under the in-process lock. */
    private void refreshKeywords(Set<String> live) throws IOException {
        if (live != null && courierKeywords.pendingUpdates() >= CourierKeywords.mergeAt) {
            courierKeywords.merge(live);
        }
        Map<String, Set<String>> m = courierKeywords.current();
        if (m == keywordsRead) {
            return;
        }
        keywordsRead = m;
        keywords.keySet().removeIf(b -> !m.containsKey(b));
        for (Map.Entry<String, Set<String>> e : m.entrySet()) {
            if (!e.getValue().equals(keywords.get(e.getKey()))) {
                keywords.put(e.getKey(), e.getValue());
            }
            knownKeywords.addAll(e.getValue());
        }
    }

    /** Creates whichever of cur/, new/ and tmp/ is missing in an existing directory. */
    static void ensureSubdirectories(Path dir) throws IOException {
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Path p = dir.resolve(sub);
            if (!Files.isDirectory(p)) {
                try {
                    Files.createDirectory(p);
                    LOG.info("Created missing {}", p);
                } catch (FileAlreadyExistsException e) {
                    if (!Files.isDirectory(p)) {
                        throw e;
                    }
                }
            }
        }
    }

    // --- change notices ---

    /** Adds a listener for {@link #changed()}; the first one starts the kernel watch and polling. */
    posthorn.store.api.Watch addListener(Runnable listener) {
        Runnable own = listener::run; // a distinct identity per registration
        synchronized (listeners) {
            listeners.add(own);
            listenerArray = listeners.toArray(new Runnable[0]);
            if (listeners.size() == 1 && watcher != null) {
                watcher.watch(this);
            }
        }
        return () -> {
            synchronized (listeners) {
                if (listeners.remove(own)) {
                    listenerArray = listeners.toArray(new Runnable[0]);
                    if (listeners.isEmpty() && watcher != null) {
                        watcher.unwatch(this);
                    }
                }
            }
        };
    }

    /** Tells every listener that the folder may have changed. Never blocks on a listener's failure. */
    void changed() {
        for (Runnable r : listenerArray) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("A change listener of {} failed: {}", dir, e.toString());
            }
        }
    }

    // --- derived values ---

    byte[] cached(String base, String field) {
        Map<String, byte[]> m = derived.get(base);
        return m == null ? null : m.get(field);
    }

    void cache(String base, String field, byte[] value) {
        if (!location.containsKey(base)) {
            return;
        }
        if (value == null) {
            Map<String, byte[]> m = derived.get(base);
            if (m != null) {
                m.remove(field);
            }
            return;
        }
        derived.computeIfAbsent(base, b -> new ConcurrentHashMap<>(4)).put(field, value.clone());
        indexDirty = true;
    }

    // --- the index: posthorn.index, a cache of what is known of each message without reading it ---

    /**
     * Reads posthorn.index (under the in-process lock): per base name the CRLF size, the internal date
     * and the derived values. Base names identify immutable message files, so an entry never goes stale;
     * entries for messages no longer there are dropped at the next write. The file is never the only
     * copy of anything: if it is missing or does not parse, everything in it is derived again.
     */
    private void loadIndex() {
        Path file = dir.resolve(INDEX_FILE);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            LOG.warn("Cannot read {} ({}); rebuilding it", file, e.toString());
            return;
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (!text.startsWith("posthorn-index 1\n") || !text.endsWith("\n")) {
            LOG.warn("{} is not a complete index; rebuilding it", file);
            indexDirty = true;
            return;
        }
        java.util.Base64.Decoder b64 = java.util.Base64.getDecoder();
        int lineNo = 1;
        try {
            int pos = text.indexOf('\n') + 1;
            while (pos < text.length()) {
                int end = text.indexOf('\n', pos);
                lineNo++;
                String[] f = text.substring(pos, end).split("\t", -1);
                pos = end + 1;
                String base = f[0];
                facts.putIfAbsent(base, new Facts(Long.parseLong(f[1]), Instant.ofEpochMilli(Long.parseLong(f[2]))));
                for (int i = 3; i < f.length; i++) {
                    int eq = f[i].indexOf('=');
                    derived.computeIfAbsent(base, b -> new ConcurrentHashMap<>(4)).putIfAbsent(f[i].substring(0, eq),
                            b64.decode(f[i].substring(eq + 1)));
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("{} is corrupt at line {} ({}); rebuilding it", file, lineNo, e.toString());
            indexDirty = true;
        }
    }

    /** Writes posthorn.index for the messages present now (tmp/ file, rename); failures are only logged. */
    void flushIndex() {
        if (!indexLoaded) {
            return;
        }
        try (FolderLock.Held held = FolderLock.inProcess(dir)) {
            indexDirty = false;
            indexWritten = System.nanoTime();
            java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
            StringBuilder out = new StringBuilder(64 + location.size() * 96);
            out.append("posthorn-index 1\n");
            for (String base : location.keySet()) {
                Facts f = facts.get(base);
                if (f == null || base.indexOf('\t') >= 0 || base.indexOf('\n') >= 0) {
                    continue;
                }
                out.append(base).append('\t').append(f.size()).append('\t').append(f.internalDate().toEpochMilli());
                Map<String, byte[]> values = derived.get(base);
                if (values != null) {
                    for (Map.Entry<String, byte[]> v : values.entrySet()) {
                        String k = v.getKey();
                        if (k.indexOf('=') < 0 && k.indexOf('\t') < 0 && k.indexOf('\n') < 0) {
                            out.append('\t').append(k).append('=').append(b64.encodeToString(v.getValue()));
                        }
                    }
                }
                out.append('\n');
            }
            Path t = tmp.resolve(uniqueName() + "_index");
            Files.write(t, out.toString().getBytes(StandardCharsets.UTF_8));
            try {
                Files.move(t, dir.resolve(INDEX_FILE), StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(t);
            }
        } catch (IOException e) {
            LOG.warn("Cannot write {}: {}", dir.resolve(INDEX_FILE), e.toString());
        }
    }

    /** The Maildir convention: a file left in tmp/ for 36 hours is a failed delivery; remove it. */
    private void cleanTmp() {
        long cutoff = Instant.now().minusSeconds(36 * 3600).toEpochMilli();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(tmp)) {
            for (Path p : files) {
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class,
                            java.nio.file.LinkOption.NOFOLLOW_LINKS);
                    if (a.isRegularFile() && a.lastModifiedTime().toMillis() < cutoff) {
                        Files.deleteIfExists(p);
                        LOG.info("Removed stale {}", p);
                    }
                } catch (IOException e) {
                    LOG.debug("Cannot clean {}: {}", p, e.toString());
                }
            }
        } catch (IOException e) {
            LOG.warn("Cannot clean {}: {}", tmp, e.toString());
        }
    }

    boolean indexDirty() {
        return indexDirty;
    }

    /** True if the message's file is still in new/ (nobody has taken its \Recent yet). */
    boolean inNew(String base) {
        Loc loc = location.get(base);
        return loc != null && loc.inNew();
    }

    Set<String> knownKeywords() {
        return Set.copyOf(knownKeywords);
    }

    /** UIDVALIDITY and UIDNEXT without scanning; creates the UID database if there is none. */
    Header header() throws StoreException {
        Snapshot unchanged = lastSnapshot;
        DirState now = dirState();
        if (unchanged != null && now != null && now.equals(lastState) && now.settled()) {
            return new Header(unchanged.uidValidity(), unchanged.uidNext());
        }
        try (FolderLock.Held held = FolderLock.withFile(dir)) {
            UidDb d = loadDb();
            if (dbDirty) {
                writeDb(d);
            }
            return new Header(d.uidValidity(), d.nextUid());
        } catch (NoSuchFileException e) {
            throw gone(e);
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot read the UID database of " + dir, e);
        }
    }

    /**
     * Brings the UID database up to date with the directory and returns the folder's messages.
     *
     * @param claimNew move new/ to cur/ (a read-write handle); false leaves new/ untouched and lists it
     */
    Snapshot scan(boolean claimNew) throws StoreException {
        // Unchanged directories: the last scan's result still holds (as Dovecot trusts unchanged
        // Maildir mtimes), without the lock, a listing or the UID database.
        DirState before = dirState();
        Snapshot unchanged = lastSnapshot;
        if (unchanged != null && before != null && before.equals(lastState) && before.settled()
                && recentPending.isEmpty() && (!claimNew || lastNewEmpty)) {
            return new Snapshot(unchanged.uidValidity(), unchanged.uidNext(), unchanged.entries(), Set.of());
        }
        Set<String> claimed = new HashSet<>();
        List<Long> uids = new ArrayList<>();
        List<String> bases = new ArrayList<>();
        Set<Long> recent = new HashSet<>();
        long validity;
        long next;
        boolean notify;
        boolean newEmpty;
        try (FolderLock.Held held = FolderLock.withFile(dir)) {
            if (claimNew) {
                moveNewToCur(claimed);
            }
            notify = !claimed.isEmpty();
            if (!indexLoaded) {
                indexLoaded = true;
                loadIndex();
                cleanTmp();
            }
            Map<String, Loc> listing = new HashMap<>();
            list(cur, false, listing);
            list(newDir, true, listing);
            UidDb d = loadDb();
            if (claimNew) {
                // A file that reached new/ after the move above waits for the next scan, which moves it and
                // so makes it \Recent for its handle; numbering it now would report it here as not recent.
                // Files in new/ that already have a UID (a read-only handle saw them) stay.
                listing.entrySet().removeIf(e -> e.getValue().inNew() && d.uidOf(e.getKey()) == null);
            }
            // A rename racing readdir can hide a file from one listing (seen on ext4 with large
            // directories); listing again catches it, so that a flag change by another process is never
            // taken for an expunge. Only known messages that seem gone trigger it, and only twice.
            for (int extra = 0; extra < 2 && anyMissing(d, listing); extra++) {
                list(cur, false, listing);
                list(newDir, true, listing);
                if (claimNew) {
                    listing.entrySet().removeIf(e -> e.getValue().inNew() && d.uidOf(e.getKey()) == null);
                }
            }
            for (String base : d.bases()) {
                if (!listing.containsKey(base)) {
                    d.remove(base);
                    facts.remove(base);
                    derived.remove(base);
                    keywords.remove(base);
                    location.remove(base);
                    dbDirty = true;
                }
            }
            List<String> unknown = new ArrayList<>();
            for (String base : listing.keySet()) {
                if (d.uidOf(base) == null) {
                    unknown.add(base);
                }
            }
            unknown.sort(MaildirFileName.DELIVERY_ORDER);
            for (String base : unknown) {
                Loc loc = listing.get(base);
                if (admit(base, loc)) {
                    d.assign(base);
                    dbDirty = true;
                } else {
                    listing.remove(base);
                }
            }
            if (dbDirty) {
                writeDb(d);
                notify = true;
            }
            location.keySet().retainAll(listing.keySet());
            location.putAll(listing);
            refreshKeywords(listing.keySet());
            newEmpty = listing.values().stream().noneMatch(Loc::inNew);
            for (Map.Entry<Long, String> e : d.byUid().entrySet()) {
                uids.add(e.getKey());
                bases.add(e.getValue());
                if (claimed.contains(e.getValue()) || (claimNew && recentPending.remove(e.getValue()))) {
                    recent.add(e.getKey());
                }
            }
            recentPending.retainAll(listing.keySet()); // expunged before anyone saw them
            validity = d.uidValidity();
            next = d.nextUid();
        } catch (NoSuchFileException e) {
            throw gone(e);
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot scan " + dir, e);
        }
        if (notify) {
            changed(); // other handles in this process: messages were numbered, claimed or dropped
        }
        if (indexDirty && System.nanoTime() - indexWritten > INDEX_WRITE_INTERVAL_NS) {
            flushIndex();
        }
        List<Entry> entries = new ArrayList<>(uids.size());
        for (int i = 0; i < uids.size(); i++) {
            String base = bases.get(i);
            Facts f = facts(base);
            Set<String> flags = f == null ? null : flags(base);
            if (flags == null) {
                recent.remove(uids.get(i)); // vanished since the listing; the next scan drops it
                continue;
            }
            entries.add(new Entry(uids.get(i), base, flags, f.size(), f.internalDate()));
        }
        Snapshot result = new Snapshot(validity, next, List.copyOf(entries), Set.copyOf(recent));
        // The state seen before this scan's listing: a change during the scan makes the next state
        // differ, so nothing is missed; this scan's own moves do too, so the scan after next is
        // the first that can take the short way.
        lastState = before;
        lastNewEmpty = newEmpty;
        lastSnapshot = result;
        return result;
    }

    /**
     * What tells whether the folder changed: the modification times of cur/, new/ and the keyword
     * directory, and the UID database's time and size. Null if any cannot be read.
     */
    private record DirState(long cur, long newDir, long keywords, long db, long dbSize) {
        /**
         * Whether every time is older than the file system could still be writing within: a change
         * in the same clock tick as a time read would leave the time as it was.
         */
        boolean settled() {
            long newest = Math.max(Math.max(cur, newDir), Math.max(keywords, db));
            return System.currentTimeMillis() - newest > SETTLE_MILLIS;
        }
    }

    private static final long SETTLE_MILLIS = 2_000;
    private volatile Snapshot lastSnapshot;
    private volatile DirState lastState;
    private volatile boolean lastNewEmpty;

    private DirState dirState() {
        try {
            java.nio.file.attribute.BasicFileAttributes db = Files.readAttributes(dir.resolve(UidDb.FILE),
                    java.nio.file.attribute.BasicFileAttributes.class);
            Path kw = dir.resolve(CourierKeywords.DIR);
            long kwTime = Files.isDirectory(kw) ? Files.getLastModifiedTime(kw).toMillis() : 0;
            return new DirState(Files.getLastModifiedTime(cur).toMillis(), Files.getLastModifiedTime(newDir).toMillis(),
                    kwTime, db.lastModifiedTime().toMillis(), db.size());
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean anyMissing(UidDb d, Map<String, Loc> listing) {
        for (String base : d.bases()) {
            if (!listing.containsKey(base)) {
                return true;
            }
        }
        return false;
    }

    /** Current flags of a message (system flags from its name, keywords from memory), or null if gone. */
    private Set<String> flags(String base) {
        Loc loc = location.get(base);
        if (loc == null) {
            return null;
        }
        Set<String> system = MaildirFileName.parse(loc.name()).systemFlags();
        Set<String> kw = keywords.get(base);
        if (kw == null || kw.isEmpty()) {
            return system;
        }
        Set<String> all = new HashSet<>(system);
        all.addAll(kw);
        return all;
    }

    /** Checks an unknown file under the lock before it gets a UID: it must exist and be a regular file. */
    private boolean admit(String base, Loc loc) throws IOException {
        Path p = path(loc);
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return false; // renamed or removed since the listing; the next scan sees its new name
        }
        if (!attrs.isRegularFile()) {
            if (junkLogged.add(loc.name())) {
                LOG.warn("Ignoring {}: not a regular file", p);
            }
            return false;
        }
        long w = MaildirFileName.sizeField(base, 'W');
        if (w >= 0) {
            facts.put(base, new Facts(w, attrs.lastModifiedTime().toInstant()));
        }
        return true;
    }

    private void moveNewToCur(Set<String> claimed) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(newDir)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                String target = name.indexOf(':') < 0 ? name + ":2," : name;
                Path to = cur.resolve(target);
                if (Files.exists(to)) {
                    if (junkLogged.add("new/" + name)) {
                        LOG.warn("Not moving {}: {} already exists", p, to);
                    }
                    continue;
                }
                try {
                    Files.move(p, to, StandardCopyOption.ATOMIC_MOVE);
                    claimed.add(MaildirFileName.parse(target).base());
                } catch (NoSuchFileException e) {
                    // another process took it first; it is that process's recent message
                } catch (IOException e) {
                    if (junkLogged.add("new/" + name)) {
                        LOG.warn("Cannot move {} to cur/: {}", p, e.toString());
                    }
                }
            }
        } catch (NoSuchFileException e) {
            LOG.warn("{} has no new/ directory", dir);
        }
    }

    private void list(Path sub, boolean inNew, Map<String, Loc> into) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(sub)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                MaildirFileName parsed = MaildirFileName.parse(name);
                if (!inNew && name.indexOf(':') < 0 && junkLogged.add(name)) {
                    LOG.info("{} in {} has no info part; taking it as a message without flags", name, sub);
                }
                into.putIfAbsent(parsed.base(), new Loc(inNew, name));
            }
        } catch (NoSuchFileException e) {
            if (!inNew) {
                throw e;
            }
        }
    }

    private Path path(Loc loc) {
        return (loc.inNew() ? newDir : cur).resolve(loc.name());
    }

    /** Finds a message's current file by listing cur/ and new/; null (and forgotten) if it is gone. */
    private Loc relocate(String base) throws IOException {
        try (FolderLock.Held held = FolderLock.inProcess(dir)) {
            for (Path sub : new Path[] {cur, newDir}) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(sub)) {
                    for (Path p : files) {
                        String name = p.getFileName().toString();
                        if (!name.startsWith(".") && MaildirFileName.parse(name).base().equals(base)) {
                            Loc loc = new Loc(sub == newDir, name);
                            location.put(base, loc);
                            return loc;
                        }
                    }
                } catch (NoSuchFileException e) {
                    if (sub == cur) {
                        throw e;
                    }
                }
            }
            location.remove(base);
            return null;
        }
    }

    /** Size and date of a message, measured once and kept; null if the message is gone. */
    Facts facts(String base) throws StoreException {
        Facts f = facts.get(base);
        if (f != null) {
            return f;
        }
        try {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                Loc loc = location.get(base);
                if (loc == null) {
                    return null;
                }
                Path p = path(loc);
                try {
                    BasicFileAttributes attrs = Files.readAttributes(p, BasicFileAttributes.class);
                    long size = MaildirFileName.sizeField(base, 'W');
                    if (size < 0) {
                        try (InputStream in = Files.newInputStream(p)) {
                            size = LineEnds.crlfSize(in);
                        }
                    }
                    f = new Facts(size, attrs.lastModifiedTime().toInstant());
                    facts.put(base, f);
                    indexDirty = true;
                    return f;
                } catch (NoSuchFileException e) {
                    if (relocate(base) == null) {
                        return null;
                    }
                }
            }
            return null;
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot read a message in " + dir, e);
        }
    }

    /** Opens a message file as it is on disk, or returns null if the message is gone. */
    InputStream open(String base) throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Loc loc = location.get(base);
            if (loc == null) {
                loc = relocate(base);
                if (loc == null) {
                    return null;
                }
            }
            try {
                return Files.newInputStream(path(loc));
            } catch (NoSuchFileException e) {
                if (relocate(base) == null) {
                    return null;
                }
            }
        }
        return null;
    }

    /**
     * Applies a STORE to one message by renaming its file in cur/ (and its keywords in memory).
     *
     * @return the flags afterwards, or null if the message is gone
     */
    Set<String> changeFlags(String base, FlagMode mode, Set<String> requested) throws StoreException {
        Set<String> reqSystem = new HashSet<>();
        Set<String> reqKeywords = new HashSet<>();
        for (String flag : requested) {
            String c = Flags.canonical(flag);
            if (Flags.isSystem(c)) {
                reqSystem.add(c);
            } else if (!c.startsWith("\\")) {
                reqKeywords.add(c);
            }
        }
        try (FolderLock.Held held = FolderLock.inProcess(dir)) {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                Loc loc = location.get(base);
                if (loc == null && (loc = relocate(base)) == null) {
                    return null;
                }
                MaildirFileName parsed = MaildirFileName.parse(loc.name());
                Set<String> system = apply(mode, parsed.systemFlags(), reqSystem);
                Set<String> kw = apply(mode, keywords.getOrDefault(base, Set.of()), reqKeywords);
                String target = MaildirFileName.withFlags(base, system, parsed.otherLetters());
                if (loc.inNew() || !target.equals(loc.name())) {
                    try {
                        Files.move(path(loc), cur.resolve(target), StandardCopyOption.ATOMIC_MOVE);
                    } catch (NoSuchFileException e) {
                        location.remove(base);
                        continue; // renamed or removed by someone else meanwhile: look again
                    }
                    location.put(base, new Loc(false, target));
                }
                if (!kw.equals(keywords.getOrDefault(base, Set.of()))) {
                    courierKeywords.set(base, kw);
                }
                if (kw.isEmpty()) {
                    keywords.remove(base);
                } else {
                    keywords.put(base, Set.copyOf(kw));
                    knownKeywords.addAll(kw);
                }
                changed();
                Set<String> all = new HashSet<>(system);
                all.addAll(kw);
                return all;
            }
            return null;
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot change flags in " + dir, e);
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

    /** Deletes a message's file if its name carries T (\Deleted) now; true if this call removed it. */
    boolean expunge(String base) throws StoreException {
        try (FolderLock.Held held = FolderLock.inProcess(dir)) {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                Loc loc = location.get(base);
                if (loc == null && (loc = relocate(base)) == null) {
                    return false;
                }
                if (!MaildirFileName.parse(loc.name()).systemFlags().contains(Flags.DELETED)) {
                    return false;
                }
                try {
                    Files.delete(path(loc));
                } catch (NoSuchFileException e) {
                    location.remove(base);
                    continue;
                }
                location.remove(base);
                facts.remove(base);
                keywords.remove(base);
                derived.remove(base);
                courierKeywords.forget(base);
                changed();
                return true;
            }
            return false;
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot expunge in " + dir, e);
        }
    }

    /**
     * Writes a message to tmp/, with LF line ends, fsyncs it, dates it and delivers it to cur/.
     *
     * @return its UID
     */
    /** A check run on a written message before it is delivered (the quota); may refuse it. */
    interface Gate {
        void check(long diskBytes) throws StoreException;
    }

    /** The message's size on disk, as Maildir++ quota counts it (S= where present); -1 if gone. */
    long diskSize(String base) {
        long s = MaildirFileName.sizeField(base, 'S');
        if (s >= 0) {
            return s;
        }
        Loc loc = location.get(base);
        try {
            return loc == null ? -1 : Files.size(path(loc));
        } catch (IOException e) {
            return -1;
        }
    }

    long append(InputStream message, Set<String> flags, Instant internalDate, Gate gate)
            throws StoreException, IOException {
        String unique = uniqueName();
        Path file = tmp.resolve(unique);
        boolean delivered = false;
        try {
            LineEnds.Written written;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 64 * 1024);
                written = LineEnds.toLf(message, out);
                out.flush();
                ch.force(true);
            }
            Files.setLastModifiedTime(file, FileTime.from(internalDate));
            gate.check(written.diskSize());
            String base = unique + ",S=" + written.diskSize() + ",W=" + written.crlfSize();
            Set<String> system = new TreeSet<>();
            Set<String> kw = new TreeSet<>();
            split(flags, system, kw);
            Incoming in = new Incoming(file, base, MaildirFileName.withFlags(base, system, ""),
                    new Facts(written.crlfSize(), internalDate), kw);
            long uid = deliver(List.of(in)).get(0);
            delivered = true;
            return uid;
        } finally {
            if (!delivered) {
                Files.deleteIfExists(file);
            }
        }
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
            return java.util.Arrays.asList(result);
        } catch (IOException e) {
            for (Incoming in : incoming) {
                try {
                    Files.deleteIfExists(in.tmpFile());
                } catch (IOException ignored) {
                    // left in tmp/, where Maildir readers ignore it
                }
            }
            throw new StoreException(Reason.SERVERBUG, "Cannot copy messages to " + target.dir, e);
        }
    }

    private Incoming prepareCopy(MaildirFolder target, String base) throws IOException, StoreException {
        Facts f = facts(base);
        if (f == null) {
            return null;
        }
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Loc loc = location.get(base);
            if (loc == null && (loc = relocate(base)) == null) {
                return null;
            }
            String unique = uniqueName();
            Path file = target.tmp.resolve(unique);
            Path src = path(loc);
            try {
                try {
                    Files.createLink(file, src);
                } catch (NoSuchFileException e) {
                    throw e;
                } catch (IOException | UnsupportedOperationException e) {
                    // Another file system or no hard links: copy, keeping the date, and make it durable.
                    Files.copy(src, file, StandardCopyOption.COPY_ATTRIBUTES);
                    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                        ch.force(true);
                    }
                }
            } catch (NoSuchFileException e) {
                Files.deleteIfExists(file);
                location.remove(base);
                continue;
            }
            long disk = Files.size(file);
            String newBase = unique + ",S=" + disk + ",W=" + f.size();
            MaildirFileName parsed = MaildirFileName.parse(loc.name());
            Set<String> kw = keywords.getOrDefault(base, Set.of());
            return new Incoming(file, newBase, MaildirFileName.withFlags(newBase, parsed.systemFlags(), ""),
                    new Facts(f.size(), f.internalDate()), kw);
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
            return java.util.Arrays.asList(result);
        }
        boolean sourceFirst = dir.toString().compareTo(target.dir.toString()) <= 0;
        // Locks in path order, so two opposite moves cannot deadlock.
        try (FolderLock.Held a = sourceFirst ? FolderLock.inProcess(dir) : FolderLock.withFile(target.dir);
                FolderLock.Held b = sourceFirst ? FolderLock.withFile(target.dir) : FolderLock.inProcess(dir)) {
            UidDb d = target.loadDb();
            try {
                for (int i = 0; i < sourceBases.size(); i++) {
                    String base = sourceBases.get(i);
                    Facts f = facts(base);
                    if (f == null) {
                        continue;
                    }
                    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                        Loc loc = location.get(base);
                        if (loc == null && (loc = relocate(base)) == null) {
                            break;
                        }
                        Path src = path(loc);
                        long disk;
                        try {
                            disk = Files.size(src);
                        } catch (NoSuchFileException e) {
                            location.remove(base);
                            continue;
                        }
                        String newBase = uniqueName() + ",S=" + disk + ",W=" + f.size();
                        MaildirFileName parsed = MaildirFileName.parse(loc.name());
                        String curName = MaildirFileName.withFlags(newBase, parsed.systemFlags(), "");
                        Set<String> movedKw = keywords.get(base);
                        if (movedKw != null && !movedKw.isEmpty()) {
                            target.courierKeywords.set(newBase, movedKw); // first, so a crash loses no keyword
                        }
                        try {
                            Files.move(src, target.cur.resolve(curName), StandardCopyOption.ATOMIC_MOVE);
                        } catch (NoSuchFileException e) {
                            location.remove(base);
                            continue; // renamed by a flag change elsewhere: find it again
                        }
                        long uid = d.assign(newBase);
                        target.dbDirty = true;
                        target.recentPending.add(newBase);
                        target.location.put(newBase, new Loc(false, curName));
                        target.facts.put(newBase, f);
                        Set<String> kw = keywords.remove(base);
                        if (kw != null && !kw.isEmpty()) {
                            courierKeywords.forget(base);
                            target.keywords.put(newBase, kw);
                            target.knownKeywords.addAll(kw);
                        }
                        ConcurrentHashMap<String, byte[]> values = derived.remove(base);
                        if (values != null) {
                            target.derived.put(newBase, values); // same bytes, same derived values
                        }
                        location.remove(base);
                        facts.remove(base);
                        result[i] = uid;
                        break;
                    }
                }
            } finally {
                if (target.dbDirty) {
                    target.writeDb(d);
                }
            }
        } catch (NoSuchFileException e) {
            throw target.gone(e);
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot move messages to " + target.dir, e);
        }
        target.changed();
        changed();
        return java.util.Arrays.asList(result);
    }

    /** STATUS counts: numbers what is new without taking anybody's \Recent (new/ stays as it is). */
    posthorn.store.api.MailboxStatus status() throws StoreException {
        Snapshot snap = scan(false);
        long recent = 0;
        long unseen = 0;
        long size = 0;
        for (Entry e : snap.entries()) {
            if (inNew(e.base()) || recentPending.contains(e.base())) {
                recent++;
            }
            if (!e.flags().contains(Flags.SEEN)) {
                unseen++;
            }
            size += e.size();
        }
        return new posthorn.store.api.MailboxStatus(snap.entries().size(), recent, snap.uidNext(), snap.uidValidity(),
                unseen, size);
    }

    /**
     * Moves files from tmp/ into cur/ and gives them UIDs, in order, under the UID database lock, so
     * a UID is returned at once and no scan can number the same message differently.
     */
    List<Long> deliver(List<Incoming> items) throws StoreException {
        List<Long> uids = new ArrayList<>(items.size());
        if (items.isEmpty()) {
            return uids;
        }
        try (FolderLock.Held held = FolderLock.withFile(dir)) {
            UidDb d = loadDb();
            try {
                for (Incoming in : items) {
                    if (!in.keywords().isEmpty()) {
                        courierKeywords.set(in.base(), in.keywords()); // first, so a crash loses no keyword
                    }
                    Files.move(in.tmpFile(), cur.resolve(in.curName()), StandardCopyOption.ATOMIC_MOVE);
                    long uid = d.assign(in.base());
                    dbDirty = true;
                    recentPending.add(in.base());
                    location.put(in.base(), new Loc(false, in.curName()));
                    facts.put(in.base(), in.facts());
                    if (!in.keywords().isEmpty()) {
                        keywords.put(in.base(), Set.copyOf(in.keywords()));
                        knownKeywords.addAll(in.keywords());
                    }
                    uids.add(uid);
                }
            } finally {
                if (dbDirty) {
                    writeDb(d);
                }
            }
            changed();
            return uids;
        } catch (NoSuchFileException e) {
            throw gone(e);
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot deliver to " + dir, e);
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

    // --- UID database, always under FolderLock.withFile(dir) ---

    private UidDb loadDb() throws IOException {
        Path file = dir.resolve(UidDb.FILE);
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            if (!Files.isDirectory(cur)) {
                throw e;
            }
            long validity = newValidity(db == null ? 0 : db.uidValidity());
            if (db != null) {
                LOG.warn("{} vanished; starting over with UIDVALIDITY {}", file, validity);
            }
            db = new UidDb(validity, 1);
            dbStamp = null;
            dbDirty = true;
            return db;
        }
        Object stamp = List.of(String.valueOf(attrs.fileKey()), attrs.lastModifiedTime(), attrs.size());
        if (db != null && stamp.equals(dbStamp)) {
            return db;
        }
        byte[] bytes = Files.readAllBytes(file);
        try {
            db = UidDb.parse(bytes);
            dbStamp = stamp;
        } catch (UidDb.CorruptException e) {
            // The old UIDVALIDITY was at most the file's mtime (it is a creation time); go past both.
            long old = Math.max(Math.max(db == null ? 0 : db.uidValidity(), firstLineValidity(bytes)),
                    attrs.lastModifiedTime().toInstant().getEpochSecond());
            long validity = newValidity(old);
            Path aside = dir.resolve(UidDb.FILE + ".corrupt");
            try {
                Files.copy(file, aside, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException copyFailed) {
                aside = null;
            }
            LOG.error("Corrupt {} ({}); rebuilding with new UIDVALIDITY {}, old copy kept as {}", file,
                    e.getMessage(), validity, aside);
            db = new UidDb(validity, 1);
            dbStamp = null;
            dbDirty = true;
        }
        return db;
    }

    private void writeDb(UidDb d) throws IOException {
        d.write(dir);
        BasicFileAttributes attrs = Files.readAttributes(dir.resolve(UidDb.FILE), BasicFileAttributes.class);
        dbStamp = List.of(String.valueOf(attrs.fileKey()), attrs.lastModifiedTime(), attrs.size());
        dbDirty = false;
    }

    /** A UIDVALIDITY for a fresh database: now, but always above any value the folder had before. */
    private static long newValidity(long previous) {
        return Math.max(Instant.now().getEpochSecond(), previous + 1);
    }

    private static long firstLineValidity(byte[] bytes) {
        String text = new String(bytes, 0, Math.min(bytes.length, 64), StandardCharsets.UTF_8);
        String[] parts = text.split("[ \n]", 4);
        try {
            long v = parts.length >= 2 ? Long.parseLong(parts[1]) : 0;
            return v > 0 && v < UidDb.MAX - 1 ? v : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private StoreException gone(NoSuchFileException e) {
        return new StoreException(Reason.NONEXISTENT, "Mailbox directory " + dir + " no longer exists", e);
    }

    /** A unique Maildir name: {@code time.M<micros>P<pid>Q<counter>.<host>}. */
    static String uniqueName() {
        Instant now = Instant.now();
        return now.getEpochSecond() + ".M" + (now.getNano() / 1000) + "P" + PID + "Q"
                + DELIVERY_COUNTER.incrementAndGet() + "." + HOST;
    }

    /** This host's name as it appears in Maildir names and Courier's lock file. */
    static String host() {
        return HOST;
    }

    private static String maildirHost() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "localhost";
        }
        // The Maildir spec's escapes for '/' and ':'; ',' too, since Maildir++ puts fields after it.
        return host.replace("/", "\\057").replace(":", "\\072").replace(",", "\\054");
    }
}
