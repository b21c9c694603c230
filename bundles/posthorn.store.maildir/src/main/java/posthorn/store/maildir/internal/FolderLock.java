package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock around a folder's read-modify-write of its UID database, keywords list and ACL: a JVM-wide
 * in-process lock per directory, plus (against other processes) Courier's own dot lock,
 * {@code tmp/courier.lock}, taken as Courier-IMAP takes it (IMAP_USELOCKS=1, the Debian default; seen
 * with strace): write {@code PID:HOST} to a unique file in tmp/, {@code link(2)} it to
 * {@code tmp/courier.lock}, unlink the unique file; release by unlinking the lock. A lock whose PID
 * (on this host) no longer runs is stale and removed, as Courier does, so a kill -9 never blocks the
 * folder for long. A lock older than maildir.cfg's lock.stale is taken as stale too (another host or
 * PID namespace; Courier holds it only for a scan); so that a live holder's lock never looks stale to
 * another host however long it is held, this process refreshes the time of every lock it holds every
 * quarter of lock.stale. link(2) is atomic over NFS (v2 and later) as over a local file system, which
 * is why Courier and this lock use it rather than O_EXCL or fcntl/flock; the ages compare file times
 * with this host's clock, so nodes sharing a store keep their clocks in step (NTP).
 *
 * <p>Why the in-process part is JVM-wide rather than per store instance: two store instances in one JVM
 * (DS reconfiguration, tests) share the PID, so the dot lock cannot tell them apart. Entries are
 * reference counted and removed when nobody holds or waits for them.
 */
final class FolderLock {
    static final String LOCK_FILE = "courier.lock";
    private static final Logger LOG = LoggerFactory.getLogger(FolderLock.class);
    /** maildir.cfg lock.timeout's default: longer than {@link #DEFAULT_STALE_S}, see {@link #configure}. */
    static final long DEFAULT_TIMEOUT_S = 150;
    /** maildir.cfg lock.stale's default (Dovecot's dotlock stale timeout for its uidlist is 2 minutes too). */
    static final long DEFAULT_STALE_S = 120;
    private static volatile long fileLockTimeoutMs = DEFAULT_TIMEOUT_S * 1000;
    private static volatile long staleAgeS = DEFAULT_STALE_S;
    /** Dot locks this process holds now, whose time {@link #refresh} keeps young. */
    private static final java.util.Set<Path> HELD_FILES = ConcurrentHashMap.newKeySet();
    private static final java.util.concurrent.ScheduledExecutorService REFRESHER =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "posthorn-maildir-lock-refresh");
                t.setDaemon(true);
                return t;
            });
    private static java.util.concurrent.ScheduledFuture<?> refreshing;

    static {
        configure(DEFAULT_STALE_S, DEFAULT_TIMEOUT_S); // the defaults hold outside DS too (posthorn imapd, tests)
    }
    private static final long PID = ProcessHandle.current().pid();
    private static final ConcurrentHashMap<Path, Counted> LOCKS = new ConcurrentHashMap<>();

    private static final class Counted {
        final ReentrantLock lock = new ReentrantLock();
        int users; // changed only inside LOCKS.compute for this key
        int fileDepth; // guarded by lock
    }

    /** Held locks; close releases them. Used by one thread, in try-with-resources. */
    static final class Held implements AutoCloseable {
        private final Path dir;
        private final Counted counted;
        private boolean file;
        private boolean closed;

        private Held(Path dir, Counted counted) {
            this.dir = dir;
            this.counted = counted;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (file && --counted.fileDepth == 0) {
                    HELD_FILES.remove(dir.resolve("tmp").resolve(LOCK_FILE));
                    try {
                        Files.deleteIfExists(dir.resolve("tmp").resolve(LOCK_FILE));
                    } catch (IOException e) {
                        LOG.warn("Cannot remove {}: {}", dir.resolve("tmp").resolve(LOCK_FILE), e.toString());
                    }
                }
            } finally {
                counted.lock.unlock();
                release(dir);
            }
        }
    }

    private FolderLock() {
    }

    /** The in-process lock only: for renames and deletes that do not touch the UID database. */
    static Held inProcess(Path dir) {
        Counted c = LOCKS.compute(dir, (k, v) -> {
            Counted r = v == null ? new Counted() : v;
            r.users++;
            return r;
        });
        c.lock.lock();
        return new Held(dir, c);
    }

    /** The in-process lock and Courier's dot lock, for the UID database and the other shared files. */
    static Held withFile(Path dir) throws IOException {
        Held held = inProcess(dir);
        Counted c = held.counted;
        if (c.fileDepth > 0) {
            c.fileDepth++;
            held.file = true;
            return held;
        }
        try {
            dotLock(dir);
            HELD_FILES.add(dir.resolve("tmp").resolve(LOCK_FILE));
            c.fileDepth = 1;
            held.file = true;
            return held;
        } catch (IOException | RuntimeException e) {
            held.close();
            throw e;
        }
    }

    private static void dotLock(Path dir) throws IOException {
        Path tmp = dir.resolve("tmp");
        Path lock = tmp.resolve(LOCK_FILE);
        Path mine = tmp.resolve(MaildirFileName.unique() + "_courierlock");
        if (!Files.isDirectory(tmp)) {
            if (!Files.isDirectory(dir)) {
                throw new NoSuchFileException(dir.toString());
            }
            DirectoryScan.ensureSubdirectories(dir);
        }
        OwnerOnly.write(mine, (PID + ":" + MaildirFileName.host()).getBytes(StandardCharsets.US_ASCII));
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(fileLockTimeoutMs);
            long pause = 1;
            while (true) {
                try {
                    Files.createLink(lock, mine);
                    return;
                } catch (FileAlreadyExistsException e) {
                    // held; see below
                }
                if (breakIfStale(lock)) {
                    continue;
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("Timed out waiting for " + lock);
                }
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("Interrupted waiting for " + lock, e);
                }
                pause = Math.min(pause * 2, 20);
            }
        } finally {
            Files.deleteIfExists(mine);
        }
    }

    /** Removes a lock left by a process that no longer runs; true if the caller should try again. */
    private static boolean breakIfStale(Path lock) {
        try {
            String text = new String(Files.readAllBytes(lock), StandardCharsets.US_ASCII).trim();
            int colon = text.indexOf(':');
            String host = colon < 0 ? "" : text.substring(colon + 1);
            long pid = -1;
            try {
                pid = Long.parseLong(colon < 0 ? text : text.substring(0, colon));
            } catch (NumberFormatException e) {
                // unreadable: only its age can make it stale
            }
            boolean dead = pid > 0 && host.equals(MaildirFileName.host()) && pid != PID
                    && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
            long age = Instant.now().getEpochSecond() - Files.getLastModifiedTime(lock).toInstant().getEpochSecond();
            if (dead || age > staleAgeS) {
                LOG.warn("Removing stale {} ({}, {} s old)", lock, text, age);
                Files.deleteIfExists(lock);
                return true;
            }
            return false;
        } catch (NoSuchFileException e) {
            return true; // released meanwhile
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * maildir.cfg's lock.stale and lock.timeout (checked there: timeout longer than stale, so that a
     * waiter outlasts a lock whose holder died on another host); takes effect for the next wait.
     */
    static synchronized void configure(long staleSeconds, long timeoutSeconds) {
        staleAgeS = staleSeconds;
        fileLockTimeoutMs = timeoutSeconds * 1000;
        if (refreshing != null) {
            refreshing.cancel(false);
        }
        long every = Math.max(1, staleSeconds / 4);
        refreshing = REFRESHER.scheduleWithFixedDelay(FolderLock::refresh, every, every, TimeUnit.SECONDS);
    }

    /**
     * Sets the time of every dot lock held here to now, so that other hosts (which can only judge a
     * lock by its age) never take a live holder's lock for stale. A lock released meanwhile is gone or
     * another's; touching another's makes it younger by a moment, which is harmless.
     */
    private static void refresh() {
        java.nio.file.attribute.FileTime now = java.nio.file.attribute.FileTime.from(Instant.now());
        for (Path lock : HELD_FILES) {
            try {
                Files.setLastModifiedTime(lock, now);
            } catch (NoSuchFileException e) {
                // released meanwhile
            } catch (IOException e) {
                LOG.warn("Cannot refresh {}: {}", lock, e.toString());
            }
        }
    }

    /** For tests: the stale age and wait in force. */
    static long[] settings() {
        return new long[] {staleAgeS, fileLockTimeoutMs / 1000};
    }

    private static void release(Path dir) {
        LOCKS.computeIfPresent(dir, (k, v) -> --v.users == 0 ? null : v);
    }

    /** For tests: how many directories have a live lock entry. */
    static int liveEntries() {
        return LOCKS.size();
    }
}
