package posthorn.auth.passwd.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The passwd and shadow files, kept in memory and re-read when either changes (size, mtime or
 * inode, as tools like useradd and passwd replace the file by a rename).
 *
 * <p>Threading: {@link #current()} is called from many sessions at once. It returns an immutable
 * snapshot; at most once per check interval one caller (whoever wins a try-lock) looks at the
 * files and re-reads them if they changed, while the others go on with the snapshot they have.
 *
 * <p>Failure policy: a file that cannot be read keeps the last good snapshot; if there never was
 * one, lookups answer "unavailable". A shadow file that cannot be read (the server does not run as
 * root, and is not in group shadow) leaves the accounts known, but those whose hash is in shadow
 * answer "unavailable": that is a set-up problem, not a wrong password. Each problem is logged once
 * until it changes.
 */
final class PasswdFiles {

    private static final Logger LOG = LoggerFactory.getLogger(PasswdFiles.class);

    /**
     * What lookups see.
     *
     * @param shadowProblem why the shadow file could not be read, or null
     * @param reported      what has been logged of this snapshot's accounts, so each is logged once
     */
    record Snapshot(Map<String, PasswdEntry> passwd, Map<String, ShadowEntry> shadow, String problem,
                    String shadowProblem, Set<String> reported) {

        static Snapshot unavailable(String problem) {
            return new Snapshot(Map.of(), Map.of(), problem, null, Set.of());
        }

        boolean available() {
            return problem == null;
        }

        /** True the first time it is asked for a key in this snapshot. */
        boolean firstReport(String key) {
            return reported.add(key);
        }
    }

    private record Stamp(long size, long mtimeNanos, Object fileKey) {
    }

    private final Path passwdPath;
    private final Path shadowPath;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final ReentrantLock checking = new ReentrantLock();
    private volatile Snapshot snapshot = Snapshot.unavailable("not read yet");
    private long lastCheck;
    private Stamp lastPasswd;
    private Stamp lastShadow;
    private String lastProblem;

    /** Reads the files now. {@code shadow} may be null: then the hashes are in passwd. */
    PasswdFiles(Path passwd, Path shadow, long checkIntervalNanos, LongSupplier nanoClock) {
        this.passwdPath = Objects.requireNonNull(passwd, "passwd");
        this.shadowPath = shadow;
        this.intervalNanos = checkIntervalNanos;
        this.clock = nanoClock;
        checking.lock();
        try {
            lastCheck = clock.getAsLong();
            refresh();
        } finally {
            checking.unlock();
        }
    }

    /** The current snapshot, re-read first if the check interval has passed and a file changed. */
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
        Stamp p;
        Stamp s = null;
        String shadowProblem = null;
        try {
            p = stamp(passwdPath);
        } catch (NoSuchFileException e) {
            problem("passwd file " + passwdPath + " does not exist");
            return;
        } catch (IOException e) {
            problem("cannot read passwd file " + passwdPath + " (" + e.getClass().getSimpleName() + ")");
            return;
        }
        if (shadowPath != null) {
            try {
                s = stamp(shadowPath);
            } catch (IOException e) {
                shadowProblem = "cannot read shadow file " + shadowPath + " (" + e.getClass().getSimpleName() + ")";
            }
        }
        if (p.equals(lastPasswd) && Objects.equals(s, lastShadow) && snapshot.available()
                && Objects.equals(shadowProblem, snapshot.shadowProblem())) {
            return;
        }
        String passwdText;
        String shadowText = null;
        try {
            passwdText = Files.readString(passwdPath, StandardCharsets.UTF_8);
        } catch (IOException e) {
            problem("cannot read passwd file " + passwdPath + " (" + e.getClass().getSimpleName() + ")");
            return;
        }
        if (s != null) {
            try {
                shadowText = Files.readString(shadowPath, StandardCharsets.UTF_8);
            } catch (IOException e) {
                shadowProblem = "cannot read shadow file " + shadowPath + " (" + e.getClass().getSimpleName() + ")";
                s = null;
            }
        }
        PasswdParser.Result<PasswdEntry> pw = PasswdParser.passwd(passwdText);
        PasswdParser.Result<ShadowEntry> sh = shadowText == null ? null : PasswdParser.shadow(shadowText);
        if (!pw.badLines().isEmpty()) {
            LOG.warn("passwd {}: skipped malformed lines {}", passwdPath, pw.badLines());
        }
        if (sh != null && !sh.badLines().isEmpty()) {
            LOG.warn("shadow {}: skipped malformed lines {}", shadowPath, sh.badLines());
        }
        if (shadowProblem != null && !shadowProblem.equals(snapshot.shadowProblem())) {
            LOG.warn("{}; accounts whose password is in it cannot log in until it can be read"
                    + " (run as root, or in group shadow)", shadowProblem);
        }
        lastPasswd = p;
        lastShadow = s;
        lastProblem = null;
        snapshot = new Snapshot(pw.entries(), sh == null ? Map.of() : sh.entries(), null, shadowProblem,
                ConcurrentHashMap.newKeySet());
        LOG.info("passwd {} loaded: {} accounts, {} shadow entries", passwdPath, pw.entries().size(),
                sh == null ? 0 : sh.entries().size());
    }

    private void problem(String why) {
        lastPasswd = null; // so the next check tries again
        if (!why.equals(lastProblem)) {
            lastProblem = why;
            if (snapshot.available()) {
                LOG.warn("{}; keeping the {} accounts read before", why, snapshot.passwd().size());
            } else {
                LOG.warn("{}; every passwd login fails until it can be read", why);
            }
        }
        if (!snapshot.available()) {
            snapshot = Snapshot.unavailable(why);
        }
    }

    private static Stamp stamp(Path p) throws IOException {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
        if (!a.isRegularFile()) {
            throw new IOException("not a regular file");
        }
        Files.newByteChannel(p).close(); // readable at all? (shadow is 0640 root:shadow)
        return new Stamp(a.size(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.fileKey());
    }
}
