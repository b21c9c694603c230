package posthorn.imap.server.internal.session;

/**
 * The text of the INPROGRESS response code (RFC 9585 4 and 5) for one progress notification, kept
 * apart from the session so that its rules can be checked line by line:
 * <ul>
 * <li>CMD-TAG: "If the tag is not available or if it contains the "]" character, it MUST be set to
 * NIL" (4); the grammar makes it {@code quoted / nil} (5), so a tag that a quoted string cannot
 * carry (over 1,000 bytes, which the writer would send as a literal, or not 7-bit) is NIL too.</li>
 * <li>PROGRESS: "MUST be non-negative" (4).</li>
 * <li>GOAL: "MUST be positive ... it MUST be greater than PROGRESS. If the GOAL is not known, it
 * MUST be set to NIL" (4), and "The server SHOULD NOT send a progress notification where PROGRESS
 * equals GOAL" (4): with a known goal that progress has reached, nothing is sent.</li>
 * </ul>
 * The code goes only in an untagged OK ("The response code MUST NOT appear in a tagged response", 4);
 * the session writes it so.
 */
final class InProgress {
    /** The longest tag sent quoted; the response writer sends longer strings as literals. */
    static final int MAX_QUOTED_TAG = 1000;

    private InProgress() {
    }

    /**
     * The response code without its brackets, {@code INPROGRESS ("tag" done total)}, or null when
     * no notification is to be sent for this state ({@code total} known and {@code done >= total}).
     *
     * @param total the messages to look at, or 0 or less if unknown
     */
    static String code(String tag, long done, long total) {
        long progress = Math.max(0, done);
        if (total > 0 && progress >= total) {
            return null;
        }
        StringBuilder s = new StringBuilder("INPROGRESS (");
        s.append(quotable(tag) ? "\"" + tag + "\"" : "NIL");
        s.append(' ').append(progress).append(' ');
        s.append(total > 0 ? Long.toString(total) : "NIL");
        return s.append(')').toString();
    }

    /** Whether the tag can be the quoted CMD-TAG: printable ASCII without "]", '"' or '\', at most 1,000 bytes. */
    static boolean quotable(String tag) {
        if (tag == null || tag.isEmpty() || tag.length() > MAX_QUOTED_TAG) {
            return false;
        }
        for (int i = 0; i < tag.length(); i++) {
            char c = tag.charAt(i);
            if (c <= ' ' || c >= 0x7f || c == ']' || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }
}
