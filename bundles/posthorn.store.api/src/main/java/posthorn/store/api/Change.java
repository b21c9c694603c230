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

    /** The flags of a message the handle saw are now these. */
    record FlagsChanged(long uid, Set<String> flags) implements Change {
        public FlagsChanged {
            flags = Set.copyOf(flags);
        }
    }
}
