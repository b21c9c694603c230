package posthorn.imap.server.internal.mime;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One entity of a message (RFC 2045 2.4) with the byte offsets of its header and body in the
 * message's text, so that sections can be cut out exactly (RFC 3501 6.4.5). A multipart has its
 * children; a message/rfc822 part has the encapsulated message as {@link #message()}.
 *
 * <p>Boundaries are found as Dovecot finds them: a line that starts with "--" and the boundary,
 * closing if "--" follows; the CRLF before a delimiter line belongs to the delimiter (RFC 2046
 * 5.1.1). A multipart without a boundary, or whose boundary never occurs, gets one empty part; a
 * part whose Content-Type does not parse, or names "multipart" without a subtype, is neither a
 * multipart nor a message. Parsing never fails: whatever the bytes, a tree comes out, within the
 * {@link MimeLimits} given: a multipart or message/rfc822 beyond them is an {@link #opaque} leaf.
 * The parser recurses once or twice a level, so the depth bound is what bounds its stack.
 */
public final class MimePart {
    private final int headerStart;
    private final int bodyStart;
    private final int end;
    private final Header header;
    private final ContentFields.Valued contentType;
    private final boolean defaulted;
    private final List<MimePart> children;
    private final MimePart message;
    private final boolean opaque;
    /** On the message only: which bound cut the structure, or null. */
    private String cut;

    private MimePart(int headerStart, int bodyStart, int end, Header header, ContentFields.Valued contentType,
                     boolean defaulted, List<MimePart> children, MimePart message, boolean opaque) {
        this.headerStart = headerStart;
        this.bodyStart = bodyStart;
        this.end = end;
        this.header = header;
        this.contentType = contentType;
        this.defaulted = defaulted;
        this.children = children;
        this.message = message;
        this.opaque = opaque;
    }

    /** Parses a whole message within Dovecot's bounds ({@link MimeLimits#DEFAULTS}). */
    public static MimePart parse(byte[] m) {
        return parse(m, MimeLimits.DEFAULTS);
    }

    /** Parses a whole message, following its structure as far as {@code limits} let it. */
    public static MimePart parse(byte[] m, MimeLimits limits) {
        Budget budget = new Budget(limits);
        MimePart root = budget.part(m, 0, m.length, false, 0);
        root.cut = budget.cut;
        return root;
    }

    /** Parses only the header of a message at {@code m[0, end)}; for ENVELOPE and header searches. */
    public static Header parseHeader(byte[] m, int end) {
        return Header.parse(m, 0, Header.bodyStart(m, 0, end));
    }

    /**
     * What {@link #readHeader} asks the stream for first. Most headers are under 1 KB (the bench's
     * 50,000 messages: 99.9% of them; median 620 bytes), and the store's LF-to-CRLF stream reads half
     * of what it is asked for from the file, so 2 KB gets a typical header in one read; a bigger header
     * grows the buffer. Asking for 8 KB (as before) read, converted and dropped 4 KB of each file, most
     * of it body, and allocated 12 KB a message on a cold FETCH ENVELOPE (issue 14: 41% of that
     * command's allocation).
     */
    static final int HEADER_FIRST_READ = 2048;

    /**
     * Reads a message's header only: up to and including the blank line that ends it (or the whole
     * message if there is none), for ENVELOPE, SORT and header searches without reading big bodies.
     */
    public static byte[] readHeader(InputStream in) throws IOException {
        byte[] buf = new byte[HEADER_FIRST_READ];
        int n = 0;
        int line = 0; // where the first line not yet complete in buf starts
        while (true) {
            if (buf.length - n < buf.length / 2) {
                // Each read asks for half a buffer at least: the store's LF-to-CRLF stream reads half of
                // what it is asked for, and a nearly full buffer would go on in ever smaller reads.
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) {
                return Arrays.copyOf(buf, n);
            }
            n += r;
            while (line < n) {
                int lineEnd = Header.lineEnd(buf, line, n);
                if (buf[lineEnd - 1] != '\n') {
                    break; // the rest of the line is still to come
                }
                if (Header.isBlank(buf, line, lineEnd)) {
                    return Arrays.copyOf(buf, lineEnd);
                }
                line = lineEnd;
            }
        }
    }

    /** One parse: the limits, the parts made so far, and which bound acted first. */
    private static final class Budget {
        private final MimeLimits limits;
        private int parts;
        private String cut;

        Budget(MimeLimits limits) {
            this.limits = limits;
        }

        boolean exhausted() {
            return parts >= limits.maxParts();
        }

        private void cut(String why) {
            if (cut == null) {
                cut = why;
            }
        }

        MimePart part(byte[] m, int start, int end, boolean digest, int depth) {
            parts++;
            int bodyStart = Header.bodyStart(m, start, end);
            Header header = Header.parse(m, start, bodyStart);
            ContentFields.Valued ct = ContentFields.contentType(header.value("Content-Type"));
            boolean defaulted = ct == null;
            if (defaulted) {
                ct = digest ? new ContentFields.Valued("message", "rfc822", List.of())
                        : new ContentFields.Valued("text", "plain", List.of());
            }
            boolean multipart = ct.value().equalsIgnoreCase("multipart") && !ct.second().isEmpty();
            boolean rfc822 = ct.value().equalsIgnoreCase("message") && ct.second().equalsIgnoreCase("rfc822");
            List<MimePart> children = List.of();
            MimePart message = null;
            boolean opaque = false;
            if (multipart || rfc822) {
                if (!limits.opens(depth)) {
                    opaque = true;
                    cut("more than " + limits.maxDepth() + " levels");
                } else if (exhausted()) {
                    opaque = true;
                    cut("more than " + limits.maxParts() + " parts");
                } else if (multipart) {
                    children = children(m, bodyStart, end, ct.param("boundary"),
                            ct.second().equalsIgnoreCase("digest"), depth + 1);
                } else {
                    message = part(m, bodyStart, end, false, depth + 1);
                }
            }
            return new MimePart(start, bodyStart, end, header, ct, defaulted, children, message, opaque);
        }

        /**
         * The body parts of a multipart's body {@code m[start, end)}. Once the parts reach the
         * count, the part begun last runs to {@code end} and no more are made.
         */
        private List<MimePart> children(byte[] m, int start, int end, String boundary, boolean digest, int depth) {
            List<MimePart> out = new ArrayList<>();
            if (boundary == null || boundary.isEmpty()) {
                out.add(empty(end));
                parts++;
                return out;
            }
            byte[] delimiter = ("--" + boundary).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            int partStart = -1;
            int i = start;
            while (i < end) {
                int lineEnd = Header.lineEnd(m, i, end);
                if (startsWith(m, i, end, delimiter)) {
                    boolean close = startsWith(m, i + delimiter.length, end, new byte[] {'-', '-'});
                    if (partStart >= 0) {
                        out.add(part(m, partStart, before(m, partStart, i), digest, depth));
                    }
                    if (close) {
                        partStart = -1;
                        break;
                    }
                    partStart = lineEnd;
                    if (exhausted()) {
                        // A part inside the last one took the last place: what follows is in no part.
                        partStart = -1;
                        cut("more than " + limits.maxParts() + " parts");
                        break;
                    }
                    if (parts + 1 == limits.maxParts()) {
                        // The last place: this part is the rest, its delimiters and epilogue included.
                        if (anotherPart(m, lineEnd, end, delimiter)) {
                            cut("more than " + limits.maxParts() + " parts");
                        }
                        out.add(part(m, Math.min(partStart, end), end, digest, depth));
                        partStart = -1;
                        break;
                    }
                }
                i = lineEnd;
            }
            if (partStart >= 0) {
                out.add(part(m, Math.min(partStart, end), end, digest, depth));
            }
            if (out.isEmpty()) {
                out.add(empty(end));
                parts++;
            }
            return out;
        }
    }

    /** Whether a delimiter line that opens a part (not the close delimiter) is in {@code m[from, end)}. */
    private static boolean anotherPart(byte[] m, int from, int end, byte[] delimiter) {
        for (int i = from; i < end; i = Header.lineEnd(m, i, end)) {
            if (startsWith(m, i, end, delimiter)) {
                return !startsWith(m, i + delimiter.length, end, new byte[] {'-', '-'});
            }
        }
        return false;
    }

    private static MimePart empty(int at) {
        return new MimePart(at, at, at, Header.parse(new byte[0], 0, 0),
                new ContentFields.Valued("text", "plain", List.of()), true, List.of(), null, false);
    }

    /** The end of a part whose delimiter line starts at {@code delimiter}: before the CRLF that precedes it. */
    private static int before(byte[] m, int partStart, int delimiter) {
        int e = delimiter;
        if (e > partStart && m[e - 1] == '\n') {
            e--;
            if (e > partStart && m[e - 1] == '\r') {
                e--;
            }
        }
        return e;
    }

    private static boolean startsWith(byte[] m, int at, int end, byte[] prefix) {
        if (end - at < prefix.length) {
            return false;
        }
        for (int k = 0; k < prefix.length; k++) {
            if (m[at + k] != prefix[k]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The part a section path names, as Dovecot and RFC 3501 6.4.5 read it: in a multipart, N is its
     * Nth child; a part that is not multipart has only part 1, itself; a number after a
     * message/rfc822 part counts inside the encapsulated message. Null if there is no such part.
     */
    public MimePart find(List<Integer> path) {
        MimePart cur = this;
        for (int i = 0; i < path.size() && cur != null; i++) {
            int n = path.get(i);
            boolean more = i + 1 < path.size();
            if (cur.isMultipart()) {
                cur = n <= cur.children.size() ? cur.children.get(n - 1) : null;
            } else if (n != 1 || (more && cur.message == null)) {
                cur = null;
            }
            if (cur != null && more && cur.message != null) {
                cur = cur.message;
            }
        }
        return cur;
    }

    /**
     * Whether this is a multipart or message/rfc822 part that was not opened, because it lies on the
     * last level or after the last part {@link MimeLimits} allow: its body is one opaque piece.
     */
    public boolean opaque() {
        return opaque;
    }

    /** On the message: which bound cut its structure ("more than 100 levels"), or null if none did. */
    public String cut() {
        return cut;
    }

    public boolean isMultipart() {
        return !children.isEmpty();
    }

    public int headerStart() {
        return headerStart;
    }

    public int bodyStart() {
        return bodyStart;
    }

    public int end() {
        return end;
    }

    public Header header() {
        return header;
    }

    /** The type as written ("text" when there is no Content-Type). */
    public String type() {
        return contentType.value();
    }

    public String subtype() {
        return contentType.second();
    }

    public List<String[]> params() {
        return contentType.params();
    }

    /** Whether the type comes from the default (no Content-Type field that parses). */
    public boolean defaultedType() {
        return defaulted;
    }

    /** The parameter of that name (any case) of the Content-Type, or null. */
    public String param(String name) {
        return contentType.param(name);
    }

    public List<MimePart> children() {
        return children;
    }

    /** The encapsulated message of a message/rfc822 part, or null. */
    public MimePart message() {
        return message;
    }
}
