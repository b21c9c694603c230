package posthorn.imap.server.internal.mime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Parses the MIME fields of a part (RFC 2045, 2183, 2231, 3066) the way Dovecot does, so that
 * BODYSTRUCTURE comes out the same: names and values keep the case they were written in, RFC 2231
 * continuations are joined but not decoded, a value that is not a token ends the parameters.
 */
final class ContentFields {
    private ContentFields() {
    }

    /** A value with its parameters, name/value pairs in order. */
    record Valued(String value, String second, List<String[]> params) {
        String param(String name) {
            for (String[] p : params) {
                if (p[0].equalsIgnoreCase(name)) {
                    return p[1];
                }
            }
            return null;
        }
    }

    /** What a Content-Type that does not parse is: no type, so no multipart or message, as Dovecot reads it. */
    static final Valued INVALID_TYPE = new Valued("", "", List.of());

    /**
     * Content-Type as Dovecot reads it (RFC 2045 5.1, comments allowed between the tokens): type "/"
     * subtype, then the end or ";" and parameters. A type alone is kept with an empty subtype and no
     * parameters; anything else that does not parse, an empty value included, is
     * {@link #INVALID_TYPE}: a part with no type, which is neither a multipart nor a message (RFC 2045
     * 5.2 would make it text/plain; Dovecot shows it as a part of type "" "", and so does the server).
     * Null only if there is no field.
     */
    static Valued contentType(String raw) {
        if (raw == null) {
            return null;
        }
        Lexer l = new Lexer(raw);
        l.skipCfws();
        String type = l.token();
        if (type.isEmpty()) {
            return INVALID_TYPE;
        }
        l.skipCfws();
        if (l.atEnd()) {
            return new Valued(type, "", List.of());
        }
        if (!l.skip('/')) {
            return INVALID_TYPE;
        }
        l.skipCfws();
        String subtype = l.token();
        if (subtype.isEmpty()) {
            return INVALID_TYPE;
        }
        l.skipCfws();
        if (!l.atEnd() && l.peek() != ';') {
            return INVALID_TYPE;
        }
        return new Valued(type, subtype, params(l));
    }

    /** Content-Disposition: the type and parameters, or null. */
    static Valued disposition(String raw) {
        if (raw == null) {
            return null;
        }
        Lexer l = new Lexer(raw);
        l.skipCfws();
        String type = l.token();
        if (type.isEmpty()) {
            return null;
        }
        return new Valued(type, null, params(l));
    }

    /** A single token (Content-Transfer-Encoding), or null. */
    static String token(String raw) {
        if (raw == null) {
            return null;
        }
        Lexer l = new Lexer(raw);
        l.skipCfws();
        String t = l.token();
        return t.isEmpty() ? null : t;
    }

    /** Content-Language: the language tags (RFC 3282), or null if none. */
    static List<String> languages(String raw) {
        if (raw == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        Lexer l = new Lexer(raw);
        while (true) {
            l.skipCfws();
            if (l.atEnd()) {
                break;
            }
            if (l.skip(',')) {
                continue;
            }
            String t = l.token();
            if (t.isEmpty()) {
                break;
            }
            out.add(t);
        }
        return out.isEmpty() ? null : out;
    }

    private record Continuation(String name, int index, boolean extended, String value) {
    }

    /** "; name=value" pairs up to the first that does not parse; RFC 2231 pieces joined at the end. */
    private static List<String[]> params(Lexer l) {
        List<String[]> out = new ArrayList<>();
        List<Continuation> pieces = new ArrayList<>();
        while (true) {
            l.skipCfws();
            if (!l.skip(';')) {
                break;
            }
            l.skipCfws();
            String name = l.token();
            if (name.isEmpty()) {
                break;
            }
            l.skipCfws();
            if (!l.skip('=')) {
                break;
            }
            l.skipCfws();
            if (l.atEnd()) {
                break;
            }
            String value = l.value();
            Continuation c = continuation(name, value);
            if (c != null) {
                pieces.add(c);
            } else {
                out.add(new String[] {name, value});
            }
        }
        if (!pieces.isEmpty()) {
            pieces.sort(Comparator.comparing((Continuation c) -> c.name.toLowerCase(java.util.Locale.ROOT))
                    .thenComparingInt(c -> c.index));
            int i = 0;
            while (i < pieces.size()) {
                Continuation first = pieces.get(i);
                StringBuilder v = new StringBuilder();
                boolean extended = false;
                int j = i;
                while (j < pieces.size() && pieces.get(j).name.equalsIgnoreCase(first.name)) {
                    extended |= pieces.get(j).extended;
                    v.append(pieces.get(j).value);
                    j++;
                }
                out.add(new String[] {first.name + (extended ? "*" : ""), v.toString()});
                i = j;
            }
        }
        return out;
    }

    /** name*N or name*N* (RFC 2231 3); a lone name* stays an ordinary parameter. */
    private static Continuation continuation(String name, String value) {
        int star = name.indexOf('*');
        if (star <= 0 || star == name.length() - 1) {
            return null;
        }
        int i = star + 1;
        int digits = i;
        while (i < name.length() && Character.isDigit(name.charAt(i))) {
            i++;
        }
        if (i == digits || i - digits > 6) {
            return null;
        }
        boolean extended = false;
        if (i < name.length()) {
            if (name.charAt(i) != '*' || i != name.length() - 1) {
                return null;
            }
            extended = true;
        }
        return new Continuation(name.substring(0, star), Integer.parseInt(name.substring(digits, i)), extended, value);
    }
}
