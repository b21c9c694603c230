package posthorn.imap.server.internal.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import posthorn.store.api.Flags;

/**
 * The distinct flag sets of one {@link SelectedMailbox}, numbered: the view keeps an int per message
 * instead of a set. A mailbox of 50,000 messages has a handful of distinct sets (\Seen, \Seen
 * \Answered, none, ...), so the table stays small; it can grow to at most one set per message
 * (each with its own keywords), and it goes with the view.
 *
 * <p>The set instances themselves are shared by all views through {@link #canonical}, a bounded
 * table: ten sessions on one mailbox hold one {@code Set.of("\\Seen")}, not ten.
 *
 * <p>Owned by one view; not thread-safe ({@link #canonical} is).
 */
final class FlagSets {
    /** Past this many shared sets a new set is kept by its view alone (keywords make sets open-ended). */
    private static final int SHARED_MAX = 4096;
    private static final Map<Set<String>, Set<String>> SHARED = new ConcurrentHashMap<>();

    private final List<Set<String>> byId = new ArrayList<>();
    private final Map<Set<String>, Integer> ids = new HashMap<>();
    /** Per id: whether the set holds \Seen, \Deleted (the flags commands scan 50,000 messages for). */
    private boolean[] seen = new boolean[8];
    private boolean[] deleted = new boolean[8];

    /**
     * The immutable set that {@link #id} was last given and its id: the store hands out its own shared
     * set instances and a view's messages mostly repeat a few of them, so a run of the same instance
     * (a SELECT of 50,000 messages, a sync) skips hashing the set. Only an immutable set is kept (one
     * that {@link Set#copyOf} returns as it is), since a caller may change a set of its own.
     */
    private Set<String> lastSet;
    private int lastId;
    /** Per id, the FETCH flag list as sent ({@link #rendered}); null until first written. */
    private byte[][] rendered = new byte[8][];
    private byte[][] renderedRecent = new byte[8][];

    /** The id of a set, numbering it if it is new. */
    int id(Set<String> flags) {
        if (flags == lastSet) {
            return lastId;
        }
        Integer known = ids.get(flags);
        int id = known != null ? known : number(flags);
        if (Set.copyOf(flags) == flags) {
            lastSet = flags;
            lastId = id;
        }
        return id;
    }

    private int number(Set<String> flags) {
        Set<String> set = canonical(flags);
        int n = byId.size();
        byId.add(set);
        ids.put(set, n);
        if (n == seen.length) {
            seen = java.util.Arrays.copyOf(seen, n * 2);
            deleted = java.util.Arrays.copyOf(deleted, n * 2);
        }
        seen[n] = set.contains(Flags.SEEN);
        deleted[n] = set.contains(Flags.DELETED);
        return n;
    }

    /**
     * The flag list of set {@code id} as a FETCH response carries it, the bytes
     * {@link SelectedMailbox#writeFlags} writes for it: {@code (}, the flags sorted and space-separated,
     * {@code \Recent} last when {@code recent}, {@code )}. Rendered once per set and view, so a FETCH
     * of 50,000 messages renders a handful of lists, not 50,000.
     */
    byte[] rendered(int id, boolean recent) {
        byte[][] table = recent ? renderedRecent : rendered;
        if (id >= table.length) {
            rendered = java.util.Arrays.copyOf(rendered, Math.max(id + 1, rendered.length * 2));
            renderedRecent = java.util.Arrays.copyOf(renderedRecent, rendered.length);
            table = recent ? renderedRecent : rendered;
        }
        byte[] r = table[id];
        if (r == null) {
            String text = String.join(" ", new java.util.TreeSet<>(byId.get(id)));
            if (recent) {
                text = text.isEmpty() ? Flags.RECENT : text + " " + Flags.RECENT;
            }
            r = ("(" + text + ")").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            table[id] = r;
        }
        return r;
    }

    Set<String> get(int id) {
        return byId.get(id);
    }

    boolean seen(int id) {
        return seen[id];
    }

    boolean deleted(int id) {
        return deleted[id];
    }

    int size() {
        return byId.size();
    }

    /** One immutable instance per distinct set, shared across views while the shared table has room. */
    static Set<String> canonical(Set<String> flags) {
        Set<String> known = SHARED.get(flags);
        if (known != null) {
            return known;
        }
        Set<String> copy = Set.copyOf(flags);
        if (SHARED.size() < SHARED_MAX) {
            Set<String> raced = SHARED.putIfAbsent(copy, copy);
            return raced != null ? raced : copy;
        }
        return copy;
    }
}
