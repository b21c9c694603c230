package posthorn.imap.server.internal.mime;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fields of one header block (RFC 5322 2.2), as raw bytes held in a Latin-1 string (one char per
 * byte), so that nothing is decoded or lost. Lenient: a line without a colon is kept as a field with
 * no name, which matches nothing but stays in HEADER.FIELDS.NOT, as Dovecot does.
 */
public final class Header {

    /**
     * One field: its name as written and its value with the folding CRLFs still in, leading
     * whitespace after the colon removed.
     */
    public record Field(String name, String value, int start, int end) {
        /** The value unfolded: CR and LF removed, the whitespace after them kept (RFC 5322 2.2.3). */
        public String unfolded() {
            if (value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
                return value;
            }
            StringBuilder b = new StringBuilder(value.length());
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c != '\r' && c != '\n') {
                    b.append(c);
                }
            }
            return b.toString();
        }
    }

    private final List<Field> fields;

    private Header(List<Field> fields) {
        this.fields = fields;
    }

    public List<Field> fields() {
        return fields;
    }

    /** The first field of that name (any case), or null. */
    public Field first(String name) {
        for (Field f : fields) {
            if (f.name.equalsIgnoreCase(name)) {
                return f;
            }
        }
        return null;
    }

    /** The unfolded value of the last field of that name, or null (ENVELOPE takes the last, as Dovecot). */
    public String lastValue(String name) {
        for (int i = fields.size() - 1; i >= 0; i--) {
            if (fields.get(i).name.equalsIgnoreCase(name)) {
                return fields.get(i).unfolded();
            }
        }
        return null;
    }

    /** The unfolded value of the first field of that name, or null. */
    public String value(String name) {
        Field f = first(name);
        return f == null ? null : f.unfolded();
    }

    /**
     * Parses the header in {@code m[start, end)} ({@code end} is where the body starts: the blank line
     * is inside the range and ends the parse).
     */
    public static Header parse(byte[] m, int start, int end) {
        List<Field> fields = new ArrayList<>();
        int i = start;
        while (i < end) {
            int lineEnd = lineEnd(m, i, end);
            if (isBlank(m, i, lineEnd)) {
                break;
            }
            int fieldEnd = lineEnd;
            while (fieldEnd < end && (m[fieldEnd] == ' ' || m[fieldEnd] == '\t')) {
                fieldEnd = lineEnd(m, fieldEnd, end);
            }
            int colon = i;
            while (colon < fieldEnd && m[colon] != ':' && m[colon] != '\n') {
                colon++;
            }
            String name;
            int valueStart;
            if (colon < fieldEnd && m[colon] == ':') {
                name = latin1(m, i, colon).strip();
                valueStart = colon + 1;
                while (valueStart < fieldEnd && (m[valueStart] == ' ' || m[valueStart] == '\t')) {
                    valueStart++;
                }
            } else {
                name = "";
                valueStart = i;
            }
            int valueEnd = fieldEnd;
            if (valueEnd > valueStart && m[valueEnd - 1] == '\n') {
                valueEnd--;
                if (valueEnd > valueStart && m[valueEnd - 1] == '\r') {
                    valueEnd--;
                }
            }
            fields.add(new Field(name, latin1(m, valueStart, Math.max(valueStart, valueEnd)), i, fieldEnd));
            i = fieldEnd;
        }
        return new Header(fields);
    }

    /** The offset just past the LF that ends the line starting at {@code i}, or {@code end}. */
    static int lineEnd(byte[] m, int i, int end) {
        while (i < end && m[i] != '\n') {
            i++;
        }
        return i < end ? i + 1 : end;
    }

    static boolean isBlank(byte[] m, int start, int lineEnd) {
        int n = lineEnd - start;
        return (n == 1 && m[start] == '\n') || (n == 2 && m[start] == '\r' && m[start + 1] == '\n');
    }

    /** The offset where the body starts: past the blank line that ends the header at {@code start}. */
    public static int bodyStart(byte[] m, int start, int end) {
        int i = start;
        while (i < end) {
            int lineEnd = lineEnd(m, i, end);
            if (isBlank(m, i, lineEnd)) {
                return lineEnd;
            }
            i = lineEnd;
        }
        return end;
    }

    public static String latin1(byte[] m, int from, int to) {
        return new String(m, from, to - from, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
