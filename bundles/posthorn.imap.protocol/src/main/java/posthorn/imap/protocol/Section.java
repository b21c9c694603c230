package posthorn.imap.protocol;

import java.util.List;

/**
 * A body section (RFC 3501 6.4.5, section-spec): a part path and what of it.
 *
 * @param part   the part numbers, empty for the whole message
 * @param kind   what of the part
 * @param fields header field names for {@link Kind#HEADER_FIELDS} and {@link Kind#HEADER_FIELDS_NOT},
 *               as the client wrote them; empty otherwise
 */
public record Section(List<Integer> part, Kind kind, List<String> fields) {

    public enum Kind {
        /** BODY[] or BODY[1.2]: the whole part. */
        ALL,
        HEADER, HEADER_FIELDS, HEADER_FIELDS_NOT, TEXT, MIME
    }

    public Section {
        part = List.copyOf(part);
        fields = List.copyOf(fields);
    }

    /** The section as it goes back in a FETCH response, e.g. {@code 1.2.HEADER.FIELDS (FROM TO)}. */
    public String spec() {
        StringBuilder sb = new StringBuilder();
        for (Integer p : part) {
            if (!sb.isEmpty()) {
                sb.append('.');
            }
            sb.append(p);
        }
        if (kind == Kind.ALL) {
            return sb.toString();
        }
        if (!sb.isEmpty()) {
            sb.append('.');
        }
        sb.append(switch (kind) {
            case HEADER -> "HEADER";
            case HEADER_FIELDS -> "HEADER.FIELDS";
            case HEADER_FIELDS_NOT -> "HEADER.FIELDS.NOT";
            case TEXT -> "TEXT";
            case MIME -> "MIME";
            case ALL -> throw new AssertionError();
        });
        if (kind == Kind.HEADER_FIELDS || kind == Kind.HEADER_FIELDS_NOT) {
            sb.append(" (");
            for (int i = 0; i < fields.size(); i++) {
                if (i > 0) {
                    sb.append(' ');
                }
                appendAstring(sb, fields.get(i));
            }
            sb.append(')');
        }
        return sb.toString();
    }

    /** A field name as an atom when it is one, else quoted (names never hold CR or LF). */
    private static void appendAstring(StringBuilder sb, String name) {
        boolean atom = !name.isEmpty() && !name.equalsIgnoreCase("NIL");
        for (int i = 0; i < name.length() && atom; i++) {
            atom = Chars.isAstringChar(name.charAt(i));
        }
        if (atom) {
            sb.append(name);
            return;
        }
        sb.append('"');
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\');
            }
            sb.append(c);
        }
        sb.append('"');
    }
}
