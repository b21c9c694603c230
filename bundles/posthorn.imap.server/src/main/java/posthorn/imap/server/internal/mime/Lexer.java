package posthorn.imap.server.internal.mime;

/**
 * A cursor over a structured header value (RFC 5322 3.2, RFC 2045 5.1) held as a Latin-1 string.
 * Lenient: what does not fit is skipped by the callers, never thrown.
 */
final class Lexer {
    private static final String TSPECIALS = "()<>@,;:\\\"/[]?=";
    private static final String SPECIALS = "()<>[]:;@\\,.\"";

    final String s;
    int pos;
    /** The text of the last comment skipped by {@link #skipCfws()}, or null. */
    String lastComment;

    Lexer(String s) {
        this.s = s;
    }

    boolean atEnd() {
        return pos >= s.length();
    }

    char peek() {
        return pos < s.length() ? s.charAt(pos) : 0;
    }

    boolean skip(char c) {
        if (pos < s.length() && s.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    /** Skips folding whitespace and (nested) comments. */
    void skipCfws() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                pos++;
            } else if (c == '(') {
                int depth = 0;
                int start = pos + 1;
                int end = s.length();
                while (pos < s.length()) {
                    char d = s.charAt(pos++);
                    if (d == '\\') {
                        pos++;
                    } else if (d == '(') {
                        depth++;
                    } else if (d == ')' && --depth == 0) {
                        end = pos - 1;
                        break;
                    }
                }
                lastComment = s.substring(start, Math.min(Math.max(start, end), s.length()));
            } else {
                return;
            }
        }
    }

    /** A MIME token (RFC 2045 5.1), or "" if none is here. */
    String token() {
        int start = pos;
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c <= ' ' || c == 0x7F || TSPECIALS.indexOf(c) >= 0) {
                break;
            }
            pos++;
        }
        return s.substring(start, pos);
    }

    /** An atom (RFC 5322 3.2.3), or "" if none is here. 8-bit bytes count as atom text. */
    String atom() {
        int start = pos;
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c <= ' ' || c == 0x7F || SPECIALS.indexOf(c) >= 0) {
                break;
            }
            pos++;
        }
        return s.substring(start, pos);
    }

    /** A quoted string at the cursor (which is at '"'), its content with the escapes removed. */
    String quoted() {
        pos++;
        StringBuilder b = new StringBuilder();
        while (pos < s.length()) {
            char c = s.charAt(pos++);
            if (c == '"') {
                return b.toString();
            }
            if (c == '\\' && pos < s.length()) {
                c = s.charAt(pos++);
            }
            if (c != '\r' && c != '\n') {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** A MIME parameter value: a quoted string or a token. */
    String value() {
        return peek() == '"' ? quoted() : token();
    }
}
