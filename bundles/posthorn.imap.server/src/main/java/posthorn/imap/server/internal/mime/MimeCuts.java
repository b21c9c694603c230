package posthorn.imap.server.internal.mime;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@link MimeLimits} one command parses with, and the messages whose structure they cut short,
 * so that the command can say so in one log line at its end, whatever the number of messages. Used
 * on the command's thread only.
 */
public final class MimeCuts {
    /** UIDs named in the log line; more are counted. */
    private static final int NAMED = 10;

    private final MimeLimits limits;
    private final Set<Long> uids = new TreeSet<>();
    private final Set<String> reasons = new LinkedHashSet<>();

    public MimeCuts(MimeLimits limits) {
        this.limits = limits;
    }

    public MimeLimits limits() {
        return limits;
    }

    /** Notes that a bound cut message {@code uid}'s structure ({@code why} as {@link MimePart#cut()} says); null is no cut. */
    public void note(long uid, String why) {
        if (why != null) {
            uids.add(uid);
            reasons.add(why);
        }
    }

    /** What to log at the end of the command ("UID 7: more than 100 levels (...)"), or null if nothing was cut. */
    public String summary() {
        if (uids.isEmpty()) {
            return null;
        }
        StringBuilder b = new StringBuilder(uids.size() == 1 ? "UID " : "UIDs ");
        int n = 0;
        for (long uid : uids) {
            if (n++ == NAMED) {
                b.append(" and ").append(uids.size() - NAMED).append(" more");
                break;
            }
            b.append(n > 1 ? "," : "").append(uid);
        }
        return b.append(": MIME structure with ").append(String.join(" or ", reasons)).append(" (").append(limits)
                .append("); the rest is read as one opaque part").toString();
    }
}
