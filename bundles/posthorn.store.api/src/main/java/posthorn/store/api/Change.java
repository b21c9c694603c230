package posthorn.store.api;

import java.util.Set;

/**
 * One change to a mailbox since a handle last synchronised, in the order they are to be reported.
 * The server turns them into EXISTS, EXPUNGE and FETCH FLAGS responses.
 */
public sealed interface Change {

    /** A message the handle has not seen before. Appear in ascending UID order. */
    record Added(MessageMeta message) implements Change {
    }

    /** A message the handle saw is gone. */
    record Expunged(long uid) implements Change {
    }

    /**
     * The mailbox's UIDVALIDITY changed under the handle (its UID database was lost and rebuilt): every
     * UID the handle knows is void. The server ends the session's selection; the client must
     * resynchronise from scratch (RFC 3501 2.3.1.1).
     */
    record UidValidityChanged(long uidValidity) implements Change {
    }

    /** The flags of a message the handle saw are now these. */
    record FlagsChanged(long uid, Set<String> flags) implements Change {
        public FlagsChanged {
            flags = Set.copyOf(flags);
        }
    }
}
