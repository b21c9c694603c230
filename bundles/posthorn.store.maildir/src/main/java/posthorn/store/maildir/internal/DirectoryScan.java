package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file system side of one folder's scan: listing cur/ and new/, moving new/ to cur/, finding a
 * renamed message again, telling whether the folder can have changed since the last scan, and
 * cleaning tmp/. It keeps no message state; {@link MaildirFolder} decides what a listing means.
 *
 * <p>Other processes (an MDA, Courier's imapd) rename and remove files at any time, so every method
 * takes a vanished file as a normal outcome. Callers hold the folder's lock where a method says so.
 * Thread-safe otherwise (it only remembers which junk it has logged already).
 */
final class DirectoryScan {
    private static final Logger LOG = LoggerFactory.getLogger(DirectoryScan.class);
    /** A time newer than this may still change within the same file system clock tick. */
    static final long SETTLE_MILLIS = 2_000;
    /** Maildir: a file left in tmp/ this long is a failed delivery. */
    static final long TMP_STALE_SECONDS = 36 * 3600;
    /** How often one folder's tmp/ is looked at for stale files (Dovecot's interval too). */
    static final long TMP_CLEAN_INTERVAL_MILLIS = 8 * 3600_000L;
    private static final long NEVER = Long.MIN_VALUE;

    final Path dir;
    final Path cur;
    final Path newDir;
    final Path tmp;
    private final LongSupplier clock;
    /** Junk and trouble already logged, so that each is logged once. */
    private final Set<String> junkLogged = ConcurrentHashMap.newKeySet();
    /** When tmp/ was last cleaned, by {@link #clock}; {@link #NEVER} before the first time. */
    private final AtomicLong tmpCleaned = new AtomicLong(NEVER);

    /**
     * What tells whether the folder changed: the modification times of cur/, new/ and the keyword
     * directory, and the UID database's time and size. Times are in nanoseconds, as precise as the file
     * system keeps them (Linux: the kernel's clock tick), so that two changes within one second differ.
     */
    record Stamp(long cur, long newDir, long keywords, long db, long dbSize) {
        /** The newest of the times, in milliseconds. */
        long newest() {
            return Math.max(Math.max(cur, newDir), Math.max(keywords, db)) / 1_000_000;
        }
    }

    DirectoryScan(Path dir) {
        this(dir, System::currentTimeMillis);
    }

    /** @param clock wall-clock milliseconds, compared with file times; {@link System#currentTimeMillis} outside tests */
    DirectoryScan(Path dir, LongSupplier clock) {
        this.dir = dir;
        this.cur = dir.resolve("cur");
        this.newDir = dir.resolve("new");
        this.tmp = dir.resolve("tmp");
        this.clock = clock;
    }

    /** Creates whichever of cur/, new/ and tmp/ is missing in an existing directory, owner-only. */
    static void ensureSubdirectories(Path dir) throws IOException {
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Path p = dir.resolve(sub);
            if (!Files.isDirectory(p)) {
                try {
                    OwnerOnly.createDirectory(p);
                    LOG.info("Created missing {}", p);
                } catch (FileAlreadyExistsException e) {
                    if (!Files.isDirectory(p)) {
                        throw e;
                    }
                }
            }
        }
    }

    Path path(MessageFile f) {
        return (f.inNew() ? newDir : cur).resolve(f.name());
    }

    // --- the unchanged-folder shortcut ---

    /** The folder's times now, read without a lock; null if any cannot be read. */
    Stamp stamp() {
        try {
            BasicFileAttributes db = Files.readAttributes(dir.resolve(UidDb.FILE), BasicFileAttributes.class);
            Path kw = dir.resolve(CourierKeywords.DIR);
            long kwTime = Files.isDirectory(kw) ? nanos(Files.getLastModifiedTime(kw)) : 0;
            return new Stamp(nanos(Files.getLastModifiedTime(cur)), nanos(Files.getLastModifiedTime(newDir)),
                    kwTime, nanos(db.lastModifiedTime()), db.size());
        } catch (IOException e) {
            return null;
        }
    }

    private static long nanos(FileTime t) {
        return t.to(TimeUnit.NANOSECONDS);
    }

    /** Whether the newest of a stamp's times is older than the file system could still be writing within. */
    boolean settled(Stamp s) {
        return clock.getAsLong() - s.newest() > SETTLE_MILLIS;
    }

    /** Wall-clock milliseconds, by the clock this scan compares file times with. */
    long now() {
        return clock.getAsLong();
    }

    /**
     * Whether a scan may trust that nothing changed since {@code last} was taken (as Dovecot trusts
     * unchanged Maildir mtimes): the times are the same, and every one of them is older than the file
     * system could still be writing within, since a change in the same clock tick as a time read would
     * leave the time as it was.
     */
    boolean unchanged(Stamp last, Stamp now) {
        return last != null && now != null && now.equals(last) && settled(now);
    }

    // --- listing, under the folder's dot lock (FolderLock.withFile) ---

    /**
     * Moves every file in new/ to cur/ (adding the info part {@code :2,}), as a read-write handle
     * does; under the dot lock.
     *
     * @return the base names this call moved: they are \Recent for the handle that asked
     */
    Set<String> claimNew() throws IOException {
        Set<String> claimed = new HashSet<>();
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
        return claimed;
    }

    /**
     * Lists the messages in cur/ and new/ by base name (cur/ wins if a base is in both); under the dot
     * lock, with {@code numbered} loaded.
     *
     * @param claimNew leave out files in new/ that have no UID yet: they arrived after {@link #claimNew}
     *                 and wait for the next scan, which moves them and so makes them \Recent for its
     *                 handle (numbering them now would report them as not recent). Files in new/ that
     *                 have a UID already (a read-only handle saw them) stay.
     * @throws NoSuchFileException if cur/ is gone
     */
    Map<String, MessageFile> list(boolean claimNew, UidDb numbered) throws IOException {
        Map<String, MessageFile> listing = HashMap.newHashMap(numbered.size() + 64);
        listInto(listing, claimNew, numbered);
        // A rename racing readdir can hide a file from one listing (seen on ext4 with large
        // directories); listing again catches it, so that a flag change by another process is never
        // taken for an expunge. Only known messages that seem gone trigger it, and only twice.
        for (int extra = 0; extra < 2 && anyMissing(numbered, listing); extra++) {
            listInto(listing, claimNew, numbered);
        }
        return listing;
    }

    private void listInto(Map<String, MessageFile> listing, boolean claimNew, UidDb numbered) throws IOException {
        list(cur, false, listing);
        list(newDir, true, listing);
        if (claimNew) {
            listing.entrySet().removeIf(e -> e.getValue().inNew() && numbered.uid(e.getKey()) == 0);
        }
    }

    private static boolean anyMissing(UidDb numbered, Map<String, MessageFile> listing) {
        for (String base : numbered.bases()) {
            if (!listing.containsKey(base)) {
                return true;
            }
        }
        return false;
    }

    private void list(Path sub, boolean inNew, Map<String, MessageFile> into) throws IOException {
        // java.io's list gives the names alone: no Path (and its offsets array) per file, which a
        // 50,000-message folder paid at every listing (issue 14). It says nothing of why it failed
        // (null), so the NIO stream then runs to throw the precise exception.
        String[] names = sub.toFile().list();
        if (names == null) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(sub)) {
                for (Path p : files) {
                    add(sub, inNew, p.getFileName().toString(), into);
                }
            } catch (NoSuchFileException e) {
                if (!inNew) {
                    throw e;
                }
            }
            return;
        }
        for (String name : names) {
            add(sub, inNew, name, into);
        }
    }

    private void add(Path sub, boolean inNew, String name, Map<String, MessageFile> into) {
        if (name.startsWith(".")) {
            return;
        }
        if (!inNew && name.indexOf(':') < 0 && junkLogged.add(name)) {
            LOG.info("{} in {} has no info part; taking it as a message without flags", name, sub);
        }
        into.putIfAbsent(MaildirFileName.baseOf(name), new MessageFile(inNew, name));
    }

    /**
     * Checks a listed file before it gets a UID (under the dot lock): its attributes if it is still
     * there and a regular file, else null; junk is logged once.
     */
    BasicFileAttributes regularFile(MessageFile f) throws IOException {
        Path p = path(f);
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null; // renamed or removed since the listing; the next scan sees its new name
        }
        if (!attrs.isRegularFile()) {
            if (junkLogged.add(f.name())) {
                LOG.warn("Ignoring {}: not a regular file", p);
            }
            return null;
        }
        return attrs;
    }

    /**
     * Finds a message's current file by listing cur/ and new/; null if it is gone. The caller holds
     * the in-process lock, so that no rename of ours runs meanwhile.
     *
     * @throws NoSuchFileException if cur/ is gone
     */
    MessageFile find(String base) throws IOException {
        for (Path sub : new Path[] {cur, newDir}) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(sub)) {
                for (Path p : files) {
                    String name = p.getFileName().toString();
                    if (!name.startsWith(".") && MaildirFileName.parse(name).base().equals(base)) {
                        return new MessageFile(sub == newDir, name);
                    }
                }
            } catch (NoSuchFileException e) {
                if (sub == cur) {
                    throw e;
                }
            }
        }
        return null;
    }

    /**
     * Cleans tmp/ unless this folder's tmp/ was cleaned within {@link #TMP_CLEAN_INTERVAL_MILLIS}:
     * the first time a process opens or scans a folder, and again at the first open or scan after each
     * interval, however long the folder stays open or cached (a server runs for weeks). The check costs
     * one clock read; one caller at a time does the cleaning, without the folder's lock (it removes
     * only files nobody has touched for 36 hours).
     */
    void cleanTmpIfDue() {
        long now = clock.getAsLong();
        long last = tmpCleaned.get();
        if (last != NEVER && now - last < TMP_CLEAN_INTERVAL_MILLIS) {
            return;
        }
        if (tmpCleaned.compareAndSet(last, now)) {
            cleanTmp();
        }
    }

    /**
     * The Maildir convention: a file left in tmp/ for 36 hours is a failed delivery (an APPEND or an MDA
     * killed mid-flight); removes it. Its age is its modification time, and also the time its name
     * starts with, where it starts with one as unique Maildir names do: a message being appended or
     * copied right now carries its INTERNALDATE as its modification time, which may be years old, but
     * its name is from the moment the delivery began.
     */
    void cleanTmp() {
        long cutoff = Instant.ofEpochMilli(clock.getAsLong()).minusSeconds(TMP_STALE_SECONDS).toEpochMilli();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(tmp)) {
            for (Path p : files) {
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    long named = MaildirFileName.deliveryTime(p.getFileName().toString());
                    boolean namedLongAgo = named == Long.MAX_VALUE || named < cutoff / 1000;
                    if (a.isRegularFile() && a.lastModifiedTime().toMillis() < cutoff && namedLongAgo) {
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
}
