package posthorn.imap.server.internal.search;

import java.util.List;

import posthorn.imap.server.internal.mime.Header;
import posthorn.store.api.MessageMeta;

/**
 * One message as THREAD (RFC 5256) sees it: its sequence number and UID, and what the threading
 * algorithms read of its {@link SortKeys} (one object a message, 50,000 of them in a THREAD: the
 * address keys, which no algorithm reads, are not decoded; {@link SortKeys#forThreads}).
 *
 * @param seq        the message's sequence number in the session
 * @param uid        its UID
 * @param sent       the sent date, epoch seconds ({@link SortKeys#sent()})
 * @param reply      whether the base subject lost a reply or forward marker
 * @param subject    the base subject, case-folded
 * @param messageId  the Message-ID without brackets, or null
 * @param references the ids it refers to, oldest first
 */
public record SortData(int seq, long uid, long sent, boolean reply, String subject, String messageId,
                       List<String> references) {

    public static SortData of(int seq, long uid, MessageMeta meta, Header h) {
        return of(seq, uid, SortKeys.of(meta, h));
    }

    public static SortData of(int seq, long uid, SortKeys k) {
        return new SortData(seq, uid, k.sent(), k.reply(), k.subject(), k.messageId(), k.references());
    }
}
