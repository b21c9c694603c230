package posthorn.imap.server.internal.search;

import java.time.LocalDate;
import java.util.List;

import posthorn.imap.protocol.SequenceSet;

/** A SEARCH key (RFC 3501 6.4.4), already normalised (e.g. ANSWERED is a flag test). */
public sealed interface SearchKey {

    record All() implements SearchKey {
    }

    /** A system flag or keyword that must be set ({@code set}) or not. */
    record Flag(String flag, boolean set) implements SearchKey {
    }

    record Recent(boolean recent) implements SearchKey {
    }

    /** NEW: \Recent and not \Seen. */
    record New() implements SearchKey {
    }

    /** Sequence numbers or UIDs. */
    record Set(SequenceSet set, boolean uid) implements SearchKey {
    }

    /** A header field (any of the names) whose decoded value contains {@code text}; "" matches any. */
    record Header(List<String> names, String text) implements SearchKey {
    }

    /**
     * FROM, TO, CC or BCC: a field of that name one of whose addresses, as ENVELOPE parses them and
     * written back without comments, contains {@code text}; "" matches any such field.
     */
    record Address(String field, String text) implements SearchKey {
    }

    /** BODY (only the body) or TEXT (header and body). */
    record Text(String text, boolean withHeader) implements SearchKey {
    }

    enum DateOp { BEFORE, ON, SINCE }

    /** BEFORE/ON/SINCE on the internal date, or SENTBEFORE/SENTON/SENTSINCE on the Date header. */
    record Date(DateOp op, LocalDate date, boolean sent) implements SearchKey {
    }

    /**
     * WITHIN (RFC 5032): OLDER ({@code older}) or YOUNGER than {@code seconds} before now, by the
     * internal date to the second (not by day, as BEFORE and SINCE are).
     */
    record Within(long seconds, boolean older) implements SearchKey {
    }

    /** LARGER ({@code larger}) or SMALLER. */
    record Size(long size, boolean larger) implements SearchKey {
    }

    /** RFC 8514 4.2: SAVEDBEFORE, SAVEDON, SAVEDSINCE; the INTERNALDATE where no save date is known. */
    record SaveDate(DateOp op, LocalDate date) implements SearchKey {
    }

    /** RFC 8514 4.2: SAVEDATESUPPORTED, every message where the mailbox keeps save dates, else none. */
    record SaveDateSupported() implements SearchKey {
    }

    /** RFC 8474 6: EMAILID ({@code thread} false) or THREADID. */
    record ObjectId(String id, boolean thread) implements SearchKey {
    }

    /**
     * MODSEQ (RFC 7162 3.1.5): messages whose MODSEQ is at least {@code modSeq}; the entry name and
     * type, if given, are accepted and ignored (the store keeps one MODSEQ per message, as Dovecot).
     */
    record ModSeq(long modSeq) implements SearchKey {
    }

    /** Whether a key uses MODSEQ anywhere (SEARCH then reports the highest MODSEQ found, RFC 7162 3.1.5). */
    static boolean usesModSeq(SearchKey k) {
        return switch (k) {
            case ModSeq m -> true;
            case Not n -> usesModSeq(n.key());
            case Or o -> usesModSeq(o.a()) || usesModSeq(o.b());
            case And a -> a.keys().stream().anyMatch(SearchKey::usesModSeq);
            default -> false;
        };
    }

    record Not(SearchKey key) implements SearchKey {
    }

    record Or(SearchKey a, SearchKey b) implements SearchKey {
    }

    record And(List<SearchKey> keys) implements SearchKey {
    }
}
