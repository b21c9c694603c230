package posthorn.auth.userdb.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A userdb file, or a directory of them (as makeuserdb(8) reads {@code /etc/courier/userdb}: every
 * file below it, recursively, in name order, skipping names that start with '.', such as the
 * {@code .lock.*} and {@code .tmp.*} files userdb(8) leaves), kept in memory and re-read when it
 * changes.
 *
 * <p>Threading: {@link #current()} is called from many sessions at once. It returns an immutable
 * snapshot; at most once per check interval one caller (whoever wins a try-lock) compares the
 * files' size, mtime and inode with the last read and, if they differ, re-reads them, while the
 * others go on with the snapshot they have.
 *
 * <p>Failure policy: a malformed line is skipped and reported by number (never its content, which
 * may hold a hash); if it names an account the last good snapshot had, that account's old entry is
 * kept. A file that cannot be read keeps the whole last good snapshot. A missing file means no
 * accounts at all, and lookups answer "unavailable"; that is logged once until it changes.
 */
final class UserdbFile {

    private static final Logger LOG = LoggerFactory.getLogger(UserdbFile.class);

    /** What lookups see. {@code available} is false when there is nothing to answer from. */
    record Snapshot(Map<String, UserdbEntry> entries, boolean available, String reason, boolean hasHmac,
                    Set<String> reported) {

        static Snapshot unavailable(String reason) {
            return new Snapshot(Map.of(), false, reason, false, Set.of());
        }

        static Snapshot of(Map<String, UserdbEntry> entries) {
            boolean hmac = entries.values().stream().anyMatch(e -> e.hmacMd5State() != null);
            return new Snapshot(Map.copyOf(entries), true, null, hmac, ConcurrentHashMap.newKeySet());
        }

        /**
         * The entry for a login name: an exact match, else the lower-case name (makeuserdb(8) wants
         * names in lower case where Courier treats case as insignificant).
         */
        UserdbEntry find(String user) {
            if (user == null) {
                return null;
            }
            UserdbEntry e = entries.get(user);
            return e != null ? e : entries.get(user.toLowerCase(Locale.ROOT));
        }

        /** True the first time a key is offered per snapshot: keeps repeated warnings to one line. */
        boolean firstReport(String key) {
            return reported.add(key);
        }
    }

    /** A file's identity at the last look: a change in any of these means re-read. */
    private record Stamp(Path path, long size, long mtimeNanos, Object fileKey) {
    }

    private final Path path;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final ReentrantLock checking = new ReentrantLock();

    private volatile Snapshot snapshot = Snapshot.unavailable("not read yet");
    private volatile long lastCheck;
    private List<Stamp> lastStamps; // guarded by checking
    private boolean everLoaded; // guarded by checking
    private String lastProblem; // guarded by checking: the last problem logged, to log each once

    UserdbFile(Path path, Duration checkInterval) {
        this(path, checkInterval, System::nanoTime);
    }

    UserdbFile(Path path, Duration checkInterval, LongSupplier nanoClock) {
        this.path = Objects.requireNonNull(path, "path");
        this.intervalNanos = checkInterval.toNanos();
        this.clock = nanoClock;
        checking.lock();
        try {
            lastCheck = clock.getAsLong();
            refresh();
        } finally {
            checking.unlock();
        }
    }

    Path path() {
        return path;
    }

    /** The current snapshot, re-read first if the check interval has passed and the files changed. */
    Snapshot current() {
        long now = clock.getAsLong();
        if (now - lastCheck >= intervalNanos && checking.tryLock()) {
            try {
                lastCheck = now;
                refresh();
            } finally {
                checking.unlock();
            }
        }
        return snapshot;
    }

    private void refresh() {
        List<Stamp> stamps;
        try {
            stamps = stamps();
        } catch (NoSuchFileException e) {
            if (!"missing".equals(lastProblem)) {
                LOG.warn("userdb {} does not exist; every userdb login fails until it does", path);
                lastProblem = "missing";
            }
            lastStamps = null;
            everLoaded = false;
            snapshot = Snapshot.unavailable("userdb file missing");
            return;
        } catch (IOException | RuntimeException e) {
            keepLastGood("cannot list it (" + e.getClass().getSimpleName() + ")");
            return;
        }
        if (stamps.equals(lastStamps)) {
            return;
        }
        List<UserdbParser.Source> sources = new ArrayList<>(stamps.size());
        try {
            for (Stamp s : stamps) {
                sources.add(new UserdbParser.Source(s.path().toString(), Files.readAllBytes(s.path())));
            }
        } catch (IOException e) {
            keepLastGood("cannot read it (" + e.getClass().getSimpleName() + ")");
            return;
        }
        UserdbParser.Result result = UserdbParser.parse(sources);
        Map<String, UserdbEntry> entries = new LinkedHashMap<>(result.entries());
        int kept = 0;
        for (UserdbParser.BadLine bad : result.badLines()) {
            UserdbEntry old = bad.name() == null || !everLoaded ? null : snapshot.entries().get(bad.name());
            if (old != null && entries.putIfAbsent(bad.name(), old) == null) {
                kept++;
            }
        }
        if (!result.badLines().isEmpty()) {
            LOG.warn("userdb {}: skipped malformed lines {}; kept the previous entry for {} of them", path,
                    result.badLines(), kept);
        }
        warnIfOpen();
        lastStamps = stamps;
        lastProblem = null;
        everLoaded = true;
        snapshot = Snapshot.of(entries);
        LOG.info("userdb {} loaded: {} accounts", path, entries.size());
    }

    private void keepLastGood(String why) {
        lastStamps = null; // so the next check tries again
        if (why.equals(lastProblem)) {
            return;
        }
        lastProblem = why;
        if (everLoaded) {
            LOG.warn("userdb {}: {}; keeping the {} accounts read before", path, why, snapshot.entries().size());
        } else {
            LOG.warn("userdb {}: {}; every userdb login fails until it can be read", path, why);
            snapshot = Snapshot.unavailable("userdb file unreadable");
        }
    }

    private List<Stamp> stamps() throws IOException {
        BasicFileAttributes top = Files.readAttributes(path, BasicFileAttributes.class);
        if (!top.isDirectory()) {
            return List.of(stamp(path, top));
        }
        List<Stamp> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.filter(p -> !p.equals(path) && !hiddenBelowRoot(p))
                    .sorted(Comparator.comparing(Path::toString)).collect(Collectors.toList())) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                if (a.isRegularFile()) {
                    out.add(stamp(p, a));
                }
            }
        }
        return out;
    }

    /** makeuserdb skips every name below the top directory that starts with '.'. */
    private boolean hiddenBelowRoot(Path p) {
        for (Path part : path.relativize(p)) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static Stamp stamp(Path p, BasicFileAttributes a) {
        return new Stamp(p, a.size(), a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS),
                a.fileKey());
    }

    /** makeuserdb refuses a userdb readable by group or others; we only warn. */
    private void warnIfOpen() {
        try {
            Set<PosixFilePermission> perms = Files.readAttributes(path, PosixFileAttributes.class).permissions();
            if (perms.stream().anyMatch(x -> x.name().startsWith("GROUP") || x.name().startsWith("OTHERS"))) {
                LOG.warn("userdb {} has group or world permissions; it may hold password hashes (chmod 600)",
                        path);
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: nothing to check
        }
    }
}
