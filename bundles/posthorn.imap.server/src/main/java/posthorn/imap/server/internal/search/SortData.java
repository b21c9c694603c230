package posthorn.imap.server.internal.search;

import java.util.List;

import posthorn.imap.server.internal.mime.Header;
import posthorn.store.api.MessageMeta;

/**
 * One message as THREAD (RFC 5256) sees it: its sequence number and UID, and its {@link SortKeys}.
 *
 * @param seq  the message's sequence number in the session
 * @param uid  its UID
 * @param keys what the threading algorithms read of it
 */
public record SortData(int seq, long uid, SortKeys keys) {

    public static SortData of(int seq, long uid, MessageMeta meta, Header h) {
        return new SortData(seq, uid, SortKeys.of(meta, h));
    }

    public long sent() {
        return keys.sent();
    }

    public String subject() {
        return keys.subject();
    }

    public boolean reply() {
        return keys.reply();
    }

    public String messageId() {
        return keys.messageId();
    }

    public List<String> references() {
        return keys.references();
    }
}
