package posthorn.imap.server.internal.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The cdb reader: well-formed files answer as cdb_find does; truncated and hostile ones are refused
 * with a reason when read, and nothing in them can throw or loop at lookup.
 */
class CdbTest {

    /** A cdb as cdb_make writes one (the format's description, not its code). */
    static byte[] write(List<String[]> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[2048]);
        List<long[]> slots = new ArrayList<>(); // hash, position
        for (String[] r : records) {
            byte[] k = r[0].getBytes(StandardCharsets.ISO_8859_1);
            byte[] d = r[1].getBytes(StandardCharsets.ISO_8859_1);
            slots.add(new long[] {Cdb.hash(k), out.size()});
            out.writeBytes(le(k.length));
            out.writeBytes(le(d.length));
            out.writeBytes(k);
            out.writeBytes(d);
        }
        byte[] header = new byte[2048];
        for (int t = 0; t < 256; t++) {
            List<long[]> mine = new ArrayList<>();
            for (long[] s : slots) {
                if ((s[0] & 0xff) == t) {
                    mine.add(s);
                }
            }
            int n = mine.size() * 2;
            long[][] table = new long[n][];
            for (long[] s : mine) {
                int i = (int) ((s[0] >>> 8) % n);
                while (table[i] != null) {
                    i = (i + 1) % n;
                }
                table[i] = s;
            }
            System.arraycopy(le(out.size()), 0, header, t * 8, 4);
            System.arraycopy(le(n), 0, header, t * 8 + 4, 4);
            for (long[] s : table) {
                out.writeBytes(le(s == null ? 0 : (int) s[0]));
                out.writeBytes(le(s == null ? 0 : (int) s[1]));
            }
        }
        byte[] b = out.toByteArray();
        System.arraycopy(header, 0, b, 0, 2048);
        return b;
    }

    private static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static final List<String[]> RECORDS = List.of(
            new String[] {"1.2.3.4", "D\0"},
            new String[] {"1.2.3.", "+max.per.ip=3\0+X=y\0"},
            new String[] {"", "D\0"},
            new String[] {"1.2.3.4", ""},
            new String[] {"=.example.com", ""});

    @Test
    void findsTheFirstRecordOfAKeyThroughTheHashTables() throws Exception {
        Cdb cdb = Cdb.parse(write(RECORDS));
        assertEquals(5, cdb.entries().size());
        assertArrayEquals("D\0".getBytes(StandardCharsets.ISO_8859_1), cdb.find("1.2.3.4").data());
        assertEquals("1.2.3.", cdb.find("1.2.3.").key());
        assertEquals("", cdb.find("").key());
        assertNull(cdb.find("1.2."));
        assertNull(cdb.find("nothing"));
        assertEquals(5381, Cdb.hash(new byte[0]));
    }

    @Test
    void rulesFromACdbAnswerAsTcpserverReadsThem() throws Exception {
        AccessRules r = AccessRules.parseCdb("imap.cdb", write(RECORDS));
        assertEquals("1.2.3.4:deny", r.choose(InetAddress.getByName("1.2.3.4"), null).rule().toString());
        AccessRule prefix = r.choose(InetAddress.getByName("1.2.3.5"), null).rule();
        assertEquals(3, prefix.maxPerIp());
        assertEquals("1.2.3.:allow,max.per.ip=\"3\",X=\"y\"", prefix.toString());
        assertEquals(0, prefix.line());
        assertEquals("=.example.com", r.choose(InetAddress.getByName("9.9.9.9"), "a.example.com").rule().key());
        assertEquals("", r.choose(InetAddress.getByName("9.9.9.9"), null).rule().key());
        assertTrue(r.usesHostNames());
    }

    @Test
    void aBadSettingInACdbRefusesItNamingTheRule() {
        byte[] b = write(List.<String[]>of(new String[] {"127.", "+max.per.ip=lots\0"}));
        AccessRules.Refused e = assertThrows(AccessRules.Refused.class, () -> AccessRules.parseCdb("imap.cdb", b));
        assertEquals("imap.cdb: rule \"127.\": max.per.ip=\"lots\": not a whole number from 1 to 2147483647", e.getMessage());
    }

    @Test
    void everyTruncationIsRefused() {
        byte[] whole = write(RECORDS);
        for (int n = 0; n < whole.length; n++) {
            byte[] cut = Arrays.copyOf(whole, n);
            assertThrows(Cdb.Malformed.class, () -> Cdb.parse(cut), "cut to " + n + " bytes");
            assertThrows(AccessRules.Refused.class, () -> AccessRules.parseCdb("x.cdb", cut), "cut to " + n + " bytes");
        }
    }

    @Test
    void hostilePointersAndLengthsAreRefusedWithTheReason() {
        byte[] whole = write(RECORDS);
        int firstRecord = 2048;
        int tables = ByteBuffer.wrap(whole).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        Object[][] table = {
            // where, the 32-bit value put there, what the refusal says
            {0, 0x7fffffff, "table 0 starts at 2147483647"},
            {0, 100, "table 0 starts at 100, outside"},
            {4, 0x7fffffff, "claims 2147483647 slots"},
            {4, -1, "claims 4294967295 slots"},
            {firstRecord, 0x7ffffff0, "claims 2147483632+"},
            {firstRecord + 4, -1, "+4294967295 bytes"},
            {firstRecord, 1, "claims"},   // key length off by some: the walk ends mid-record
        };
        for (Object[] row : table) {
            byte[] b = whole.clone();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt((Integer) row[0], (Integer) row[1]);
            Cdb.Malformed e = assertThrows(Cdb.Malformed.class, () -> Cdb.parse(b), Arrays.toString(row));
            assertTrue(e.getMessage().contains((String) row[2]), e.getMessage());
        }
        // a slot that points into the middle of a record, or past the records
        int slotsAt = tables;
        int withSlots = -1;
        for (int t = 0; t < 256 && withSlots < 0; t++) {
            ByteBuffer bb = ByteBuffer.wrap(whole).order(ByteOrder.LITTLE_ENDIAN);
            if (bb.getInt(t * 8 + 4) > 0) {
                withSlots = t;
                slotsAt = bb.getInt(t * 8);
            }
        }
        for (int bad : new int[] {firstRecord + 3, whole.length - 1, 0x7fffffff}) {
            byte[] b = whole.clone();
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            int n = bb.getInt(withSlots * 8 + 4);
            for (int s = 0; s < n; s++) {
                bb.putInt(slotsAt + s * 8 + 4, bad);
            }
            Cdb.Malformed e = assertThrows(Cdb.Malformed.class, () -> Cdb.parse(b));
            assertTrue(e.getMessage().contains("not the start of a record"), e.getMessage());
        }
        assertThrows(Cdb.Malformed.class, () -> Cdb.parse(new byte[Cdb.MAX_BYTES + 1]));
    }

    @Test
    void aTableWithEverySlotFullEndsItsSearch() throws Exception {
        // one record, its table's only slot full, so a probe for another key of that table never
        // meets an empty slot: the lookup must stop after one round
        byte[] b = write(List.<String[]>of(new String[] {"a", ""}));
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int t = (int) (Cdb.hash("a".getBytes(StandardCharsets.ISO_8859_1)) & 0xff);
        bb.putInt(t * 8 + 4, 1); // one slot, holding the record
        bb.putInt(bb.getInt(t * 8), (int) Cdb.hash("a".getBytes(StandardCharsets.ISO_8859_1)));
        bb.putInt(bb.getInt(t * 8) + 4, 2048);
        Cdb cdb = Cdb.parse(b);
        String other = null;
        for (int i = 0; other == null; i++) {
            if ((Cdb.hash(("k" + i).getBytes(StandardCharsets.ISO_8859_1)) & 0xff) == t) {
                other = "k" + i;
            }
        }
        String k = other;
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> assertNull(cdb.find(k)));
        assertEquals("a", cdb.find("a").key());
    }

    @Test
    void randomDamageIsRefusedOrReadNeverThrown() {
        byte[] whole = write(RECORDS);
        Random random = new Random(13);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            for (int round = 0; round < 20_000; round++) {
                byte[] b = whole.clone();
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
                try {
                    AccessRules r = AccessRules.parseCdb("x.cdb", b);
                    r.choose(InetAddress.getByName("1.2.3.4"), "a.example.com");
                    r.choose(InetAddress.getByName("9.9.9.9"), null);
                } catch (AccessRules.Refused expected) {
                    // refused with a reason: fine
                }
            }
        });
    }
}
