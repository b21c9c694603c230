package posthorn.imap.server.internal.search;

import java.nio.charset.StandardCharsets;
import java.util.List;

import posthorn.imap.server.internal.mime.Header;
import posthorn.store.api.MessageMeta;

/**
 * One message as THREAD (RFC 5256) sees it: its sequence number and UID, and what the threading
 * algorithms read of its {@link SortKeys} (one object a message, 50,000 of them in a THREAD: the
 * address keys, which no algorithm reads, are not decoded; {@link SortKeys#forThreads}). The base
 * subject is decoded from the record on first use: REFERENCES reads it only for the threads' roots.
 * Not thread-safe (one command's).
 */
public final class SortData {
    private final int seq;
    private final long uid;
    private final long sent;
    private final boolean reply;
    private final String messageId;
    private final List<String> references;
    /** The base subject, or null until {@link #subject()} decodes it from {@link #record}. */
    private String subject;
    private final byte[] record;
    private final int subjectAt;
    private final int subjectLength;

    /**
     * @param seq        the message's sequence number in the session
     * @param uid        its UID
     * @param sent       the sent date, epoch seconds ({@link SortKeys#sent()})
     * @param reply      whether the base subject lost a reply or forward marker
     * @param subject    the base subject, case-folded
     * @param messageId  the Message-ID without brackets, or null
     * @param references the ids it refers to, oldest first
     */
    public SortData(int seq, long uid, long sent, boolean reply, String subject, String messageId,
                    List<String> references) {
        this(seq, uid, sent, reply, subject, null, 0, 0, messageId, references);
    }

    /** With the subject left in a {@link SortKeys#valid valid} record, UTF-8 at {@code at}, {@code length} bytes. */
    SortData(int seq, long uid, long sent, boolean reply, byte[] record, int at, int length, String messageId,
             List<String> references) {
        this(seq, uid, sent, reply, null, record, at, length, messageId, references);
    }

    private SortData(int seq, long uid, long sent, boolean reply, String subject, byte[] record, int at, int length,
                     String messageId, List<String> references) {
        this.seq = seq;
        this.uid = uid;
        this.sent = sent;
        this.reply = reply;
        this.subject = subject;
        this.record = record;
        this.subjectAt = at;
        this.subjectLength = length;
        this.messageId = messageId;
        this.references = references;
    }

    public static SortData of(int seq, long uid, MessageMeta meta, Header h) {
        return of(seq, uid, SortKeys.of(meta, h));
    }

    public static SortData of(int seq, long uid, SortKeys k) {
        return new SortData(seq, uid, k.sent(), k.reply(), k.subject(), k.messageId(), k.references());
    }

    public int seq() {
        return seq;
    }

    public long uid() {
        return uid;
    }

    public long sent() {
        return sent;
    }

    public boolean reply() {
        return reply;
    }

    /** The base subject, case-folded. */
    public String subject() {
        if (subject == null) {
            subject = new String(record, subjectAt, subjectLength, StandardCharsets.UTF_8);
        }
        return subject;
    }

    public String messageId() {
        return messageId;
    }

    public List<String> references() {
        return references;
    }
}
