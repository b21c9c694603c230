package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What is known of each message of one folder without reading it, and its copy on disk,
 * {@code posthorn.index}: per base name the RFC822.SIZE (CRLF), the INTERNALDATE, and the values the
 * server derived from the message ({@link posthorn.store.api.Mailbox#cached}, e.g. ENVELOPE and
 * BODYSTRUCTURE). Base names identify immutable message files, so an entry never goes stale; entries of
 * messages no longer there are dropped at the next write. The file is never the only copy of anything:
 * if it is missing or does not parse, everything in it is derived again.
 *
 * <p>File format, UTF-8: the line {@code posthorn-index 1}, then per message
 * {@code BASE TAB SIZE TAB MILLIS} followed by {@code TAB FIELD=BASE64} per derived value, LF after
 * every line. A base name or field that would break a line is not written.
 *
 * <p>Threading: reads and puts need no lock (concurrent maps). {@link #load} and {@link #flush} run
 * under the folder's in-process lock ({@link FolderLock#inProcess}); flush takes it itself.
 */
final class FolderIndex {
    static final String FILE = "posthorn.index";
    private static final Logger LOG = LoggerFactory.getLogger(FolderIndex.class);
    private static final String HEADER = "posthorn-index 1\n";
    /** A dirty index is written at most this often by scans; the store writes it when a folder goes idle. */
    static final long WRITE_INTERVAL_NS = 5_000_000_000L;

    /** What a message is known by without reading it again: RFC822.SIZE (CRLF) and INTERNALDATE. */
    record Facts(long size, Instant internalDate) {
    }

    /**
     * Everything known of one message, one object per message (issue 14: a {@link Facts}, an {@link
     * Instant} and a map of derived values each cost a 50,000-message folder ~10 objects a message).
     * Immutable: a change replaces the slot in the map ({@link ConcurrentHashMap#compute}), so a
     * lock-free reader sees one state of it. {@code values} is indexed by {@link #fieldId}, null where
     * nothing is cached.
     *
     * @param size RFC822.SIZE, or -1 unknown; {@link #NO_FACTS} with date {@link #NO_FACTS}: no facts yet
     * @param date INTERNALDATE, epoch milliseconds
     */
    private record Slot(long size, long date, byte[][] values) {
        boolean hasFacts() {
            return date != NO_FACTS || size != NO_FACTS;
        }

        Slot withFacts(long s, long d) {
            return new Slot(s, d, values);
        }

        Slot withValue(int id, byte[] value) {
            byte[][] v = values == null ? new byte[Math.max(id + 1, 4)][]
                    : Arrays.copyOf(values, Math.max(values.length, id + 1));
            v[id] = value;
            return new Slot(size, date, v);
        }

        byte[] value(int id) {
            return values == null || id >= values.length ? null : values[id];
        }
    }

    private static final long NO_FACTS = Long.MIN_VALUE;

    /**
     * The derived values' field names, process-wide: the server caches a handful of constants
     * (ENVELOPE, BODYSTRUCTURE, sort keys), so a message's values are an array indexed by a small
     * number instead of a map each. Bounded: past {@link #MAX_FIELDS} names a field is kept in
     * {@link #overflow} instead (correct, merely not compact).
     */
    private static final int MAX_FIELDS = 64;
    private static final ConcurrentHashMap<String, Integer> FIELD_IDS = new ConcurrentHashMap<>();
    /** Field names by id; grows under its own lock, read without one (a published copy). */
    private static volatile String[] fieldNames = new String[0];

    /**
     * Names read from a file (which anyone with access to the Maildir can write) take at most this
     * many places, so that junk there cannot leave the server's own fields without one.
     */
    private static final int MAX_FIELDS_FROM_FILES = 32;

    private static int fieldId(String field, boolean assign) {
        return fieldId(field, assign ? MAX_FIELDS : 0);
    }

    /** The field's id, assigned on first use while fewer than {@code limit} are named; else -1. */
    private static int fieldId(String field, int limit) {
        Integer id = FIELD_IDS.get(field);
        if (id != null || limit == 0) {
            return id == null ? -1 : id;
        }
        synchronized (FIELD_IDS) {
            id = FIELD_IDS.get(field);
            if (id != null) {
                return id;
            }
            String[] names = fieldNames;
            if (names.length >= limit) {
                return -1;
            }
            String[] grown = Arrays.copyOf(names, names.length + 1);
            grown[names.length] = field;
            fieldNames = grown; // published before the id, so an id read is always named
            FIELD_IDS.put(field, names.length);
            return names.length;
        }
    }

    private final Path dir;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Slot> slots = new ConcurrentHashMap<>();
    /** Derived values of fields past {@link #MAX_FIELDS}, keyed by base, NUL, field; normally empty. */
    private final ConcurrentHashMap<String, byte[]> overflow = new ConcurrentHashMap<>();
    /** Guarded by the in-process lock. */
    private boolean loaded;
    /** Something worth writing down is known that the file lacks. */
    private volatile boolean dirty;
    private volatile long written;

    FolderIndex(Path dir) {
        this(dir, System::nanoTime);
    }

    /** @param nanoTime the clock of {@link #due()}, {@link System#nanoTime} outside tests */
    FolderIndex(Path dir, LongSupplier nanoTime) {
        this.dir = dir;
        this.nanoTime = nanoTime;
    }

    Facts facts(String base) {
        Slot s = slots.get(base);
        return s == null || !s.hasFacts() ? null : new Facts(s.size(), Instant.ofEpochMilli(s.date()));
    }

    /** Facts that cost nothing to learn again (from the name and the file's date, or a delivery): no write needed. */
    void putFacts(String base, Facts f) {
        long size = f.size();
        long date = f.internalDate().toEpochMilli();
        slots.compute(base, (b, old) -> old == null ? new Slot(size, date, null) : old.withFacts(size, date));
    }

    /** Facts that took reading the whole message: worth writing to the file. */
    void putMeasured(String base, Facts f) {
        putFacts(base, f);
        dirty = true;
    }

    byte[] cached(String base, String field) {
        int id = fieldId(field, false);
        if (id < 0) {
            return overflow.isEmpty() ? null : overflow.get(base + '\0' + field);
        }
        Slot s = slots.get(base);
        return s == null ? null : s.value(id);
    }

    /** Keeps a copy of a derived value; null drops it. The caller checks that the message is there. */
    void cache(String base, String field, byte[] value) {
        int id = fieldId(field, value != null);
        if (id < 0) {
            if (value == null) {
                overflow.remove(base + '\0' + field);
            } else {
                overflow.put(base + '\0' + field, value.clone());
                dirty = true;
            }
            return;
        }
        if (value == null) {
            slots.computeIfPresent(base, (b, old) -> old.value(id) == null ? old : old.withValue(id, null));
            return;
        }
        byte[] copy = value.clone();
        slots.compute(base, (b, old) -> (old == null ? new Slot(NO_FACTS, NO_FACTS, null) : old).withValue(id, copy));
        dirty = true;
    }

    /** Drops everything known of a message that is gone. */
    void forget(String base) {
        slots.remove(base);
        if (!overflow.isEmpty()) {
            overflow.keySet().removeIf(k -> k.startsWith(base + '\0'));
        }
    }

    /**
     * Hands what is known of a message moved to another folder under a new base name to that folder's
     * index: the same bytes have the same size, date and derived values.
     */
    void moveTo(FolderIndex target, String base, String newBase, Facts f) {
        Slot old = slots.remove(base);
        long size = f.size();
        long date = f.internalDate().toEpochMilli();
        target.slots.put(newBase, old == null ? new Slot(size, date, null) : old.withFacts(size, date));
        if (!overflow.isEmpty()) {
            String prefix = base + '\0';
            for (Map.Entry<String, byte[]> e : Map.copyOf(overflow).entrySet()) {
                if (e.getKey().startsWith(prefix)) {
                    overflow.remove(e.getKey());
                    target.overflow.put(newBase + '\0' + e.getKey().substring(prefix.length()), e.getValue());
                }
            }
        }
    }

    boolean dirty() {
        return dirty;
    }

    /** Whether a scan should write the index now: dirty, and not written within the interval. */
    boolean due() {
        return dirty && nanoTime.getAsLong() - written > WRITE_INTERVAL_NS;
    }

    boolean loaded() {
        return loaded;
    }

    /**
     * Reads the file once, under the in-process lock; what memory knows already wins. A file that is
     * damaged or incomplete makes the index dirty, so that it is written again whole.
     */
    void load() {
        loaded = true;
        Path file = dir.resolve(FILE);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            LOG.warn("Cannot read {} ({}); rebuilding it", file, e.toString());
            return;
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (!text.startsWith(HEADER) || !text.endsWith("\n")) {
            LOG.warn("{} is not a complete index; rebuilding it", file);
            dirty = true;
            return;
        }
        Base64.Decoder b64 = Base64.getDecoder();
        int lineNo = 1;
        try {
            int pos = text.indexOf('\n') + 1;
            while (pos < text.length()) {
                int end = text.indexOf('\n', pos);
                lineNo++;
                String[] f = text.substring(pos, end).split("\t", -1);
                pos = end + 1;
                String base = f[0];
                long size = Long.parseLong(f[1]);
                long date = Long.parseLong(f[2]);
                Slot read = new Slot(size, date, null);
                for (int i = 3; i < f.length; i++) {
                    int eq = f[i].indexOf('=');
                    String field = f[i].substring(0, eq);
                    byte[] value = b64.decode(f[i].substring(eq + 1));
                    int id = fieldId(field, MAX_FIELDS_FROM_FILES);
                    if (id >= 0) {
                        read = read.withValue(id, value);
                    } else {
                        overflow.putIfAbsent(base + '\0' + field, value);
                    }
                }
                Slot fromFile = read;
                slots.merge(base, fromFile, FolderIndex::memoryWins);
            }
        } catch (RuntimeException e) {
            LOG.warn("{} is corrupt at line {} ({}); rebuilding it", file, lineNo, e.toString());
            dirty = true;
        }
    }

    /** What memory knows wins over the file; the file fills in what memory lacks. */
    private static Slot memoryWins(Slot memory, Slot file) {
        Slot out = memory.hasFacts() ? memory : new Slot(file.size(), file.date(), memory.values());
        byte[][] values = file.values();
        if (values != null) {
            for (int id = 0; id < values.length; id++) {
                if (values[id] != null && out.value(id) == null) {
                    out = out.withValue(id, values[id]);
                }
            }
        }
        return out;
    }

    /**
     * Writes the file for the messages present now (a tmp/ file, then a rename), under the in-process
     * lock; does nothing before the first {@link #load} (it would drop what the file holds). Failures
     * are only logged: the index is a cache.
     */
    void flush(Collection<String> present) {
        if (!loaded) {
            return;
        }
        try (FolderLock.Held held = FolderLock.inProcess(dir)) {
            dirty = false;
            written = nanoTime.getAsLong();
            Path t = dir.resolve("tmp").resolve(MaildirFileName.unique() + "_index");
            OwnerOnly.write(t, format(present));
            try {
                Files.move(t, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(t);
            }
        } catch (IOException e) {
            LOG.warn("Cannot write {}: {}", dir.resolve(FILE), e.toString());
        }
    }

    private byte[] format(Collection<String> present) {
        Base64.Encoder b64 = Base64.getEncoder();
        StringBuilder out = new StringBuilder(64 + present.size() * 96);
        out.append(HEADER);
        String[] names = fieldNames;
        for (String base : present) {
            Slot s = slots.get(base);
            if (s == null || !s.hasFacts() || base.indexOf('\t') >= 0 || base.indexOf('\n') >= 0) {
                continue;
            }
            out.append(base).append('\t').append(s.size()).append('\t').append(s.date());
            byte[][] values = s.values();
            if (values != null) {
                for (int id = 0; id < values.length; id++) {
                    if (values[id] != null && id >= names.length) {
                        names = fieldNames; // named after this write began: a name is published before its id is used
                    }
                    if (values[id] != null && id < names.length) {
                        appendValue(out, b64, names[id], values[id]);
                    }
                }
            }
            if (!overflow.isEmpty()) {
                String prefix = base + '\0';
                for (Map.Entry<String, byte[]> v : overflow.entrySet()) {
                    if (v.getKey().startsWith(prefix)) {
                        appendValue(out, b64, v.getKey().substring(prefix.length()), v.getValue());
                    }
                }
            }
            out.append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A field name that would break the line is not written (the value is derived again). */
    private static void appendValue(StringBuilder out, Base64.Encoder b64, String k, byte[] value) {
        if (k.indexOf('=') < 0 && k.indexOf('\t') < 0 && k.indexOf('\n') < 0) {
            out.append('\t').append(k).append('=').append(b64.encodeToString(value));
        }
    }
}
