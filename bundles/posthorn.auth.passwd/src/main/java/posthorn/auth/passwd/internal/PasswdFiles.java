package posthorn.auth.passwd.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.support.file.ReloadingFile;

/**
 * The passwd and shadow files, kept in memory and re-read when either changes (when to look, and
 * who does, is {@link ReloadingFile}'s rule; useradd and passwd(1) replace the files by a rename).
 *
 * <p>Failure policy: a passwd file that cannot be read, or has gone, keeps the last good snapshot;
 * if there never was one, lookups answer "unavailable". A shadow file that cannot be read (the
 * server does not run as root, and is not in group shadow) leaves the accounts known, but those
 * whose hash is in shadow answer "unavailable": that is a set-up problem, not a wrong password.
 * Each problem is logged once until it changes.
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

    private final ReloadingFile<Snapshot> files;

    /** Reads the files now. {@code shadow} may be null: then the hashes are in passwd. */
    PasswdFiles(Path passwd, Path shadow, Duration checkInterval, LongSupplier nanoClock) {
        Objects.requireNonNull(passwd, "passwd");
        this.files = new ReloadingFile<>("passwd file " + passwd, checkInterval, nanoClock, new Reader(passwd, shadow));
    }

    /** The current snapshot, re-read first if the check interval has passed and a file changed. */
    Snapshot current() {
        return files.current();
    }

    /** passwd(5) and shadow(5) for the {@link ReloadingFile}. */
    private record Reader(Path passwdPath, Path shadowPath) implements ReloadingFile.Reader<Snapshot> {

        @Override
        public List<Path> files() {
            return shadowPath == null ? List.of(passwdPath) : List.of(passwdPath, shadowPath);
        }

        @Override
        public Snapshot read(List<Path> files, Snapshot previous) throws IOException {
            String passwdText = Files.readString(passwdPath, StandardCharsets.UTF_8);
            String shadowText = null;
            String shadowProblem = null;
            if (shadowPath != null) {
                try {
                    shadowText = Files.readString(shadowPath, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    shadowProblem = "cannot read shadow file " + shadowPath + " (" + e.getClass().getSimpleName() + ")";
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
            if (shadowProblem != null && !shadowProblem.equals(previous.shadowProblem())) {
                LOG.warn("{}; accounts whose password is in it cannot log in until it can be read"
                        + " (run as root, or in group shadow)", shadowProblem);
            }
            LOG.info("passwd {} loaded: {} accounts, {} shadow entries", passwdPath, pw.entries().size(),
                    sh == null ? 0 : sh.entries().size());
            return new Snapshot(pw.entries(), sh == null ? Map.of() : sh.entries(), null, shadowProblem,
                    ConcurrentHashMap.newKeySet());
        }

        @Override
        public Snapshot unreadable(String why) {
            return Snapshot.unavailable("passwd file " + passwdPath + ": " + why);
        }
    }
}
