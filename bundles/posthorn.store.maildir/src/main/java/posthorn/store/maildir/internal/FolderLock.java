package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The lock around a folder's read-modify-write of its UID database and its renames: a JVM-wide
 * in-process lock per directory, plus (for the UID database) an exclusive {@link FileLock} on
 * {@value #LOCK_FILE} so other processes that honour it do not assign the same UIDs.
 *
 * <p>Why the in-process part is JVM-wide rather than per store instance: POSIX record locks belong to
 * the process, so a second store instance in the same JVM (DS reconfiguration, tests) would get
 * {@link OverlappingFileLockException}, and closing its channel would drop the other's lock. With one
 * in-process lock per directory for the whole JVM, only one thread at a time ever opens the lock file.
 * Entries are reference counted and removed when nobody holds or waits for them.
 */
final class FolderLock {
    static final String LOCK_FILE = "courierimapuiddb.lock";
    private static final long FILE_LOCK_TIMEOUT_MS = 30_000;
    private static final ConcurrentHashMap<Path, Counted> LOCKS = new ConcurrentHashMap<>();

    private static final class Counted {
        final ReentrantLock lock = new ReentrantLock();
        int users; // changed only inside LOCKS.compute for this key
        FileChannel channel; // set while the outermost file-lock holder holds it
        FileLock fileLock;
        int fileDepth;
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
                    try {
                        counted.fileLock.release();
                    } catch (IOException ignored) {
                        // closing the channel below releases it as well
                    }
                    try {
                        counted.channel.close();
                    } catch (IOException ignored) {
                        // nothing more to release
                    }
                    counted.fileLock = null;
                    counted.channel = null;
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

    /** The in-process lock and the lock file, for the UID database. */
    static Held withFile(Path dir) throws IOException {
        Held held = inProcess(dir);
        Counted c = held.counted;
        if (c.fileDepth > 0) {
            c.fileDepth++;
            held.file = true;
            return held;
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FILE_LOCK_TIMEOUT_MS);
            FileLock lock;
            while ((lock = tryLock(ch)) == null) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("Timed out waiting for " + dir.resolve(LOCK_FILE));
                }
                Thread.sleep(5);
            }
            c.channel = ch;
            c.fileLock = lock;
            c.fileDepth = 1;
            held.file = true;
            return held;
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            held.close();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(ch);
            held.close();
            throw new IOException("Interrupted waiting for " + dir.resolve(LOCK_FILE), e);
        }
    }

    private static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException e) {
            return null; // cannot happen while the in-process lock is held, but never fail on it
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    private static void release(Path dir) {
        LOCKS.computeIfPresent(dir, (k, v) -> --v.users == 0 ? null : v);
    }

    /** For tests: how many directories have a live lock entry. */
    static int liveEntries() {
        return LOCKS.size();
    }
}
