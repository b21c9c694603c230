package posthorn.imap.server.internal.search;

import java.io.IOException;
import java.io.InputStream;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import posthorn.imap.server.internal.fetch.FetchData;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.mime.Address;
import posthorn.imap.server.internal.mime.Header;
import posthorn.imap.server.internal.mime.MimePart;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;

/** What SORT and THREAD (RFC 5256) need of one message, read from its header once. */
public record SortData(int seq, long uid, long size, long arrival, long sent, String subject, boolean reply,
                       String from, String to, String cc, String messageId, List<String> references) {

    private static final Pattern DATE_TIME = Pattern.compile(
            "(\\d{1,2})\\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\.?\\s+(\\d{2,4})\\s+"
                    + "(\\d{1,2}):(\\d{2})(?::(\\d{2}))?\\s*([+-]\\d{4})?", Pattern.CASE_INSENSITIVE);
    private static final Pattern MSG_ID = Pattern.compile("<([^<>\\s]+)>");
    private static final List<String> MONTHS = List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
            "sep", "oct", "nov", "dec");

    /** Reads the header of the message at {@code seq}; null if it was expunged meanwhile. */
    public static SortData read(SelectedMailbox view, int seq) throws IOException, StoreException {
        long uid = view.uidAt(seq);
        MessageMeta meta = view.meta(uid);
        byte[] bytes;
        try (InputStream in = view.store().openMessage(uid)) {
            bytes = FetchData.readHeader(in);
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.EXPUNGEISSUED) {
                return null;
            }
            throw e;
        }
        return of(seq, uid, meta, MimePart.parseHeader(bytes, bytes.length));
    }

    public static SortData of(int seq, long uid, MessageMeta meta, Header h) {
        long arrival = meta.internalDate().getEpochSecond();
        long sent = sentDate(h.lastValue("Date"));
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
        return new SortData(seq, uid, meta.size(), arrival, sent == Long.MIN_VALUE ? arrival : sent, subject,
                reply[0], mailbox(h.lastValue("From")), mailbox(h.lastValue("To")), mailbox(h.lastValue("Cc")),
                mid.isEmpty() ? null : mid.get(0), refs);
    }

    /** The addr-mailbox of the first address (RFC 5256 SORT FROM/TO/CC), case-folded; "" if none. */
    private static String mailbox(String value) {
        for (Address a : Address.parseList(value)) {
            if (!a.isGroupMarker()) {
                return a.mailbox().toLowerCase(Locale.ROOT);
            }
        }
        return "";
    }

    private static List<String> ids(String value) {
        List<String> out = new ArrayList<>();
        if (value != null) {
            Matcher m = MSG_ID.matcher(value);
            while (m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    /** Seconds since the epoch in UTC of an RFC 5322 date-time, or Long.MIN_VALUE. */
    static long sentDate(String value) {
        if (value == null) {
            return Long.MIN_VALUE;
        }
        Matcher m = DATE_TIME.matcher(value);
        if (!m.find()) {
            return Long.MIN_VALUE;
        }
        try {
            int year = Integer.parseInt(m.group(3));
            if (m.group(3).length() <= 2) {
                year += year < 50 ? 2000 : 1900;
            } else if (m.group(3).length() == 3) {
                year += 1900;
            }
            LocalDateTime t = LocalDateTime.of(year,
                    MONTHS.indexOf(m.group(2).substring(0, 3).toLowerCase(Locale.ROOT)) + 1,
                    Integer.parseInt(m.group(1)), Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)),
                    m.group(6) == null ? 0 : Integer.parseInt(m.group(6)));
            ZoneOffset zone = ZoneOffset.UTC;
            if (m.group(7) != null) {
                int z = Integer.parseInt(m.group(7).substring(1));
                int secs = (z / 100 * 3600 + z % 100 * 60) * (m.group(7).charAt(0) == '-' ? -1 : 1);
                zone = ZoneOffset.ofTotalSeconds(Math.max(-18 * 3600, Math.min(18 * 3600, secs)));
            }
            return t.toEpochSecond(zone);
        } catch (RuntimeException e) {
            return Long.MIN_VALUE;
        }
    }
}
