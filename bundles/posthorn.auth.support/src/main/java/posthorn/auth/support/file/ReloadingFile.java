package posthorn.auth.support.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files kept in memory as one value, re-read when one of them changes: its size, modification time
 * or inode (tools such as passwd(1), useradd and Courier's userdb replace a file by a rename), or
 * whether it exists and can be read. What the files mean is the {@link Reader}'s business.
 *
 * <p>Threading: {@link #current()} is called from many sessions at once and never waits. It
 * returns the value last read, which must be immutable; at most once per check interval one caller
 * (whoever wins a try-lock) looks at the files and, if they changed, re-reads them, while the
 * others go on with the value they have.
 *
 * <p>Failure policy: when the files cannot be listed or read (the reader throws
 * {@link IOException}), the last good value stays and the next check tries again; if nothing was
 * ever read, the value is the reader's {@link Reader#unreadable}. Each problem is logged once,
 * until it changes or goes away. What a missing file means (no accounts, or a passing problem) is
 * for the reader to say: it may answer a value for it or throw.
 *
 * @param <T> the value lookups see
 */
public final class ReloadingFile<T> {

    private static final Logger LOG = LoggerFactory.getLogger(ReloadingFile.class);

    /** Turns the files into the value. Called under this class's lock, one call at a time. */
    public interface Reader<T> {

        /**
         * The files to watch and read now: one file, or the files of a directory tree. A file that
         * does not exist may be listed, so that its appearing counts as a change.
         *
         * @throws IOException if they cannot be listed: the last good value stays
         */
        List<Path> files() throws IOException;

        /**
         * Reads the files.
         *
         * @param files    what {@link #files()} just listed
         * @param previous the value read before (the {@link #unreadable} one at first)
         * @throws IOException if they cannot be read: the last good value stays
         */
        T read(List<Path> files, T previous) throws IOException;

        /** The value while nothing could be read yet, with the reason. */
        T unreadable(String why);
    }

    /** A file's identity at the last look: a change in any of these means re-read. */
    private record Stamp(Path path, boolean exists, long size, long mtimeNanos, Object fileKey, boolean readable) {
    }

    private final String what;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final Reader<T> reader;
    private final ReentrantLock checking = new ReentrantLock();

    private volatile T value;
    private volatile long lastCheck;
    private List<Stamp> lastStamps; // guarded by checking; null: read again at the next check
    private boolean loaded; // guarded by checking: a read has succeeded
    private String lastProblem; // guarded by checking: the problem logged last, to log each once

    /**
     * Reads the files now.
     *
     * @param what          names the files in log lines, e.g. {@code "userdb /etc/courier/userdb"}
     * @param checkInterval how long a read stays current before the files are looked at again
     * @param nanoClock     {@link System#nanoTime()} or a test's clock
     */
    public ReloadingFile(String what, Duration checkInterval, LongSupplier nanoClock, Reader<T> reader) {
        this.what = Objects.requireNonNull(what, "what");
        this.intervalNanos = checkInterval.toNanos();
        this.clock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.reader = Objects.requireNonNull(reader, "reader");
        this.value = reader.unreadable("not read yet");
        checking.lock();
        try {
            lastCheck = clock.getAsLong();
            refresh();
        } finally {
            checking.unlock();
        }
    }

    /** The current value, re-read first if the check interval has passed and the files changed. */
    public T current() {
        long now = clock.getAsLong();
        if (now - lastCheck >= intervalNanos && checking.tryLock()) {
            try {
                lastCheck = now;
                refresh();
            } finally {
                checking.unlock();
            }
        }
        return value;
    }

    private void refresh() {
        List<Path> files;
        List<Stamp> stamps;
        try {
            files = reader.files();
            stamps = new ArrayList<>(files.size());
            for (Path f : files) {
                stamps.add(stamp(f));
            }
        } catch (IOException | RuntimeException e) {
            keepLastGood("cannot list it (" + e.getClass().getSimpleName() + ")");
            return;
        }
        if (stamps.equals(lastStamps)) {
            return;
        }
        T read;
        try {
            read = reader.read(List.copyOf(files), value);
        } catch (IOException | UncheckedIOException e) {
            keepLastGood("cannot read it (" + e.getClass().getSimpleName() + ")");
            return;
        }
        value = read;
        lastStamps = stamps;
        loaded = true;
        lastProblem = null;
    }

    private void keepLastGood(String why) {
        lastStamps = null;
        if (!loaded) {
            value = reader.unreadable(why);
        }
        if (why.equals(lastProblem)) {
            return;
        }
        lastProblem = why;
        if (loaded) {
            LOG.warn("{}: {}; keeping what was read before", what, why);
        } else {
            LOG.warn("{}: {}; lookups fail until it can be read", what, why);
        }
    }

    private static Stamp stamp(Path p) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (IOException e) {
            return new Stamp(p, false, -1, -1, null, false);
        }
        return new Stamp(p, true, a.size(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.fileKey(),
                Files.isReadable(p));
    }
}
