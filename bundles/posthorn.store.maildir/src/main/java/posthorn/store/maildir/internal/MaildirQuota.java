package posthorn.store.maildir.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.store.api.Flags;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;

/**
 * Maildir++ quota, as Courier's maildirquota library keeps it (README.maildirquota, shipped with
 * courier-base): {@code maildirsize} in the Maildir root. Line 1 is the definition
 * ({@code 10000000S,1000C}: bytes, messages; a zero or missing part is no limit); every further line
 * is {@code BYTES COUNT}, a delta appended by whoever changed the Maildir, in one write(2) with
 * O_APPEND so that writers never interleave, padded as Courier pads it. The sum of the lines is the
 * usage.
 *
 * <p>What counts: every message in new/ and cur/ of the Maildir and its folders, except the folder
 * Trash and messages marked \Deleted (T): Courier's default build, which Debian ships (deliverquota,
 * maildirmake -q and Courier-IMAP agree on it). Its size is the {@code ,S=} field of the name, or
 * the file's size.
 *
 * <p>The file is recalculated (folders measured, the file replaced through tmp/ and a rename) when:
 * it is missing but a definition is known (the user record's); its first line differs from the user
 * record's definition, which wins; it is {@value #RECALC_AT} bytes or more (only that much is ever
 * read); a line is not two integers, or the sums overflow or go negative; or the usage it shows is
 * over a limit and it has more than one delta line or was last changed {@value #STALE_SECONDS}
 * seconds ago or more (outside removals go unrecorded). Without a definition anywhere there is no
 * quota and no file is made. Thread-safe.
 */
final class MaildirQuota {
    private static final Logger LOG = LoggerFactory.getLogger(MaildirQuota.class);
    static final String FILE = "maildirsize";
    /** Maildir++: a maildirsize of this many bytes or more is recalculated. */
    static final int RECALC_AT = 5120;
    /** Maildir++: an over-quota maildirsize this old is checked by a recalculation. */
    static final long STALE_SECONDS = 15 * 60;
    /** The folder whose messages do not count (Courier's default). */
    static final String TRASH_DIRECTORY = ".Trash";

    /** A quota definition; -1 means no limit for that resource. */
    record Def(long bytes, long count) {
        static final Def NONE = new Def(-1, -1);

        boolean none() {
            return bytes < 0 && count < 0;
        }

        /** As Courier writes it: the limits that are set, S first. */
        String text() {
            StringBuilder s = new StringBuilder();
            if (bytes > 0) {
                s.append(bytes).append('S');
            }
            if (count > 0) {
                s.append(s.isEmpty() ? "" : ",").append(count).append('C');
            }
            return s.toString();
        }

        boolean over(long usedBytes, long usedCount) {
            return (bytes > 0 && usedBytes > bytes) || (count > 0 && usedCount > count);
        }
    }

    record Usage(Def def, long bytes, long count) {
    }

    /** What the file says, read up to {@value #RECALC_AT} bytes. */
    private record Read(Def def, long bytes, long count, int deltaLines, boolean sound, FileTime modified) {
    }

    private final Path root;
    /** The user record's definition, or null when the file's own first line rules. */
    private volatile Def configured;
    private final LongSupplier clock;

    /** @param configured the user record's quota (Maildir++ form), or null to use the file's own */
    MaildirQuota(Path root, String configured) {
        this(root, configured, System::currentTimeMillis);
    }

    MaildirQuota(Path root, String configured, LongSupplier clock) {
        this.root = root;
        this.clock = clock;
        if (configured == null || configured.isBlank()) {
            this.configured = null;
        } else {
            Def d = parseDef(configured.trim());
            if (d == null) {
                LOG.warn("event=quota.invalid maildir={} quota='{}' reason=\"not a Maildir++ quota (like 10000000S,1000C);"
                        + " no quota for this login\"", root, printable(configured));
                this.configured = Def.NONE;
            } else {
                this.configured = d;
            }
        }
    }

    /** Whether the user record sets the limits (then SETQUOTA cannot change them). */
    boolean fromUserRecord() {
        return configured != null;
    }

    /**
     * A Maildir++ quota definition: parts {@code NS} (bytes) and {@code NC} (messages), separated by
     * commas; 0 is no limit. Null if it is not one (any part that is not a number and S or C).
     */
    static Def parseDef(String text) {
        long bytes = -1;
        long count = -1;
        if (text.isBlank()) {
            return Def.NONE;
        }
        for (String part : text.split(",", -1)) {
            part = part.trim();
            if (part.length() < 2 || part.length() > 20) {
                return null;
            }
            String digits = part.substring(0, part.length() - 1);
            if (!digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            long v;
            try {
                v = Long.parseLong(digits);
            } catch (NumberFormatException e) {
                return null;
            }
            switch (part.charAt(part.length() - 1)) {
                case 'S' -> bytes = v == 0 ? -1 : v;
                case 'C' -> count = v == 0 ? -1 : v;
                default -> {
                    return null;
                }
            }
        }
        return new Def(bytes, count);
    }

    /** Current usage, recalculating as the rules above say; null if there is no quota. */
    Usage usage() throws StoreException {
        return usage(0, 0);
    }

    /**
     * Usage as {@link #usage()}, where "over a limit" (for the recheck rule) counts what is about to be
     * added, as Courier's check before a delivery does.
     */
    private Usage usage(long addBytes, long addCount) throws StoreException {
        try {
            Read r = read();
            Def def = configured != null ? configured : r == null ? null : r.def();
            if (def == null) {
                return null;
            }
            if (def.none()) {
                // no limit to keep: the file (if any) is left as it is and nothing is enforced
                return new Usage(def, r == null ? 0 : Math.max(0, r.bytes()), r == null ? 0 : Math.max(0, r.count()));
            }
            if (r == null) {
                return recalculate(def, "missing");
            }
            if (!def.equals(r.def())) {
                return recalculate(def, "definition changed");
            }
            if (!r.sound()) {
                return recalculate(def, "unreadable lines or sums");
            }
            if (def.over(r.bytes() + Math.max(0, addBytes), r.count() + Math.max(0, addCount))) {
                boolean stale = clock.getAsLong() - r.modified().toMillis() >= STALE_SECONDS * 1000;
                if (r.deltaLines() > 1 || stale) {
                    return recalculate(def, "over quota");
                }
            }
            return new Usage(def, r.bytes(), r.count());
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot read " + root.resolve(FILE), e);
        }
    }

    /** Throws OVERQUOTA if adding this much would go over a limit (Courier: used + added > limit). */
    void check(long addBytes, long addCount) throws StoreException {
        if (addBytes <= 0 && addCount <= 0) {
            return;
        }
        Usage u = usage(addBytes, addCount);
        if (u == null) {
            return;
        }
        Def d = u.def();
        if ((d.bytes() > 0 && addBytes > 0 && u.bytes() + addBytes > d.bytes())
                || (d.count() > 0 && addCount > 0 && u.count() + addCount > d.count())) {
            throw new StoreException(Reason.OVERQUOTA, "Over quota: " + u.bytes() + " of " + d.bytes() + " bytes, "
                    + u.count() + " of " + d.count() + " messages in use");
        }
    }

    /**
     * Records a change of usage, if the Maildir has a quota file: one line appended in one write,
     * as Courier does (no lock; a line lost to a concurrent recalculation is found by the next one).
     */
    void add(long bytes, long count) {
        if (bytes == 0 && count == 0) {
            return;
        }
        Path file = root.resolve(FILE);
        if (!Files.exists(file)) {
            return;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(line(bytes, count)));
        } catch (NoSuchFileException e) {
            // removed meanwhile: the next reader recalculates
        } catch (IOException e) {
            LOG.warn("event=quota.write.failed file={} error=\"{}\"", file, e.toString());
        }
    }

    /** A delta line as Courier's tools write it: two right-aligned fields of 12. */
    static byte[] line(long bytes, long count) {
        return String.format("%12d %12d\n", bytes, count).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Replaces the file's definition (SETQUOTA), recalculating it.
     *
     * @throws StoreException CANNOT when the user record sets the quota
     */
    Usage define(Def def) throws StoreException {
        if (configured != null) {
            throw new StoreException(Reason.CANNOT, "The quota comes from the user database");
        }
        try {
            if (def.none()) {
                Files.deleteIfExists(root.resolve(FILE));
                LOG.info("event=quota.removed maildir={}", root);
                return new Usage(def, 0, 0);
            }
            return recalculate(def, "new definition");
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot write " + root.resolve(FILE), e);
        }
    }

    /**
     * Recalculates after a change that moved many messages at once (a folder deleted or renamed,
     * which may also be Trash): no delta line is right for those. A failure is logged; the next
     * reader recalculates.
     */
    void recount(String why) {
        try {
            Read r = read();
            Def def = configured != null ? configured : r == null ? null : r.def();
            if (def != null && !def.none()) {
                recalculate(def, why);
            }
        } catch (IOException e) {
            LOG.warn("event=quota.write.failed file={} error=\"{}\"", root.resolve(FILE), e.toString());
        }
    }

    /** The file's contents, or null if there is none. Reads at most RECALC_AT bytes. */
    private Read read() throws IOException {
        Path file = root.resolve(FILE);
        byte[] buf = new byte[RECALC_AT];
        int n = 0;
        FileTime modified;
        try (InputStream in = Files.newInputStream(file)) {
            modified = Files.getLastModifiedTime(file);
            int r;
            while (n < buf.length && (r = in.read(buf, n, buf.length - n)) > 0) {
                n += r;
            }
        } catch (NoSuchFileException e) {
            return null;
        }
        if (n == 0) {
            return null;
        }
        boolean sound = n < RECALC_AT;
        String text = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        if (lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        Def def = parseDef(lines.get(0).trim());
        if (def == null) {
            LOG.warn("event=quota.invalid file={} line=1 text='{}' reason=\"not a Maildir++ quota; taken as none\"",
                    file, printable(lines.get(0)));
            def = Def.NONE;
        }
        long bytes = 0;
        long count = 0;
        int deltas = 0;
        for (int i = 1; i < lines.size() && sound; i++) {
            String[] f = lines.get(i).trim().split("\\s+");
            try {
                if (f.length != 2) {
                    throw new NumberFormatException();
                }
                bytes = Math.addExact(bytes, Long.parseLong(f[0]));
                count = Math.addExact(count, Long.parseLong(f[1]));
                deltas++;
            } catch (NumberFormatException | ArithmeticException e) {
                LOG.warn("event=quota.corrupt file={} line={} reason=\"not two integers, or too large\"", file, i + 1);
                sound = false;
            }
        }
        if (bytes < 0 || count < 0) {
            sound = false;
        }
        return new Read(def, bytes, count, deltas, sound, modified);
    }

    /**
     * Maildir++'s recalculation: measures the folders (noting the newest directory time), writes the
     * file through tmp/ and a rename, then looks at the directories again: if one changed meanwhile,
     * it measures again (a few times at most; the numbers of the last pass are used all the same).
     */
    private Usage recalculate(Def def, String why) throws IOException {
        try (FolderLock.Held held = FolderLock.inProcess(root.resolve(FILE))) {
            long[] total = null;
            for (int pass = 0; pass < 3; pass++) {
                total = new long[3];
                List<Path> dirs = countedDirectories();
                for (Path d : dirs) {
                    measure(d, total);
                }
                String text = def.text() + "\n" + new String(line(total[0], total[1]), StandardCharsets.US_ASCII);
                Path tmp = root.resolve("tmp").resolve(MaildirFileName.unique() + "_maildirsize");
                OwnerOnly.write(tmp, text.getBytes(StandardCharsets.US_ASCII));
                try {
                    Files.move(tmp, root.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    Files.deleteIfExists(tmp);
                }
                if (newest(dirs) <= total[2]) {
                    break;
                }
            }
            LOG.info("event=quota.recalculated file={} reason=\"{}\" bytes={} messages={}", root.resolve(FILE), why,
                    total[0], total[1]);
            return new Usage(def, total[0], total[1]);
        }
    }

    /** The Maildir and its folders except Trash. */
    private List<Path> countedDirectories() throws IOException {
        List<Path> dirs = new ArrayList<>();
        dirs.add(root);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, ".?*")) {
            for (Path d : entries) {
                String n = d.getFileName().toString();
                if (!n.equals("..") && !n.equals(TRASH_DIRECTORY) && FolderNames.fromDirectory(n).isPresent()
                        && Files.isDirectory(d)) {
                    dirs.add(d);
                }
            }
        }
        return dirs;
    }

    /** The newest change time of the new/ and cur/ directories. */
    private static long newest(List<Path> dirs) {
        long newest = 0;
        for (Path d : dirs) {
            for (String sub : new String[] {"cur", "new"}) {
                try {
                    newest = Math.max(newest, Files.getLastModifiedTime(d.resolve(sub)).toMillis());
                } catch (IOException e) {
                    // gone: nothing to count there
                }
            }
        }
        return newest;
    }

    /** Adds a folder's counted messages to total[0] (bytes), total[1] (count); total[2]: newest dir time seen. */
    private static void measure(Path folder, long[] total) throws IOException {
        for (String sub : new String[] {"cur", "new"}) {
            Path dir = folder.resolve(sub);
            try {
                total[2] = Math.max(total[2], Files.getLastModifiedTime(dir).toMillis());
            } catch (NoSuchFileException e) {
                continue;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path p : files) {
                    String name = p.getFileName().toString();
                    if (name.startsWith(".")) {
                        continue;
                    }
                    MaildirFileName parsed = MaildirFileName.parse(name);
                    if (parsed.systemFlags().contains(Flags.DELETED)) {
                        continue;
                    }
                    long s = MaildirFileName.sizeField(parsed.base(), 'S');
                    if (s < 0) {
                        try {
                            s = Files.size(p);
                        } catch (NoSuchFileException e) {
                            continue;
                        }
                    }
                    total[0] += s;
                    total[1]++;
                }
            } catch (NoSuchFileException e) {
                // a folder without new/ or cur/: nothing to count there
            }
        }
    }

    /** Whether messages in this folder directory count against the quota (all but Trash). */
    static boolean counts(Path root, Path folderDir) {
        return !(folderDir.getParent() != null && folderDir.getParent().equals(root)
                && folderDir.getFileName().toString().equals(TRASH_DIRECTORY));
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && i < 80; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c > 0x7e || c == '\'' ? '?' : c);
        }
        return b.toString();
    }
}
