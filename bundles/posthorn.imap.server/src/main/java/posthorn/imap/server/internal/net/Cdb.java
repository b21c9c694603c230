package posthorn.imap.server.internal.net;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A constant database (D. J. Bernstein's cdb), read whole into memory and checked before use: the
 * form tcprules writes /etc/tcprules/imap.cdb in. The format: 256 table pointers (position and slot
 * count, 32-bit little-endian) in the first 2048 bytes; then the records (key length, data length,
 * key, data); then the 256 hash tables, each a run of (hash, record position) slots. A key's hash is
 * h = 5381, h = (h * 33) ^ byte, on 32 bits; table h mod 256, first slot (h / 256) mod slots, probed
 * onward with wrap-around until an empty slot (position 0). The first record added under a key is the
 * one found, as cdb_find finds it.
 *
 * <p>A file is taken only if all of it holds together: every pointer, length and slot inside the file,
 * every slot naming a record's start. So a truncated or hostile file is refused when it is read, with
 * the reason, and a lookup in an accepted one cannot go out of bounds or loop. Immutable.
 */
public final class Cdb {
    /** Largest file read: a rules database of a million addresses is some 30 MB. */
    public static final int MAX_BYTES = 64 << 20;
    private static final int HEADER = 2048;

    /** The file is not a well-formed cdb; the message says where and why. */
    public static final class Malformed extends Exception {
        Malformed(String message) {
            super(message);
        }
    }

    /** One record: its key, its data, and where it starts (what the hash tables point at). */
    public record Entry(String key, byte[] data, int position) {
    }

    private final byte[] bytes;
    private final List<Entry> entries;
    private final Map<Integer, Entry> byPosition;

    private Cdb(byte[] bytes, List<Entry> entries, Map<Integer, Entry> byPosition) {
        this.bytes = bytes;
        this.entries = entries;
        this.byPosition = byPosition;
    }

    /** Checks a whole file and returns it, or says why it cannot be read. */
    public static Cdb parse(byte[] bytes) throws Malformed {
        if (bytes.length > MAX_BYTES) {
            throw new Malformed(bytes.length + " bytes, more than the " + MAX_BYTES + " read");
        }
        if (bytes.length < HEADER) {
            throw new Malformed("truncated: " + bytes.length + " bytes, shorter than the 2048-byte header");
        }
        long recordsEnd = bytes.length;
        for (int i = 0; i < 256; i++) {
            long pos = u32(bytes, i * 8);
            long slots = u32(bytes, i * 8 + 4);
            if (pos < HEADER || pos > bytes.length) {
                throw new Malformed("table " + i + " starts at " + pos + ", outside 2048.." + bytes.length);
            }
            if (slots > (bytes.length - pos) / 8) {
                throw new Malformed("table " + i + " at " + pos + " claims " + slots + " slots, past the end of the file");
            }
            recordsEnd = Math.min(recordsEnd, pos);
        }
        List<Entry> entries = new ArrayList<>();
        Map<Integer, Entry> byPosition = new HashMap<>();
        long p = HEADER;
        while (p < recordsEnd) {
            if (recordsEnd - p < 8) {
                throw new Malformed("record at " + p + " is cut off by the hash tables");
            }
            long klen = u32(bytes, (int) p);
            long dlen = u32(bytes, (int) p + 4);
            if (klen > recordsEnd - p - 8 || dlen > recordsEnd - p - 8 - klen) {
                throw new Malformed("record at " + p + " claims " + klen + "+" + dlen + " bytes, past the end of the records");
            }
            int k = (int) (p + 8);
            String key = new String(bytes, k, (int) klen, StandardCharsets.ISO_8859_1);
            byte[] data = Arrays.copyOfRange(bytes, k + (int) klen, k + (int) klen + (int) dlen);
            Entry e = new Entry(key, data, (int) p);
            entries.add(e);
            byPosition.put((int) p, e);
            p += 8 + klen + dlen;
        }
        for (int i = 0; i < 256; i++) {
            int pos = (int) u32(bytes, i * 8);
            long slots = u32(bytes, i * 8 + 4);
            for (int s = 0; s < slots; s++) {
                long hash = u32(bytes, pos + s * 8);
                long rec = u32(bytes, pos + s * 8 + 4);
                if (rec == 0) {
                    continue;
                }
                Entry e = byPosition.get((int) Math.min(rec, Integer.MAX_VALUE));
                if (e == null) {
                    throw new Malformed("table " + i + " slot " + s + " points at " + rec + ", not the start of a record");
                }
                if ((hash & 0xff) != i) {
                    throw new Malformed("table " + i + " slot " + s + " holds a hash of table " + (hash & 0xff));
                }
            }
        }
        return new Cdb(bytes, List.copyOf(entries), byPosition);
    }

    /** Every record, in the file's order (for listing; lookups go through {@link #find}). */
    public List<Entry> entries() {
        return entries;
    }

    /**
     * The first record with this key, found through the hash tables as cdb_find finds it (so a record
     * no table points at is not found, as tcpserver would not find it), or null. At most one probe per
     * slot of the table.
     */
    public Entry find(String key) {
        byte[] k = key.getBytes(StandardCharsets.ISO_8859_1);
        long h = hash(k);
        int table = (int) (h & 0xff);
        int pos = (int) u32(bytes, table * 8);
        long slots = u32(bytes, table * 8 + 4);
        if (slots == 0) {
            return null;
        }
        long slot = (h >>> 8) % slots;
        for (long n = 0; n < slots; n++) {
            int at = (int) (pos + slot * 8);
            long rec = u32(bytes, at + 4);
            if (rec == 0) {
                return null;
            }
            if (u32(bytes, at) == h) {
                Entry e = byPosition.get((int) rec);
                if (e != null && e.key().equals(key)) {
                    return e;
                }
            }
            slot = (slot + 1) % slots;
        }
        return null;
    }

    /** cdb's hash: 5381, then times 33 xor each byte, on 32 bits. */
    static long hash(byte[] key) {
        long h = 5381;
        for (byte b : key) {
            h = ((h << 5) + h ^ (b & 0xff)) & 0xffffffffL;
        }
        return h;
    }

    private static long u32(byte[] b, int at) {
        return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
    }
}
