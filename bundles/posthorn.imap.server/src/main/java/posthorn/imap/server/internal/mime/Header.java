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
     * whitespace after the colon removed. The name and value are made into strings when asked for,
     * from the header's bytes (which the field keeps): an ENVELOPE asks for ten names' values of a
     * header whose bytes are mostly Received, DKIM and other fields it never reads (issue 14: a cold
     * FETCH ENVELOPE made a string of every field of 50,000 headers).
     *
     * <p>The bytes must not change once parsed (every caller parses a copy of its own: readHeader's,
     * or a message read whole). Threading: immutable as far as callers see; the strings are made at most once per thread
     * that asks (a benign race: the same String either way).
     */
    public static final class Field {
        private final byte[] m;
        private final int nameStart;
        private final int nameEnd;
        private final int valueStart;
        private final int valueEnd;
        private final int start;
        private final int end;
        private String name;
        private String value;

        Field(byte[] m, int nameStart, int nameEnd, int valueStart, int valueEnd, int start, int end) {
            this.m = m;
            this.nameStart = nameStart;
            this.nameEnd = nameEnd;
            this.valueStart = valueStart;
            this.valueEnd = valueEnd;
            this.start = start;
            this.end = end;
        }

        /** The name as written, whitespace around it removed; "" for a line without a colon. */
        public String name() {
            String n = name;
            if (n == null) {
                n = latin1(m, nameStart, nameEnd);
                name = n;
            }
            return n;
        }

        /** The value, folding CRLFs still in. */
        public String value() {
            String v = value;
            if (v == null) {
                v = latin1(m, valueStart, valueEnd);
                value = v;
            }
            return v;
        }

        /** Where the field starts in the message. */
        public int start() {
            return start;
        }

        /** Where the field ends (past its last line's LF) in the message. */
        public int end() {
            return end;
        }

        /**
         * Whether the field's name is {@code ascii} in any case, as {@link String#equalsIgnoreCase}
         * would say: for an ASCII {@code ascii} on the bytes (an ASCII letter matches only its two
         * cases, and no Latin-1 letter folds to ASCII), otherwise on the name's string.
         */
        boolean named(String ascii) {
            int n = ascii.length();
            for (int i = 0; i < n; i++) {
                if (ascii.charAt(i) >= 0x80) {
                    return name().equalsIgnoreCase(ascii); // Unicode case folding: not for the bytes
                }
            }
            if (nameEnd - nameStart != n) {
                return false;
            }
            for (int i = 0; i < n; i++) {
                int b = m[nameStart + i] & 0xFF;
                int c = ascii.charAt(i);
                if (b != c && ((b | 0x20) != (c | 0x20) || (c | 0x20) < 'a' || (c | 0x20) > 'z')) {
                    return false;
                }
            }
            return true;
        }

        /** The value unfolded: CR and LF removed, the whitespace after them kept (RFC 5322 2.2.3). */
        public String unfolded() {
            String value = value();
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

        @Override
        public String toString() {
            return name() + ": " + value();
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
            if (f.named(name)) {
                return f;
            }
        }
        return null;
    }

    /** The unfolded value of the last field of that name, or null (ENVELOPE takes the last, as Dovecot). */
    public String lastValue(String name) {
        for (int i = fields.size() - 1; i >= 0; i--) {
            if (fields.get(i).named(name)) {
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
            int nameStart = i;
            int nameEnd = i;
            int valueStart;
            if (colon < fieldEnd && m[colon] == ':') {
                // the name as String.strip() would leave it
                nameEnd = colon;
                while (nameStart < nameEnd && Character.isWhitespace((char) (m[nameStart] & 0xFF))) {
                    nameStart++;
                }
                while (nameEnd > nameStart && Character.isWhitespace((char) (m[nameEnd - 1] & 0xFF))) {
                    nameEnd--;
                }
                valueStart = colon + 1;
                while (valueStart < fieldEnd && (m[valueStart] == ' ' || m[valueStart] == '\t')) {
                    valueStart++;
                }
            } else {
                valueStart = i; // no name: nameStart == nameEnd, ""
            }
            int valueEnd = fieldEnd;
            if (valueEnd > valueStart && m[valueEnd - 1] == '\n') {
                valueEnd--;
                if (valueEnd > valueStart && m[valueEnd - 1] == '\r') {
                    valueEnd--;
                }
            }
            fields.add(new Field(m, nameStart, nameEnd, valueStart, Math.max(valueStart, valueEnd), i, fieldEnd));
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
