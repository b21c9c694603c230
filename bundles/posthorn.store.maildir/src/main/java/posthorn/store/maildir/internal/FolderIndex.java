package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
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

    private final Path dir;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Facts> facts = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, byte[]>> derived = new ConcurrentHashMap<>();
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
        return facts.get(base);
    }

    /** Facts that cost nothing to learn again (from the name and the file's date, or a delivery): no write needed. */
    void putFacts(String base, Facts f) {
        facts.put(base, f);
    }

    /** Facts that took reading the whole message: worth writing to the file. */
    void putMeasured(String base, Facts f) {
        facts.put(base, f);
        dirty = true;
    }

    byte[] cached(String base, String field) {
        Map<String, byte[]> m = derived.get(base);
        return m == null ? null : m.get(field);
    }

    /** Keeps a copy of a derived value; null drops it. The caller checks that the message is there. */
    void cache(String base, String field, byte[] value) {
        if (value == null) {
            Map<String, byte[]> m = derived.get(base);
            if (m != null) {
                m.remove(field);
            }
            return;
        }
        derived.computeIfAbsent(base, b -> new ConcurrentHashMap<>(4)).put(field, value.clone());
        dirty = true;
    }

    /** Drops everything known of a message that is gone. */
    void forget(String base) {
        facts.remove(base);
        derived.remove(base);
    }

    /**
     * Hands what is known of a message moved to another folder under a new base name to that folder's
     * index: the same bytes have the same size, date and derived values.
     */
    void moveTo(FolderIndex target, String base, String newBase, Facts f) {
        target.facts.put(newBase, f);
        ConcurrentHashMap<String, byte[]> values = derived.remove(base);
        if (values != null) {
            target.derived.put(newBase, values);
        }
        facts.remove(base);
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
                facts.putIfAbsent(base, new Facts(Long.parseLong(f[1]), Instant.ofEpochMilli(Long.parseLong(f[2]))));
                for (int i = 3; i < f.length; i++) {
                    int eq = f[i].indexOf('=');
                    // The field names are a handful of constants: one String each, not one per message
                    // (3 a message, ~8 MB for a 50,000-message folder read back from the file).
                    derived.computeIfAbsent(base, b -> new ConcurrentHashMap<>(4)).putIfAbsent(
                            f[i].substring(0, eq).intern(), b64.decode(f[i].substring(eq + 1)));
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("{} is corrupt at line {} ({}); rebuilding it", file, lineNo, e.toString());
            dirty = true;
        }
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
        for (String base : present) {
            Facts f = facts.get(base);
            if (f == null || base.indexOf('\t') >= 0 || base.indexOf('\n') >= 0) {
                continue;
            }
            out.append(base).append('\t').append(f.size()).append('\t').append(f.internalDate().toEpochMilli());
            Map<String, byte[]> values = derived.get(base);
            if (values != null) {
                for (Map.Entry<String, byte[]> v : values.entrySet()) {
                    String k = v.getKey();
                    if (k.indexOf('=') < 0 && k.indexOf('\t') < 0 && k.indexOf('\n') < 0) {
                        out.append('\t').append(k).append('=').append(b64.encodeToString(v.getValue()));
                    }
                }
            }
            out.append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}
