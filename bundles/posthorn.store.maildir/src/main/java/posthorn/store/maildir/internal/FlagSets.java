package posthorn.store.maildir.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One immutable instance per distinct flag set, for every folder of the process: a mailbox of 50,000
 * messages carries a handful of distinct sets (\Seen, \Seen \Answered, none...), so entries hold a
 * reference to a shared set instead of a set each.
 *
 * <p>Threading: lock-free (a concurrent map). The table is bounded: keywords are client-chosen, so past
 * {@link #MAX} distinct sets a set is only copied, not interned (correct, merely not shared).
 */
final class FlagSets {
    /** Distinct sets kept; each costs a few hundred bytes at most. */
    static final int MAX = 50_000;
    private static final ConcurrentHashMap<Set<String>, Set<String>> TABLE = new ConcurrentHashMap<>();

    private FlagSets() {
    }

    /** The shared immutable instance equal to {@code flags}. */
    static Set<String> intern(Set<String> flags) {
        Set<String> known = TABLE.get(flags);
        if (known != null) {
            return known;
        }
        Set<String> copy = Set.copyOf(flags);
        if (TABLE.size() >= MAX) {
            return copy;
        }
        Set<String> raced = TABLE.putIfAbsent(copy, copy);
        return raced == null ? copy : raced;
    }
}
