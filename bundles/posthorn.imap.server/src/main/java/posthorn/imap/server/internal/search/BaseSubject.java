package posthorn.imap.server.internal.search;

import java.util.Locale;

/** The base subject of RFC 5256 2.1, for SORT SUBJECT and THREAD; case-folded for comparison. */
public final class BaseSubject {
    private BaseSubject() {
    }

    /** The base subject; {@code reply[0]} (if given) is set when a reply/forward marker was removed. */
    public static String of(String raw, boolean[] reply) {
        if (raw == null) {
            return "";
        }
        // (1) decode encoded words, whitespace runs to one space
        String s = TextScanner.decodeHeader(raw).replaceAll("[\\s]+", " ").strip();
        boolean isReply = false;
        while (true) {
            // (2) remove trailers: "(fwd)" and whitespace
            boolean changed = true;
            while (changed) {
                changed = false;
                String t = s.stripTrailing();
                if (t.length() >= 5 && t.substring(t.length() - 5).equalsIgnoreCase("(fwd)")) {
                    t = t.substring(0, t.length() - 5);
                    isReply = true;
                    changed = true;
                }
                s = t;
            }
            // (3)(4) remove leaders ("re", "fw", "fwd", blobs, ":") until none is left
            changed = true;
            while (changed) {
                changed = false;
                String t = s.stripLeading();
                String r = removeRefwd(t);
                if (r != null) {
                    t = r;
                    isReply = true;
                    changed = true;
                } else {
                    String b = removeBlob(t);
                    if (b != null && !b.isBlank()) {
                        t = b;
                        changed = true;
                    }
                }
                s = t;
            }
            // (5) [fwd: ... ]
            if (s.length() >= 6 && s.substring(0, 5).equalsIgnoreCase("[fwd:") && s.endsWith("]")) {
                s = s.substring(5, s.length() - 1);
                isReply = true;
                continue;
            }
            break;
        }
        if (reply != null) {
            reply[0] = isReply;
        }
        return s.strip().toLowerCase(Locale.ROOT);
    }

    /** subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"; the rest, or null. */
    private static String removeRefwd(String s) {
        String l = s.toLowerCase(Locale.ROOT);
        int i;
        if (l.startsWith("re")) {
            i = 2;
        } else if (l.startsWith("fwd")) {
            i = 3;
        } else if (l.startsWith("fw")) {
            i = 2;
        } else {
            return null;
        }
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
            i++;
        }
        if (i < s.length() && s.charAt(i) == '[') {
            String b = removeBlob(s.substring(i));
            if (b == null) {
                return null;
            }
            i = s.length() - b.length();
        }
        return i < s.length() && s.charAt(i) == ':' ? s.substring(i + 1) : null;
    }

    /** subj-blob = "[" *BLOBCHAR "]" *WSP; the rest, or null. */
    private static String removeBlob(String s) {
        if (!s.startsWith("[")) {
            return null;
        }
        int close = s.indexOf(']');
        if (close < 0 || s.substring(1, close).indexOf('[') >= 0) {
            return null;
        }
        return s.substring(close + 1).stripLeading();
    }
}
