package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The modification sequences of one folder (RFC 7162 CONDSTORE/QRESYNC) and their copy on disk,
 * {@code posthorn.modseq} beside Courier's files (which Courier ignores): HIGHESTMODSEQ, each message's
 * MODSEQ with a fingerprint of the flags it was given for, and the last expunges with theirs.
 *
 * <p>Monotonic across restarts and crashes. A MODSEQ is handed out only below a bound already on disk
 * ({@code reserved}, written {@link #RESERVE} ahead); a process that starts takes the bound as its
 * HIGHESTMODSEQ, so nothing handed out before a crash is ever handed out again. Messages whose flags
 * differ from their recorded fingerprint (an outside rename while nobody watched, or a change whose
 * record the crash lost), messages new to the file and UIDs the file lists that are gone get new
 * MODSEQs at the first scan. A missing or unreadable file starts at the wall clock in milliseconds,
 * which is above any MODSEQ the lost file can have held unless the folder saw more than a thousand
 * changes a second on average since its file was created.
 *
 * <p>A message's record is trusted only if the file was written by a final flush ({@code CLEAN} 1): after
 * a crash a message could have had its recorded flags, other flags under a later MODSEQ, and its recorded
 * flags again, so every message then gets a new MODSEQ (clients resynchronise its flags once).
 *
 * <p>File format, UTF-8, LF after every line: {@code posthorn-modseq 1 UIDVALIDITY HIGHEST RESERVED FLOOR CLEAN},
 * then {@code m UID MODSEQ FLAGHASH} per message ({@code FLAGHASH}: {@link java.util.Set#hashCode} of its
 * flags, which is defined by the strings alone) and {@code x UID MODSEQ} per remembered expunge. FLOOR:
 * every expunge with a MODSEQ above it is remembered.
 *
 * <p>Threading: every method runs under the folder's in-process lock ({@link FolderLock#inProcess}).
 */
final class ModSeqs {
    static final String FILE = "posthorn.modseq";
    private static final Logger LOG = LoggerFactory.getLogger(ModSeqs.class);
    private static final String MAGIC = "posthorn-modseq 1 ";
    /** How far ahead of HIGHESTMODSEQ the bound on disk is moved each time it is reached. */
    static final long RESERVE = 1000;
    /** The default of maildir.cfg {@code modseq.expunged.max}. */
    static final int DEFAULT_MAX_EXPUNGED = 10_000;
    private static volatile int maxExpunged = DEFAULT_MAX_EXPUNGED;

    private final Path dir;
    private final LongSupplier clock;
    /** The folder's messages as last known, for writing the file. */
    private final java.util.function.Supplier<Entries> current;
    private boolean loaded;
    private long uidValidity;
    private long highest;
    private long reserved;
    /** Every expunge with a MODSEQ above this is in {@link #expUids}. */
    private long floor;
    /** Remembered expunges, ascending MODSEQ (and so in the order they were recorded). */
    private long[] expUids = new long[16];
    private long[] expMods = new long[16];
    private int expCount;
    /** The file's per-message records, until the first scan after loading has used them; else null. */
    private Map<Long, long[]> fromFile;
    private boolean dirty;
    /** The file on disk says it was written by a final flush (see {@link #writeClean}). */
    private boolean cleanOnDisk;
    /** The file could not be written: MODSEQs cannot be kept safely (NOMODSEQ). */
    private boolean broken;

    ModSeqs(Path dir, LongSupplier clock, java.util.function.Supplier<Entries> current) {
        this.dir = dir;
        this.clock = clock;
        this.current = current;
    }

    /** maildir.cfg {@code modseq.expunged.max}: how many expunges a folder remembers. */
    static void configure(int max) {
        maxExpunged = max;
    }

    static int maxExpunged() {
        return maxExpunged;
    }

    boolean loaded() {
        return loaded;
    }

    boolean broken() {
        return broken;
    }

    long highest() {
        return highest;
    }

    /** Something the file lacks (for the periodic writes). */
    boolean changed() {
        return dirty;
    }

    /** Something the file lacks, or the file is not a final (clean) write yet. */
    boolean dirty() {
        return dirty || (loaded && !cleanOnDisk && !broken);
    }

    /**
     * Reads the file once. A file of another UIDVALIDITY keeps only its HIGHESTMODSEQ (MODSEQs never go
     * down within a folder, even across UIDVALIDITYs).
     */
    void load(long currentValidity) {
        loaded = true;
        Path file = dir.resolve(FILE);
        long start = Math.max(1, clock.getAsLong());
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            fresh(currentValidity, start);
            return;
        } catch (IOException | RuntimeException e) {
            LOG.warn("Cannot read {} ({}); MODSEQs start over at {}", file, e.toString(), start);
            fresh(currentValidity, start);
            return;
        }
        try {
            parse(text, currentValidity);
        } catch (RuntimeException e) {
            LOG.warn("{} is corrupt ({}); MODSEQs start over at {}", file, e.toString(), start);
            fresh(currentValidity, Math.max(start, highest + 1));
        }
    }

    private void fresh(long validity, long start) {
        uidValidity = validity;
        highest = start;
        reserved = start;
        floor = start;
        expCount = 0;
        fromFile = null;
        dirty = true;
        reserve();
    }

    private void parse(String text, long currentValidity) {
        if (!text.startsWith(MAGIC) || !text.endsWith("\n")) {
            throw new IllegalArgumentException("not a complete modseq file");
        }
        int nl = text.indexOf('\n');
        String[] head = text.substring(MAGIC.length(), nl).split(" ");
        long validity = Long.parseLong(head[0]);
        long high = Long.parseLong(head[1]);
        long res = Long.parseLong(head[2]);
        long fl = Long.parseLong(head[3]);
        boolean clean = head.length > 4 && head[4].equals("1");
        if (high <= 0 || res < high || fl > high) {
            throw new IllegalArgumentException("inconsistent header");
        }
        Map<Long, long[]> records = new HashMap<>();
        int pos = nl + 1;
        int n = 0;
        long[] xu = new long[16];
        long[] xm = new long[16];
        while (pos < text.length()) {
            int end = text.indexOf('\n', pos);
            String[] f = text.substring(pos, end).split(" ");
            pos = end + 1;
            long uid = Long.parseLong(f[1]);
            long mod = Long.parseLong(f[2]);
            if (mod <= 0 || mod > high) {
                throw new IllegalArgumentException("MODSEQ " + mod + " above HIGHESTMODSEQ " + high);
            }
            switch (f[0]) {
                case "m" -> records.put(uid, new long[] {mod, Integer.parseInt(f[3])});
                case "x" -> {
                    if (n == xu.length) {
                        xu = Arrays.copyOf(xu, n * 2);
                        xm = Arrays.copyOf(xm, n * 2);
                    }
                    xu[n] = uid;
                    xm[n++] = mod;
                }
                default -> throw new IllegalArgumentException("unknown record " + f[0]);
            }
        }
        // What was handed out may have gone up to the reserved bound before a crash: start above it.
        highest = res;
        reserved = res;
        dirty = true;
        if (validity != currentValidity) {
            uidValidity = currentValidity;
            floor = highest;
            expCount = 0;
            fromFile = null;
        } else {
            uidValidity = validity;
            floor = fl;
            expUids = xu;
            expMods = xm;
            expCount = n;
            fromFile = clean ? records : null;
        }
        reserve();
    }

    /**
     * The UIDVALIDITY the scan found: a new one voids every per-message record and remembered expunge
     * (the UIDs mean other messages now); HIGHESTMODSEQ stays.
     *
     * @return whether it is a new one
     */
    boolean validity(long validity) {
        if (validity == uidValidity) {
            return false;
        }
        uidValidity = validity;
        floor = highest;
        expCount = 0;
        fromFile = null;
        dirty = true;
        return true;
    }

    /**
     * The lowest HIGHESTMODSEQ a view may report before it has seen anything: the last remembered
     * expunge's MODSEQ (or the floor), so that HIGHESTMODSEQ never goes down across a restart.
     */
    long expungeHigh() {
        return expCount == 0 ? floor : Math.max(floor, expMods[expCount - 1]);
    }

    /** A new MODSEQ, above every one given before. */
    long next() {
        highest++;
        dirty = true;
        if (highest >= reserved || cleanOnDisk) {
            reserve(); // also marks the file as not clean before anything it lacks is handed out
        }
        return highest;
    }

    /** The MODSEQ the file recorded for a message with these flags, or 0 if none (or other flags). */
    long recorded(long uid, int flagHash) {
        if (fromFile == null) {
            return 0;
        }
        long[] r = fromFile.get(uid);
        return r != null && r[1] == flagHash ? r[0] : 0;
    }

    /** The UIDs the file had records for (null once used); for the first scan, to find expunges. */
    Map<Long, long[]> fileRecords() {
        return fromFile;
    }

    /** The first scan after loading has used the file's per-message records. */
    void recordsUsed() {
        fromFile = null;
    }

    /** Records an expunge with its MODSEQ (the highest so far); the oldest are forgotten past the limit. */
    void expunged(long uid, long mod) {
        if (expCount == expUids.length) {
            int max = maxExpunged;
            if (expCount >= max) {
                int drop = expCount - max + 1;
                floor = expMods[drop - 1];
                System.arraycopy(expUids, drop, expUids, 0, expCount - drop);
                System.arraycopy(expMods, drop, expMods, 0, expCount - drop);
                expCount -= drop;
            } else {
                int n = Math.min(max, expCount * 2);
                expUids = Arrays.copyOf(expUids, n);
                expMods = Arrays.copyOf(expMods, n);
            }
        }
        if (expCount == expUids.length) { // a limit below the array's size
            floor = expMods[0];
            System.arraycopy(expUids, 1, expUids, 0, expCount - 1);
            System.arraycopy(expMods, 1, expMods, 0, expCount - 1);
            expCount--;
        }
        expUids[expCount] = uid;
        expMods[expCount++] = mod;
        dirty = true;
    }

    /**
     * The UIDs expunged with a MODSEQ above {@code since} and at most {@code upTo}, ascending by UID;
     * null if some may have been forgotten.
     */
    long[] expungedSince(long since, long upTo) {
        if (since < floor) {
            return null;
        }
        int from = expCount;
        while (from > 0 && expMods[from - 1] > since) {
            from--;
        }
        long[] out = new long[expCount - from];
        int n = 0;
        for (int i = from; i < expCount; i++) {
            if (expMods[i] <= upTo) {
                out[n++] = expUids[i];
            }
        }
        out = n == out.length ? out : Arrays.copyOf(out, n);
        Arrays.sort(out);
        return out;
    }

    /** Moves the bound on disk ahead; a failure to write it means MODSEQs cannot be kept safely. */
    private void reserve() {
        reserved = highest + RESERVE;
        write();
    }

    /**
     * Writes the file (a tmp/ file, then a rename): the bound, the folder's messages as last known (or
     * the file's records while the first scan has not used them yet) and the remembered expunges.
     */
    void write() {
        write(false);
    }

    /** The final write when the folder is released: its records can be trusted by the next process. */
    void writeClean() {
        write(true);
    }

    private void write(boolean clean) {
        if (!loaded) {
            return;
        }
        Entries entries = fromFile == null ? current.get() : null;
        StringBuilder out = new StringBuilder(64 + (entries == null ? 0 : entries.size() * 32) + expCount * 24);
        out.append(MAGIC).append(uidValidity).append(' ').append(highest).append(' ').append(reserved)
                .append(' ').append(floor).append(clean ? " 1" : " 0").append('\n');
        if (entries != null) {
            for (int i = 0; i < entries.size(); i++) {
                out.append("m ").append(entries.uid(i)).append(' ').append(entries.modseq(i)).append(' ')
                        .append(entries.flags(i).hashCode()).append('\n');
            }
        } else if (fromFile != null) {
            for (Map.Entry<Long, long[]> r : fromFile.entrySet()) {
                out.append("m ").append(r.getKey()).append(' ').append(r.getValue()[0]).append(' ')
                        .append(r.getValue()[1]).append('\n');
            }
        }
        for (int i = 0; i < expCount; i++) {
            out.append("x ").append(expUids[i]).append(' ').append(expMods[i]).append('\n');
        }
        Path t = dir.resolve("tmp").resolve(MaildirFileName.unique() + "_modseq");
        try {
            try {
                OwnerOnly.write(t, out.toString().getBytes(StandardCharsets.UTF_8));
                try {
                    Files.move(t, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(t, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(t);
            }
            dirty = false;
            broken = false;
            cleanOnDisk = clean;
        } catch (IOException e) {
            if (!broken) {
                LOG.warn("Cannot write {}: {}; the folder reports NOMODSEQ until it can", dir.resolve(FILE), e.toString());
            }
            broken = true;
        }
    }
}
