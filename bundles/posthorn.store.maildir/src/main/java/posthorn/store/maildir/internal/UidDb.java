package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Courier's {@code courierimapuiddb}: {@code 1 UIDVALIDITY NEXTUID}, then {@code UID BASENAME} per
 * message, LF after every line. Not thread-safe: the owning {@link MaildirFolder} guards it with
 * its folder lock.
 */
final class UidDb {
    static final String FILE = "courierimapuiddb";
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

    private final long uidValidity;
    private long nextUid;
    private final TreeMap<Long, String> byUid = new TreeMap<>();
    private final Map<String, Long> byBase = new HashMap<>();

    UidDb(long uidValidity, long nextUid) {
        if (uidValidity <= 0 || nextUid <= 0) {
            throw new IllegalArgumentException("uidValidity and nextUid must be positive");
        }
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
        return byBase.get(base);
    }

    /** Base names by ascending UID; a live view, do not modify. */
    Map<Long, String> byUid() {
        return Collections.unmodifiableMap(byUid);
    }

    Iterable<String> bases() {
        return new ArrayList<>(byBase.keySet());
    }

    int size() {
        return byUid.size();
    }

    /** Gives the base the next UID, or returns the one it has. */
    long assign(String base) {
        Long known = byBase.get(base);
        if (known != null) {
            return known;
        }
        long uid = nextUid++;
        byUid.put(uid, base);
        byBase.put(base, uid);
        return uid;
    }

    void remove(String base) {
        Long uid = byBase.remove(base);
        if (uid != null) {
            byUid.remove(uid);
        }
    }

    /** @throws CorruptException if the text is not a complete version-1 database */
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
            if (db.byUid.containsKey(uid) || db.byBase.containsKey(base)) {
                throw new CorruptException("line " + (i + 1) + " repeats a UID or a base name");
            }
            db.byUid.put(uid, base);
            db.byBase.put(base, uid);
            highest = Math.max(highest, uid);
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
        StringBuilder out = new StringBuilder(32 + byUid.size() * 48);
        out.append("1 ").append(uidValidity).append(' ').append(nextUid).append('\n');
        byUid.forEach((uid, base) -> out.append(uid).append(' ').append(base).append('\n'));
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Replaces the database in {@code dir} atomically: a temporary file in the same directory,
     * fsync, rename over the old one, fsync of the directory. A crash leaves the old or the new file.
     */
    void write(Path dir) throws IOException {
        Path tmp = dir.resolve(FILE + ".tmp." + ProcessHandle.current().pid() + "." + TEMP_COUNTER.incrementAndGet());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
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

    List<Long> uids() {
        return new ArrayList<>(byUid.keySet());
    }
}
