package posthorn.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The Maildir of Dovecot with fts-xapian after its first search, kept beside the generated data:
 * fts-xapian's first indexing runs at about 0.1 s a message on this kind of machine (an hour and
 * more for 50,000), so it is paid once per data set and plugin version, and later runs search a
 * restored copy. The build time is kept with it and reported as that run measured it (with its
 * date), so the table still shows what a first search costs.
 *
 * <p>The copy shares the message files (hard links: Dovecot never rewrites one, it only renames its
 * own link) and copies everything else (dovecot.index*, dovecot-uidlist, xapian-indexes), which
 * Dovecot does write in place.
 *
 * <p>In --quick the search runs on a 200-message mailbox: building an index of the quick run's
 * 2,000 messages alone would take minutes, and quick only checks that the workload runs.
 */
final class FtsCache {

    private final Path dir;
    private final Path source;
    private boolean restored;

    private FtsCache(Path dir, Path source) {
        this.dir = dir;
        this.source = source;
    }

    static FtsCache of(Main.Plan plan, Main.Data data, Path dataRoot, Server server) throws IOException {
        Main.Data d = plan.quick() ? Main.Data.prepare(plan.withMessages(200), dataRoot) : data;
        String key = server.version().replaceAll("[^A-Za-z0-9.+-]+", "_");
        return new FtsCache(d.big().resolveSibling("fts-cache-" + key), d.big());
    }

    /** The mailbox to copy when there is no cache. */
    Path source() {
        return source;
    }

    /** Puts the cached, indexed Maildir at {@code maildir} if there is one. */
    void restoreOr(Path maildir) throws IOException {
        if (Files.exists(dir.resolve("BUILT"))) {
            Files.createDirectories(maildir.getParent());
            linkMessages(dir.resolve("Maildir"), maildir);
            restored = true;
        }
    }

    /**
     * After the run: keeps the indexed Maildir if this run built it, or puts the build time of the
     * run that did in place of this run's first search (which found the index built).
     */
    void keep(Path maildir, Results results) throws IOException {
        String s = Results.DOVECOT_FTS;
        Results.Cell first = results.cell("search_first", s);
        if (restored) {
            List<String> built = Files.readAllLines(dir.resolve("BUILT"));
            Double now = first.median();
            first.samples.clear();
            first.samples.add(Double.parseDouble(built.get(0)));
            first.note = "index built " + built.get(1) + ", kept in " + dir.getFileName();
            results.note(String.format(Locale.ROOT, "%s: the fts-xapian index was restored from %s (built on %s in %,.0f ms); "
                + "this run's first search on it took %s ms", s, dir, built.get(1), Double.parseDouble(built.get(0)),
                now == null ? "-" : Results.fmt(now)));
            return;
        }
        if (first.median() == null || first.na != null || first.error != null) {
            return;
        }
        Main.delete(dir);
        linkMessages(maildir, dir.resolve("Maildir"));
        String when = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        Files.writeString(dir.resolve("BUILT"), first.median() + "\n" + when + "\n");
    }

    /** Copies a Maildir: message files (under cur/ and new/) as hard links, every other file as a copy. */
    static void linkMessages(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(t);
                } else if (Files.isRegularFile(f)) {
                    String parent = f.getParent().getFileName().toString();
                    if (parent.equals("cur") || parent.equals("new")) {
                        Files.createLink(t, f);
                    } else {
                        Files.copy(f, t, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
        }
    }
}
