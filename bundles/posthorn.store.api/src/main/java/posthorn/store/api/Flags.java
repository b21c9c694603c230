package posthorn.store.api;

import java.util.Set;

/**
 * IMAP system flags as the store and the server spell them. Keywords are any other atom; stores keep
 * their case as first seen. {@code \Recent} is never stored as a flag: see {@link MessageMeta#recent()}.
 */
public final class Flags {
    public static final String SEEN = "\\Seen";
    public static final String ANSWERED = "\\Answered";
    public static final String FLAGGED = "\\Flagged";
    public static final String DELETED = "\\Deleted";
    public static final String DRAFT = "\\Draft";
    public static final String RECENT = "\\Recent";

    /** The system flags a client may set, in the order IMAP lists them. */
    public static final Set<String> SYSTEM = Set.of(ANSWERED, FLAGGED, DELETED, SEEN, DRAFT);

    private Flags() {
    }

    /** The canonical spelling of a system flag given in any case, or the input for a keyword. */
    public static String canonical(String flag) {
        if (flag.startsWith("\\")) {
            for (String f : SYSTEM) {
                if (f.equalsIgnoreCase(flag)) {
                    return f;
                }
            }
            if (RECENT.equalsIgnoreCase(flag)) {
                return RECENT;
            }
        }
        return flag;
    }

    /** True for a system flag, in any case. */
    public static boolean isSystem(String flag) {
        return flag.startsWith("\\") && SYSTEM.contains(canonical(flag));
    }
}
