package posthorn.imap.server.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import posthorn.imap.protocol.Section;

/**
 * Cuts the sections of RFC 3501 6.4.5 out of a message's text (CRLF line ends): the header, selected
 * header fields, the body text. Works on the top-level message; part numbers below it need a MIME
 * parser and come with the full FETCH implementation.
 */
public final class MessageSections {
    private MessageSections() {
    }

    /** The offset just past the blank line that ends the header, or the length if there is none. */
    public static int headerEnd(byte[] m) {
        if (m.length >= 2 && m[0] == '\r' && m[1] == '\n') {
            return 2;
        }
        for (int i = 0; i + 3 < m.length; i++) {
            if (m[i] == '\r' && m[i + 1] == '\n' && m[i + 2] == '\r' && m[i + 3] == '\n') {
                return i + 4;
            }
        }
        return m.length;
    }

    /**
     * The bytes of a section of the top-level message.
     *
     * @throws UnsupportedOperationException for sections inside MIME parts
     */
    public static byte[] extract(byte[] m, Section s) {
        List<Integer> part = s.part();
        boolean top = part.isEmpty();
        if (!top && !(part.equals(List.of(1)) && !isMultipart(m))) {
            throw new UnsupportedOperationException("body parts of MIME messages");
        }
        int end = headerEnd(m);
        if (!top) {
            // RFC 3501 6.4.5: part 1 of a message that is not multipart is its body.
            return switch (s.kind()) {
                case ALL, TEXT -> Arrays.copyOfRange(m, end, m.length);
                default -> throw new UnsupportedOperationException("headers of body parts");
            };
        }
        return switch (s.kind()) {
            case ALL -> m;
            case HEADER -> Arrays.copyOfRange(m, 0, end);
            case TEXT -> Arrays.copyOfRange(m, end, m.length);
            case HEADER_FIELDS -> fields(m, end, s.fields(), true);
            case HEADER_FIELDS_NOT -> fields(m, end, s.fields(), false);
            case MIME -> throw new UnsupportedOperationException("MIME of the whole message");
        };
    }

    /** The header fields named (or, with {@code include} false, not named), then the blank line. */
    static byte[] fields(byte[] m, int headerEnd, List<String> names, boolean include) {
        Set<String> wanted = names.stream().map(n -> n.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        int limit = headerEnd;
        // The blank line that ends the header is not a field.
        if (limit >= 2 && m[limit - 2] == '\r' && m[limit - 1] == '\n' && limit != m.length) {
            limit -= 2;
        }
        while (i < limit) {
            int start = i;
            // A field runs to the CRLF not followed by a continuation (SP or HTAB).
            int j = i;
            while (true) {
                while (j < limit && m[j] != '\n') {
                    j++;
                }
                if (j >= limit) {
                    break;
                }
                j++;
                if (j < limit && (m[j] == ' ' || m[j] == '\t')) {
                    continue;
                }
                break;
            }
            int colon = start;
            while (colon < j && m[colon] != ':' && m[colon] != '\r' && m[colon] != '\n') {
                colon++;
            }
            String name = new String(m, start, colon - start, StandardCharsets.ISO_8859_1).strip().toLowerCase(Locale.ROOT);
            boolean named = colon < j && m[colon] == ':' && wanted.contains(name);
            if (named == include && colon < j && m[colon] == ':') {
                out.write(m, start, j - start);
                if (j == limit && (j < 2 || m[j - 1] != '\n')) {
                    out.write('\r');
                    out.write('\n');
                }
            }
            i = j;
        }
        out.write('\r');
        out.write('\n');
        return out.toByteArray();
    }

    /** Whether the top-level Content-Type is multipart (or message/rfc822, which also has parts). */
    static boolean isMultipart(byte[] m) {
        byte[] ct = fields(m, headerEnd(m), List.of("Content-Type"), true);
        String v = new String(ct, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        int colon = v.indexOf(':');
        if (colon < 0) {
            return false;
        }
        String type = v.substring(colon + 1).strip();
        return type.startsWith("multipart/") || type.startsWith("message/rfc822");
    }
}
