package posthorn.imap.server.internal.fetch;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import posthorn.imap.protocol.Section;
import posthorn.imap.server.internal.mime.Header;
import posthorn.imap.server.internal.mime.MimePart;

/**
 * Cuts the sections of RFC 3501 6.4.5 out of a message's text: the header, selected header fields,
 * the body text, and the same of any part by its number (1.2.3), its MIME header, and the header and
 * text of an encapsulated message/rfc822. A section that does not exist is empty, as Dovecot answers.
 */
public final class MessageSections {
    private MessageSections() {
    }

    /** The bytes of a section of a message already parsed ({@code root} may be null for BODY[]). */
    public static byte[] extract(byte[] m, MimePart root, Section s) {
        List<Integer> path = s.part();
        if (path.isEmpty() && s.kind() == Section.Kind.ALL) {
            return m;
        }
        MimePart part = root.find(path);
        if (part == null) {
            return new byte[0];
        }
        switch (s.kind()) {
            case ALL:
                return Arrays.copyOfRange(m, part.bodyStart(), part.end());
            case MIME:
                return Arrays.copyOfRange(m, part.headerStart(), part.bodyStart());
            default:
                break;
        }
        MimePart message = path.isEmpty() ? part : part.message();
        if (message == null) {
            return new byte[0];
        }
        return switch (s.kind()) {
            case HEADER -> Arrays.copyOfRange(m, message.headerStart(), message.bodyStart());
            case TEXT -> Arrays.copyOfRange(m, message.bodyStart(), message.end());
            case HEADER_FIELDS -> fields(m, message, s.fields(), true);
            case HEADER_FIELDS_NOT -> fields(m, message, s.fields(), false);
            default -> throw new AssertionError(s.kind());
        };
    }

    /** RFC 3501 6.4.5: the octets from {@code origin}, at most {@code length}; empty past the end. */
    public static byte[] partial(byte[] data, long origin, long length) {
        int from = (int) Math.min(origin, data.length);
        int to = (int) Math.min((long) from + length, data.length);
        return Arrays.copyOfRange(data, from, to);
    }

    /**
     * The bytes with NUL replaced by 0x80, as Dovecot sends them: a literal may not hold NUL (RFC 3501
     * 4.3), and a broken message must not break the response.
     */
    public static byte[] noNul(byte[] b) {
        byte[] out = b;
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                if (out == b) {
                    out = b.clone();
                }
                out[i] = (byte) 0x80;
            }
        }
        return out;
    }

    /**
     * The header fields named (or, with {@code include} false, all others, lines without a colon
     * too), each with a line end, then the blank line if the header has one (Dovecot's answer for a
     * message that is all header: no blank line).
     */
    static byte[] fields(byte[] m, MimePart message, List<String> names, boolean include) {
        Set<String> wanted = names.stream().map(n -> n.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Header.Field f : message.header().fields()) {
            boolean named = wanted.contains(f.name().toLowerCase(Locale.ROOT));
            if (named == include) {
                out.write(m, f.start(), f.end() - f.start());
                if (f.end() == f.start() || m[f.end() - 1] != '\n') {
                    out.write('\r');
                    out.write('\n');
                }
            }
        }
        if (blankLineBefore(m, message.headerStart(), message.bodyStart())) {
            out.write('\r');
            out.write('\n');
        }
        return out.toByteArray();
    }

    /** Whether the header in {@code m[start, bodyStart)} ends with a blank line. */
    static boolean blankLineBefore(byte[] m, int start, int bodyStart) {
        int e = bodyStart;
        if (e <= start || m[e - 1] != '\n') {
            return false;
        }
        e--;
        if (e > start && m[e - 1] == '\r') {
            e--;
        }
        return e == start || m[e - 1] == '\n';
    }
}
