package posthorn.auth.userdb.internal;

import java.io.IOException;
import java.nio.file.Files;
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
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.support.file.ReloadingFile;

/**
 * A userdb file, or a directory of them (as makeuserdb(8) reads {@code /etc/courier/userdb}: every
 * file below it, recursively, in name order, skipping names that start with '.', such as the
 * {@code .lock.*} and {@code .tmp.*} files userdb(8) leaves), kept in memory and re-read when it
 * changes.
 *
 * <p>Threading: {@link #current()} is called from many sessions at once and returns an immutable
 * snapshot; when to look at the files again, and who does, is {@link ReloadingFile}'s rule.
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

    private final Path path;
    private final ReloadingFile<Snapshot> file;

    UserdbFile(Path path, Duration checkInterval) {
        this(path, checkInterval, System::nanoTime);
    }

    UserdbFile(Path path, Duration checkInterval, LongSupplier nanoClock) {
        this.path = Objects.requireNonNull(path, "path");
        this.file = new ReloadingFile<>("userdb " + path, checkInterval, nanoClock, new Reader());
    }

    Path path() {
        return path;
    }

    /** The current snapshot, re-read first if the check interval has passed and the files changed. */
    Snapshot current() {
        return file.current();
    }

    /** The userdb format and makeuserdb's directory rules, for the {@link ReloadingFile}. */
    private final class Reader implements ReloadingFile.Reader<Snapshot> {

        @Override
        public List<Path> files() throws IOException {
            if (!Files.isDirectory(path)) {
                return List.of(path); // a file; if missing, watched so that its appearing is seen
            }
            List<Path> out = new ArrayList<>();
            try (Stream<Path> walk = Files.walk(path)) {
                for (Path p : walk.filter(p -> !p.equals(path) && !hiddenBelowRoot(p))
                        .sorted(Comparator.comparing(Path::toString)).collect(Collectors.toList())) {
                    if (Files.readAttributes(p, BasicFileAttributes.class).isRegularFile()) {
                        out.add(p);
                    }
                }
            }
            return out;
        }

        @Override
        public Snapshot read(List<Path> files, Snapshot previous) throws IOException {
            if (!Files.exists(path)) {
                LOG.warn("userdb {} does not exist; every userdb login fails until it does", path);
                return Snapshot.unavailable("userdb file missing");
            }
            List<UserdbParser.Source> sources = new ArrayList<>(files.size());
            for (Path p : files) {
                sources.add(new UserdbParser.Source(p.toString(), Files.readAllBytes(p)));
            }
            UserdbParser.Result result = UserdbParser.parse(sources);
            Map<String, UserdbEntry> entries = new LinkedHashMap<>(result.entries());
            int kept = 0;
            for (UserdbParser.BadLine bad : result.badLines()) {
                UserdbEntry old = bad.name() == null ? null : previous.entries().get(bad.name());
                if (old != null && entries.putIfAbsent(bad.name(), old) == null) {
                    kept++;
                }
            }
            if (!result.badLines().isEmpty()) {
                LOG.warn("userdb {}: skipped malformed lines {}; kept the previous entry for {} of them", path,
                        result.badLines(), kept);
            }
            warnIfOpen();
            LOG.info("userdb {} loaded: {} accounts", path, entries.size());
            return Snapshot.of(entries);
        }

        @Override
        public Snapshot unreadable(String why) {
            return Snapshot.unavailable("userdb file unreadable: " + why);
        }
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
