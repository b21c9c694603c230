package posthorn.imap.server.internal.mime;

/**
 * Writes strings into ENVELOPE and BODYSTRUCTURE text as Dovecot does (lib-imap/imap-quote.c), so
 * that clients see the same bytes: quoted when that needs at most four escapes and the text is 7-bit
 * without CR or LF, otherwise a literal. Text is a Latin-1 string, one char per byte.
 */
final class ImapText {
    private ImapText() {
    }

    static void nil(StringBuilder b) {
        b.append("NIL");
    }

    /** A string, or NIL for null (imap_append_nstring). */
    static void nstring(StringBuilder b, String s) {
        if (s == null) {
            b.append("NIL");
            return;
        }
        int escapes = 0;
        boolean literal = false;
        for (int i = 0; i < s.length() && !literal; i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                literal = escapes++ >= 4;
            } else if (c == '\r' || c == '\n' || c >= 0x80 || c == 0) {
                literal = true;
            }
        }
        if (literal) {
            literal(b, s);
            return;
        }
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        b.append('"');
    }

    private static void literal(StringBuilder b, String s) {
        b.append('{').append(s.length()).append("}\r\n");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c == 0 ? (char) 0x80 : c);
        }
    }

    /** A string with CR and LF removed, or NIL (imap_append_nstring_nolf). */
    static void nstringNolf(StringBuilder b, String s) {
        if (s != null && (s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0)) {
            s = s.replace("\r", "").replace("\n", "");
        }
        nstring(b, s);
    }

    /**
     * Text meant for people, a subject or a display name (imap_append_string_for_humans): CR and LF
     * dropped, runs of white space made one space, leading and trailing space removed; quoted as is
     * when nothing had to change and nothing needs escaping, otherwise a literal.
     */
    static void forHumans(StringBuilder b, String s) {
        boolean modify = false;
        boolean lastSpace = true;
        for (int i = 0; i < s.length() && !modify; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\r', '\n', '\t', '"', '\\', 0 -> modify = true;
                case ' ' -> {
                    if (lastSpace) {
                        modify = true;
                    }
                    lastSpace = true;
                }
                default -> {
                    if (c >= 0x80) {
                        modify = true;
                    }
                    lastSpace = false;
                }
            }
        }
        if (!modify && lastSpace && !s.isEmpty()) {
            modify = true;
        }
        if (!modify) {
            b.append('"').append(s).append('"');
            return;
        }
        StringBuilder t = new StringBuilder(s.length());
        boolean space = true;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\r', '\n' -> {
                }
                case ' ', '\t' -> {
                    if (!space) {
                        t.append(' ');
                    }
                    space = true;
                }
                default -> {
                    t.append(c == 0 ? (char) 0x80 : c);
                    space = false;
                }
            }
        }
        if (space && !t.isEmpty()) {
            t.setLength(t.length() - 1);
        }
        if (t.isEmpty()) {
            b.append("\"\"");
            return;
        }
        literal(b, t.toString());
    }
}
