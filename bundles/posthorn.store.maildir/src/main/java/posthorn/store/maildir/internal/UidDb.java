package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Courier's {@code courierimapuiddb}: {@code 1 UIDVALIDITY NEXTUID}, then {@code UID BASENAME} per
 * message, LF after every line. One instance per folder holds the table as last read or written, and
 * owns every read and write of the file: {@link #load} rereads it only when it changed on disk, creates
 * it when it is missing and rebuilds it (with a new UIDVALIDITY, the damaged copy kept aside) when it
 * does not parse; {@link #save} replaces it atomically.
 *
 * <p>Threading: not thread-safe. A folder's database is used only under {@code FolderLock.withFile} for
 * its directory, the lock Courier's imapd takes for the same file, so that no two writers, in this
 * process or another, ever hand out the same UID. A table from {@link #parse} belongs to no file.
 */
final class UidDb {
    static final String FILE = "courierimapuiddb";
    private static final Logger LOG = LoggerFactory.getLogger(UidDb.class);
    private static final AtomicLong TEMP_COUNTER = new AtomicLong();
    /** UIDs and UIDVALIDITY are 32-bit nz-numbers (RFC 3501 9); NEXTUID may be one past the last UID. */
    static final long MAX = 0x1_0000_0000L;

    /** The file did not parse; the reason names the first bad line. */
    static final class CorruptException extends Exception {
        private static final long serialVersionUID = 1L;

        CorruptException(String message) {
            super(message);
        }
    }

    /** The folder directory holding the file; null for a table parsed from bytes. */
    private final Path dir;
    /** 0 until a table is known (never loaded): a rebuilt one then only has to beat the file's date. */
    private long uidValidity;
    private long nextUid;
    /**
     * The table as columns (issue 14: a TreeMap entry, a HashMap node and two Longs a message before):
     * {@code uids[0..count)} ascending, {@code bases} beside them, null where a message was removed (a
     * hole, closed at the next {@link #compact}); {@code hash} is an open-addressing table of
     * positions + 1 by base name, 0 free; a removed position stays in it (its base is null, so it
     * matches nothing) until {@link #rehash}.
     */
    private long[] uids = new long[8];
    private String[] bases = new String[8];
    private int count;
    private int live;
    private int[] hash = new int[16];
    /** The file's identity, time and size when last read or written; null: read it on the next load. */
    private Object stamp;
    /** The table differs from the file: a UID was assigned or dropped, or the table is new. */
    private boolean dirty;

    /** The database of the folder {@code dir}, not read yet. */
    UidDb(Path dir) {
        this.dir = dir;
    }

    private UidDb(long uidValidity, long nextUid) {
        if (uidValidity <= 0 || nextUid <= 0) {
            throw new IllegalArgumentException("uidValidity and nextUid must be positive");
        }
        this.dir = null;
        this.uidValidity = uidValidity;
        this.nextUid = nextUid;
    }

    long uidValidity() {
        return uidValidity;
    }

    long nextUid() {
        return nextUid;
    }

    Long uidOf(String base) {
        long uid = uid(base);
        return uid == 0 ? null : uid;
    }

    /** The base's UID, or 0 if it has none (no object per call). */
    long uid(String base) {
        int at = find(base);
        return at < 0 ? 0 : uids[at];
    }

    /** Base names by ascending UID, copied. */
    Map<Long, String> byUid() {
        TreeMap<Long, String> m = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            if (bases[i] != null) {
                m.put(uids[i], bases[i]);
            }
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * Positions for {@link #uidAt} and {@link #baseAt}, in ascending UID order, valid until the table
     * next changes: {@code 0 <= i < positions()}; a position whose {@link #baseAt} is null is a hole.
     */
    int positions() {
        return count;
    }

    long uidAt(int i) {
        return uids[i];
    }

    String baseAt(int i) {
        return i < count ? bases[i] : null;
    }

    /** The numbered base names, copied, so that the caller may remove while iterating. */
    Iterable<String> bases() {
        List<String> out = new ArrayList<>(live);
        for (int i = 0; i < count; i++) {
            if (bases[i] != null) {
                out.add(bases[i]);
            }
        }
        return out;
    }

    int size() {
        return live;
    }

    List<Long> uids() {
        List<Long> out = new ArrayList<>(live);
        for (int i = 0; i < count; i++) {
            if (bases[i] != null) {
                out.add(uids[i]);
            }
        }
        return out;
    }

    /** Gives the base the next UID, or returns the one it has. */
    long assign(String base) {
        int at = find(base);
        if (at >= 0) {
            return uids[at];
        }
        long uid = nextUid++;
        append(uid, base);
        dirty = true;
        return uid;
    }

    /** Drops a message that is gone; its UID is never given again (NEXTUID stays). */
    void remove(String base) {
        int at = find(base);
        if (at >= 0) {
            bases[at] = null;
            live--;
            dirty = true;
            if (live < count / 2 && count > 64) {
                compact();
            }
        }
    }

    // --- the columns ---

    /** Position of a base, or -1. */
    private int find(String base) {
        int mask = hash.length - 1;
        for (int h = spread(base.hashCode()) & mask; ; h = (h + 1) & mask) {
            int slot = hash[h];
            if (slot == 0) {
                return -1;
            }
            String b = bases[slot - 1];
            if (b != null && b.equals(base)) {
                return slot - 1;
            }
        }
    }

    private static int spread(int h) {
        return (h ^ (h >>> 16)) * 0x9E3779B1;
    }

    /** Adds a message above every UID present; the caller has checked that the base is not there. */
    private void append(long uid, String base) {
        if (count > 0 && uid <= uids[count - 1]) {
            throw new IllegalStateException("UID " + uid + " is not above " + uids[count - 1]);
        }
        if (count == uids.length) {
            if (live < count * 3 / 4) {
                compact();
            }
            if (count == uids.length) {
                uids = java.util.Arrays.copyOf(uids, count * 2);
                bases = java.util.Arrays.copyOf(bases, count * 2);
            }
        }
        uids[count] = uid;
        bases[count] = base;
        count++;
        live++;
        if (count * 2 > hash.length) {
            rehash();
        } else {
            insert(count - 1);
        }
    }

    private void insert(int position) {
        int mask = hash.length - 1;
        int h = spread(bases[position].hashCode()) & mask;
        while (hash[h] != 0) {
            h = (h + 1) & mask;
        }
        hash[h] = position + 1;
    }

    /** Closes the holes; positions change. */
    private void compact() {
        int j = 0;
        for (int i = 0; i < count; i++) {
            if (bases[i] != null) {
                uids[j] = uids[i];
                bases[j] = bases[i];
                j++;
            }
        }
        java.util.Arrays.fill(bases, j, count, null);
        count = j;
        rehash();
    }

    /** Builds the hash table again for the present messages, at most half full. */
    private void rehash() {
        int size = 16;
        while (size < count * 2 + 2) {
            size <<= 1;
        }
        hash = new int[size];
        for (int i = 0; i < count; i++) {
            if (bases[i] != null) {
                insert(i);
            }
        }
    }

    // --- the file ---

    /**
     * Brings the table up to date with the file; the caller holds {@code FolderLock.withFile(dir)}.
     * Unchanged since the last load or save (same identity, time and size): nothing is read. Missing:
     * a new empty table, with a UIDVALIDITY above the one this process knew (the file was removed
     * under it). Corrupt: the same, above the damaged file's date and first line too, and the file is
     * copied aside as {@code courierimapuiddb.corrupt}. A new table is written by the next {@link #save}.
     *
     * @throws NoSuchFileException if the folder itself is gone (no cur/)
     */
    void load() throws IOException {
        Path file = dir.resolve(FILE);
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            if (!Files.isDirectory(dir.resolve("cur"))) {
                throw e;
            }
            long validity = newValidity(uidValidity);
            if (uidValidity != 0) {
                LOG.warn("{} vanished; starting over with UIDVALIDITY {}", file, validity);
            }
            startOver(validity);
            return;
        }
        Object now = stampOf(attrs);
        if (uidValidity != 0 && now.equals(stamp)) {
            return;
        }
        byte[] bytes = Files.readAllBytes(file);
        try {
            adopt(parse(bytes));
            stamp = now;
            dirty = false;
        } catch (CorruptException e) {
            // The old UIDVALIDITY was at most the file's mtime (it is a creation time); go past both.
            long old = Math.max(Math.max(uidValidity, firstLineValidity(bytes)),
                    attrs.lastModifiedTime().toInstant().getEpochSecond());
            long validity = newValidity(old);
            Path aside = dir.resolve(FILE + ".corrupt");
            try {
                Files.deleteIfExists(aside);
                OwnerOnly.write(aside, bytes);
            } catch (IOException copyFailed) {
                aside = null;
            }
            LOG.error("Corrupt {} ({}); rebuilding with new UIDVALIDITY {}, old copy kept as {}", file,
                    e.getMessage(), validity, aside);
            startOver(validity);
        }
    }

    /**
     * Writes the table if it differs from the file; the caller holds {@code FolderLock.withFile(dir)}.
     *
     * @return whether it wrote (UIDs were given or dropped, or the table is new)
     */
    boolean save() throws IOException {
        if (!dirty) {
            return false;
        }
        write(dir);
        stamp = stampOf(Files.readAttributes(dir.resolve(FILE), BasicFileAttributes.class));
        dirty = false;
        return true;
    }

    private void startOver(long validity) {
        uidValidity = validity;
        nextUid = 1;
        uids = new long[8];
        bases = new String[8];
        count = 0;
        live = 0;
        hash = new int[16];
        stamp = null;
        dirty = true;
    }

    private void adopt(UidDb read) {
        uidValidity = read.uidValidity;
        nextUid = read.nextUid;
        uids = read.uids;
        bases = read.bases;
        count = read.count;
        live = read.live;
        hash = read.hash;
    }

    private static Object stampOf(BasicFileAttributes attrs) {
        return List.of(String.valueOf(attrs.fileKey()), attrs.lastModifiedTime(), attrs.size());
    }

    /** A UIDVALIDITY for a fresh database: now, but always above any value the folder had before. */
    private static long newValidity(long previous) {
        return Math.max(Instant.now().getEpochSecond(), previous + 1);
    }

    /** The UIDVALIDITY a damaged file still shows on its first line, or 0. */
    private static long firstLineValidity(byte[] bytes) {
        String text = new String(bytes, 0, Math.min(bytes.length, 64), StandardCharsets.UTF_8);
        String[] parts = text.split("[ \n]", 4);
        try {
            long v = parts.length >= 2 ? Long.parseLong(parts[1]) : 0;
            return v > 0 && v < MAX - 1 ? v : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    // --- the format ---

    /**
     * A table read from a file's bytes, tied to no file.
     *
     * @throws CorruptException if the bytes are not a complete version-1 database
     */
    static UidDb parse(byte[] bytes) throws CorruptException {
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.isEmpty()) {
            throw new CorruptException("empty file");
        }
        if (text.charAt(text.length() - 1) != '\n') {
            throw new CorruptException("last line has no line end (truncated?)");
        }
        String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
        String[] head = lines[0].split(" ", -1);
        if (head.length != 3 || !head[0].equals("1")) {
            throw new CorruptException("line 1 is not '1 UIDVALIDITY NEXTUID'");
        }
        UidDb db;
        try {
            db = new UidDb(number(head[1], 1), number(head[2], 1));
        } catch (IllegalArgumentException e) {
            throw new CorruptException("line 1: " + e.getMessage());
        }
        long highest = 0;
        long[] readUids = new long[lines.length];
        String[] readBases = new String[lines.length];
        int n = 0;
        boolean sorted = true;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            int space = line.indexOf(' ');
            if (space <= 0 || space == line.length() - 1) {
                throw new CorruptException("line " + (i + 1) + " is not 'UID BASENAME'");
            }
            long uid = number(line.substring(0, space), i + 1);
            String base = line.substring(space + 1);
            if (base.indexOf('/') >= 0 || base.indexOf(':') >= 0) {
                throw new CorruptException("line " + (i + 1) + " has an impossible base name");
            }
            sorted &= uid > highest;
            readUids[n] = uid;
            readBases[n] = base;
            n++;
            highest = Math.max(highest, uid);
        }
        if (!sorted) {
            // Courier writes ascending UIDs; another writer may not: sort the columns by UID
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            long[] u = readUids;
            java.util.Arrays.sort(order, (a, b) -> Long.compare(u[a], u[b]));
            long[] su = new long[n];
            String[] sb = new String[n];
            for (int i = 0; i < n; i++) {
                su[i] = readUids[order[i]];
                sb[i] = readBases[order[i]];
            }
            readUids = su;
            readBases = sb;
        }
        db.uids = readUids.length == 0 ? new long[8] : readUids;
        db.bases = readBases.length == 0 ? new String[8] : readBases;
        for (int i = 0; i < n; i++) {
            if ((i > 0 && readUids[i] == readUids[i - 1]) || db.find(readBases[i]) >= 0) {
                throw new CorruptException("a line repeats a UID or a base name (UID " + readUids[i] + ")");
            }
            db.count = i + 1;
            db.live = i + 1;
            if (db.count * 2 > db.hash.length) {
                db.rehash();
            } else {
                db.insert(i);
            }
        }
        if (highest >= db.nextUid) {
            // Still unambiguous: move NEXTUID past the highest UID so none is ever given twice.
            db.nextUid = highest + 1;
        }
        return db;
    }

    private static long number(String s, int line) throws CorruptException {
        if (s.isEmpty() || s.length() > 18) {
            throw new CorruptException("line " + line + ": bad number");
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                throw new CorruptException("line " + line + ": bad number");
            }
        }
        long v = Long.parseLong(s);
        if (v <= 0 || v > MAX) {
            throw new CorruptException("line " + line + ": number out of range");
        }
        return v;
    }

    byte[] format() {
        StringBuilder out = new StringBuilder(32 + live * 48);
        out.append("1 ").append(uidValidity).append(' ').append(nextUid).append('\n');
        for (int i = 0; i < count; i++) {
            if (bases[i] != null) {
                out.append(uids[i]).append(' ').append(bases[i]).append('\n');
            }
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Replaces the database in {@code dir} atomically: a temporary file in the same directory,
     * fsync, rename over the old one, fsync of the directory. A crash leaves the old or the new file.
     */
    private void write(Path dir) throws IOException {
        Path tmp = dir.resolve(FILE + ".tmp." + ProcessHandle.current().pid() + "." + TEMP_COUNTER.incrementAndGet());
        try {
            try (FileChannel ch = OwnerOnly.createFile(tmp)) {
                ByteBuffer buf = ByteBuffer.wrap(format());
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(dir);
    }

    /** Best effort: makes a rename in {@code dir} durable; some file systems refuse, which is harmless. */
    static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not every platform can open a directory for fsync; the rename itself is still atomic.
        }
    }
}
