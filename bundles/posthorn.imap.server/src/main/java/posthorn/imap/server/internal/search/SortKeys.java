package posthorn.imap.server.internal.search;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import posthorn.imap.server.internal.mime.Address;
import posthorn.imap.server.internal.mime.Header;
import posthorn.imap.server.internal.mime.MessageDate;
import posthorn.imap.server.internal.mime.Structure;
import posthorn.store.api.MessageMeta;

/**
 * What SORT (RFC 5256, and SORT=DISPLAY, RFC 5957) and THREAD need of one message, derived from its
 * header once and kept in the store's index as one compact binary record ({@link #encode()},
 * field {@code imap.sortkeys}), so that SORT and THREAD read no message file once a message is indexed.
 *
 * <p>The record, version 1 (all integers big-endian; a string is an unsigned LEB128 length, at most
 * 5 bytes, then that many bytes of well-formed UTF-8):
 * <pre>
 *   u8  version (1)
 *   u8  flags: bit 0 the subject carried a reply/forward marker; bit 1 a Message-ID is present;
 *       every other bit zero
 *   i64 sent (the Date: header, RFC 5256 2.2, in epoch seconds; INTERNALDATE if it has none that parses)
 *   i64 arrival (INTERNALDATE, epoch seconds)
 *   i64 size (RFC822.SIZE)
 *   string subject, from, to, cc, displayFrom, displayTo, and the Message-ID if bit 1 is set
 *   LEB128 count, then that many strings: the references (References:, else In-Reply-To's first id)
 * </pre>
 * and nothing after. The store hands back whatever bytes it has (a damaged index, another version):
 * a record that is not exactly this is {@link #valid not valid}, and is derived again from the message,
 * never read partly.
 *
 * @param sent        the sent date, epoch seconds
 * @param arrival     INTERNALDATE, epoch seconds
 * @param size        RFC822.SIZE
 * @param reply       whether the base subject lost a reply or forward marker (RFC 5256 2.1)
 * @param subject     the base subject, case-folded
 * @param from        the first From address's mailbox (RFC 5256 SORT FROM), case-folded; "" if none
 * @param to          the same of To
 * @param cc          the same of Cc
 * @param displayFrom the first From address as RFC 5957 shows it: its decoded display name, else
 *                    mailbox@host; "" if none
 * @param displayTo   the same of To
 * @param messageId   the Message-ID's id without brackets, or null
 * @param references  the ids the message refers to, oldest first
 */
public record SortKeys(long sent, long arrival, long size, boolean reply, String subject, String from, String to,
                       String cc, String displayFrom, String displayTo, String messageId, List<String> references) {

    public static final byte VERSION = 1;
    /** The string fields in record order, for {@link #string}. */
    public static final int SUBJECT = 0;
    public static final int FROM = 1;
    public static final int TO = 2;
    public static final int CC = 3;
    public static final int DISPLAY_FROM = 4;
    public static final int DISPLAY_TO = 5;
    private static final int STRINGS = 6;
    private static final int FIXED = 2 + 3 * 8;
    private static final int REPLY = 1;
    private static final int HAS_ID = 2;
    /** Eight bytes of a byte[] as one long (for {@link #wellFormedUtf8}'s ASCII run; byte order immaterial). */
    private static final java.lang.invoke.VarHandle BIG_ENDIAN_LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);
    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.nativeOrder());

    public SortKeys {
        references = List.copyOf(references);
    }

    /** The keys of a message from its parsed header and what the store knows of it. */
    public static SortKeys of(MessageMeta meta, Header h) {
        return of(meta, h, Structure.Addresses.of(h));
    }

    /** The same, with the header's From, To and Cc parsed already (for ENVELOPE, from the same read). */
    public static SortKeys of(MessageMeta meta, Header h, Structure.Addresses addresses) {
        long arrival = meta.internalDate().getEpochSecond();
        MessageDate date = MessageDate.parse(h.lastValue("Date"));
        OffsetDateTime sent = date == null ? null : date.dateTime();
        boolean[] reply = new boolean[1];
        String subject = BaseSubject.of(h.lastValue("Subject"), reply);
        List<String> refs = ids(h.lastValue("References"));
        if (refs.isEmpty()) {
            List<String> irt = ids(h.lastValue("In-Reply-To"));
            if (!irt.isEmpty()) {
                refs = List.of(irt.get(0));
            }
        }
        List<String> mid = ids(h.lastValue("Message-ID"));
        Address from = first(addresses.from());
        Address to = first(addresses.to());
        return new SortKeys(sent == null ? arrival : sent.toEpochSecond(), arrival, meta.size(), reply[0], subject,
                mailbox(from), mailbox(to), mailbox(first(addresses.cc())), display(from), display(to),
                mid.isEmpty() ? null : mid.get(0), refs);
    }

    /**
     * The first address as ENVELOPE lists it. For group syntax that is the group's start marker:
     * Dovecot 2.3 sorts "Cc: user2: blah@domain1.org;" under "user2", not "blah".
     */
    private static Address first(List<Address> list) {
        for (Address a : list) {
            if (a.mailbox() != null) {
                return a;
            }
        }
        return null;
    }

    /** The addr-mailbox (RFC 5256 SORT FROM/TO/CC), case-folded; "" if none. */
    private static String mailbox(Address a) {
        return a == null ? "" : a.mailbox().toLowerCase(Locale.ROOT);
    }

    /** RFC 5957 3: the display name, decoded (RFC 2047), if there is one; else the addr-spec. */
    private static String display(Address a) {
        if (a == null) {
            return "";
        }
        if (a.name() != null) {
            String name = TextScanner.decodeHeader(a.name()).strip();
            if (!name.isEmpty()) {
                return name;
            }
        }
        return a.host() == null ? a.mailbox() : a.mailbox() + "@" + a.host();
    }

    /** The ids in a References/In-Reply-To/Message-ID value: what stands between "<" and ">", no space in it. */
    static List<String> ids(String value) {
        List<String> out = new ArrayList<>();
        if (value == null) {
            return out;
        }
        int i = 0;
        int n = value.length();
        while (i < n) {
            int open = value.indexOf('<', i);
            if (open < 0) {
                break;
            }
            int j = open + 1;
            while (j < n) {
                char c = value.charAt(j);
                if (c == '>' || c == '<' || Character.isWhitespace(c)) {
                    break;
                }
                j++;
            }
            if (j < n && value.charAt(j) == '>' && j > open + 1) {
                out.add(value.substring(open + 1, j));
                i = j + 1;
            } else {
                i = open + 1;
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ the record

    public byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + subject.length() + 16 * references.size());
        out.write(VERSION);
        out.write((reply ? REPLY : 0) | (messageId != null ? HAS_ID : 0));
        long64(out, sent);
        long64(out, arrival);
        long64(out, size);
        for (String s : new String[] {subject, from, to, cc, displayFrom, displayTo}) {
            string(out, s);
        }
        if (messageId != null) {
            string(out, messageId);
        }
        varint(out, references.size());
        for (String r : references) {
            string(out, r);
        }
        return out.toByteArray();
    }

    /** The record's keys; null if {@code rec} is not a {@link #valid} record. */
    public static SortKeys decode(byte[] rec) {
        if (!valid(rec)) {
            return null;
        }
        int[] pos = {FIXED};
        String[] s = new String[STRINGS];
        for (int i = 0; i < STRINGS; i++) {
            s[i] = readString(rec, pos);
        }
        String id = (rec[1] & HAS_ID) != 0 ? readString(rec, pos) : null;
        int count = (int) readVarint(rec, pos);
        List<String> refs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            refs.add(readString(rec, pos));
        }
        return new SortKeys(long64(rec, 2), long64(rec, 10), long64(rec, 18), (rec[1] & REPLY) != 0, s[0], s[1], s[2],
                s[3], s[4], s[5], id, refs);
    }

    /**
     * What THREAD reads of a {@link #valid} record (the sent date, the base subject and whether it
     * lost a reply marker, the Message-ID, the references), decoded straight into a {@link SortData},
     * the subject only when it is read (the record is kept, read-only); the address fields, which no
     * threading algorithm reads, are skipped, not decoded.
     */
    public static SortData forThreads(int seq, long uid, byte[] rec) {
        long subjectLength = varintAt(rec, FIXED);
        int subjectAt = (int) (subjectLength >>> 32);
        int at = subjectAt + (int) subjectLength;
        int[] pos = new int[1];
        for (int i = 1; i < STRINGS; i++) {
            long len = varintAt(rec, at);
            at = (int) (len >>> 32) + (int) len;
        }
        pos[0] = at;
        String id = (rec[1] & HAS_ID) != 0 ? readString(rec, pos) : null;
        int count = (int) readVarint(rec, pos);
        List<String> refs;
        if (count == 0) {
            refs = List.of();
        } else {
            String[] r = new String[count];
            for (int i = 0; i < count; i++) {
                r[i] = readString(rec, pos);
            }
            refs = java.util.Arrays.asList(r);
        }
        return new SortData(seq, uid, long64(rec, 2), (rec[1] & REPLY) != 0, rec, subjectAt, (int) subjectLength, id,
                refs);
    }

    /**
     * Whether {@code rec} is a whole record of this version: every length within the bytes, every
     * string well-formed UTF-8, no unknown flag, nothing left over. Allocates nothing.
     */
    public static boolean valid(byte[] rec) {
        if (rec == null || rec.length < FIXED || rec[0] != VERSION || (rec[1] & ~(REPLY | HAS_ID)) != 0) {
            return false;
        }
        // After the fixed part a record is lengths and strings. If none of its bytes has the high bit
        // set (nearly every record: ASCII strings shorter than 128 bytes), every string is ASCII and
        // so well-formed UTF-8, and only the lengths need checking: one pass eight bytes at a time.
        boolean ascii = asciiOnly(rec, FIXED, rec.length);
        int pos = FIXED;
        int strings = STRINGS + ((rec[1] & HAS_ID) != 0 ? 1 : 0);
        for (int i = 0; i < strings; i++) {
            pos = skipString(rec, pos, ascii);
            if (pos < 0) {
                return false;
            }
        }
        long count = varintAt(rec, pos);
        if (count < 0) {
            return false;
        }
        pos = (int) (count >>> 32);
        int refs = (int) count;
        for (int i = 0; i < refs; i++) {
            pos = skipString(rec, pos, ascii);
            if (pos < 0) {
                return false;
            }
        }
        return pos == rec.length;
    }

    /** Whether no byte of {@code b[from..to)} has its high bit set. */
    private static boolean asciiOnly(byte[] b, int from, int to) {
        int i = from;
        for (; i + 8 <= to; i += 8) {
            if (((long) LONGS.get(b, i) & 0x8080808080808080L) != 0) {
                return false;
            }
        }
        for (; i < to; i++) {
            if (b[i] < 0) {
                return false;
            }
        }
        return true;
    }

    /** The sent date of a {@link #valid} record. */
    public static long sent(byte[] rec) {
        return long64(rec, 2);
    }

    /** The arrival (INTERNALDATE) of a {@link #valid} record. */
    public static long arrival(byte[] rec) {
        return long64(rec, 10);
    }

    /** The size of a {@link #valid} record. */
    public static long size(byte[] rec) {
        return long64(rec, 18);
    }

    /** One string field ({@link #SUBJECT} ... {@link #DISPLAY_TO}) of a {@link #valid} record. */
    public static String string(byte[] rec, int field) {
        int pos = FIXED;
        for (int i = 0; i < field; i++) {
            pos = skipString(rec, pos, true); // valid already: no second UTF-8 check
        }
        return readString(rec, new int[] {pos});
    }

    private static void long64(ByteArrayOutputStream out, long v) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.write((int) (v >>> shift));
        }
    }

    private static long long64(byte[] b, int at) {
        return (long) BIG_ENDIAN_LONGS.get(b, at);
    }

    private static void varint(ByteArrayOutputStream out, int v) {
        while ((v & ~0x7F) != 0) {
            out.write((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write(v);
    }

    private static void string(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        varint(out, b.length);
        out.writeBytes(b);
    }

    /**
     * The LEB128 value at {@code at} and where it ends, packed as (end << 32 | value); -1 if it runs
     * past the bytes, takes more than 5 bytes or exceeds what the rest of the record could hold.
     */
    private static long varintAt(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 5; i++) {
            if (at + i >= b.length) {
                return -1;
            }
            int x = b[at + i] & 0xFF;
            v |= (long) (x & 0x7F) << (7 * i);
            if ((x & 0x80) == 0) {
                int end = at + i + 1;
                return v > b.length - end ? -1 : ((long) end << 32) | v;
            }
        }
        return -1;
    }

    /**
     * Where the string at {@code at} ends; -1 if it does not fit or is not well-formed UTF-8 (not
     * looked at if the caller knows the whole record {@code ascii}).
     */
    private static int skipString(byte[] b, int at, boolean ascii) {
        long len = varintAt(b, at);
        if (len < 0) {
            return -1;
        }
        int start = (int) (len >>> 32);
        int end = start + (int) len;
        return ascii || wellFormedUtf8(b, start, end) ? end : -1;
    }

    private static long readVarint(byte[] b, int[] pos) {
        long len = varintAt(b, pos[0]);
        pos[0] = (int) (len >>> 32);
        return (int) len;
    }

    private static String readString(byte[] b, int[] pos) {
        int len = (int) readVarint(b, pos);
        String s = new String(b, pos[0], len, StandardCharsets.UTF_8);
        pos[0] += len;
        return s;
    }

    /** RFC 3629 well-formedness: no overlong forms, no surrogates, nothing above U+10FFFF, no cut sequence. */
    static boolean wellFormedUtf8(byte[] b, int from, int to) {
        int i = from;
        while (i < to) {
            // ASCII, nearly all of a record, eight bytes at a time (SORT checks every record it reads)
            while (i + 8 <= to && ((long) LONGS.get(b, i) & 0x8080808080808080L) == 0) {
                i += 8;
            }
            if (i >= to) {
                break;
            }
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                i++;
                continue;
            }
            int n;
            int lo = 0x80;
            int hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                n = 1;
            } else if (c >= 0xE0 && c <= 0xEF) {
                n = 2;
                if (c == 0xE0) {
                    lo = 0xA0;
                } else if (c == 0xED) {
                    hi = 0x9F;
                }
            } else if (c >= 0xF0 && c <= 0xF4) {
                n = 3;
                if (c == 0xF0) {
                    lo = 0x90;
                } else if (c == 0xF4) {
                    hi = 0x8F;
                }
            } else {
                return false;
            }
            if (i + n >= to) {
                return false; // the sequence is cut off
            }
            int c1 = b[i + 1] & 0xFF;
            if (c1 < lo || c1 > hi) {
                return false;
            }
            for (int k = 2; k <= n; k++) {
                int ck = b[i + k] & 0xFF;
                if (ck < 0x80 || ck > 0xBF) {
                    return false;
                }
            }
            i += n + 1;
        }
        return true;
    }
}
