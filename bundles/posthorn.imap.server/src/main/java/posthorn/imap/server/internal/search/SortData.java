package posthorn.imap.server.internal.search;

import java.io.IOException;
import java.io.InputStream;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.mime.Address;
import posthorn.imap.server.internal.mime.Header;
import posthorn.imap.server.internal.mime.MessageDate;
import posthorn.imap.server.internal.mime.MimePart;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;

/** What SORT and THREAD (RFC 5256) need of one message, read from its header once. */
public record SortData(int seq, long uid, long size, long arrival, long sent, String subject, boolean reply,
                       String from, String to, String cc, String messageId, List<String> references) {

    private static final Pattern MSG_ID = Pattern.compile("<([^<>\\s]+)>");

    /** Reads the header of the message at {@code seq}; null if it was expunged meanwhile. */
    public static SortData read(SelectedMailbox view, int seq) throws IOException, StoreException {
        long uid = view.uidAt(seq);
        MessageMeta meta = view.meta(uid);
        byte[] bytes;
        try (InputStream in = view.store().openMessage(uid)) {
            bytes = MimePart.readHeader(in);
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.EXPUNGEISSUED) {
                return null;
            }
            throw e;
        }
        if (meta.size() == MessageMeta.UNKNOWN_SIZE) {
            try {
                meta = meta.withSize(view.store().size(meta)); // measured by the store once (store.api 1.5)
            } catch (StoreException e) {
                if (e.reason() == StoreException.Reason.EXPUNGEISSUED) {
                    return null;
                }
                throw e;
            }
        }
        return of(seq, uid, meta, MimePart.parseHeader(bytes, bytes.length));
    }

    public static SortData of(int seq, long uid, MessageMeta meta, Header h) {
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
        return new SortData(seq, uid, meta.size(), arrival, sent == null ? arrival : sent.toEpochSecond(), subject,
                reply[0], mailbox(h.lastValue("From")), mailbox(h.lastValue("To")), mailbox(h.lastValue("Cc")),
                mid.isEmpty() ? null : mid.get(0), refs);
    }

    /**
     * The addr-mailbox of the first address as ENVELOPE lists it (RFC 5256 SORT FROM/TO/CC), case-folded;
     * "" if none. For group syntax that is the group name, whose start marker comes first: Dovecot 2.3
     * sorts "Cc: user2: blah@domain1.org;" under "user2", not "blah".
     */
    private static String mailbox(String value) {
        for (Address a : Address.parseList(value)) {
            if (a.mailbox() != null) {
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
}
