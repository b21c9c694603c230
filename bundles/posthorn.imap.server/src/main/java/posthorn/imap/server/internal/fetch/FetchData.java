package posthorn.imap.server.internal.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import posthorn.imap.protocol.FetchAttribute;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.Section;
import posthorn.imap.server.internal.mime.Header;
import posthorn.imap.server.internal.mime.MimePart;
import posthorn.imap.server.internal.mime.Structure;
import posthorn.imap.server.internal.mime.TransferDecoding;

/**
 * The message-content items of one FETCH response for one message: ENVELOPE, BODY, BODYSTRUCTURE,
 * BODY[section]&lt;partial&gt;, RFC822.HEADER and RFC822.TEXT. The text is parsed at most once, when
 * the first item needs it. Not thread-safe; lives for one message of one command.
 */
public final class FetchData {
    private final byte[] m;
    private MimePart root;

    private FetchData(byte[] m) {
        this.m = m;
    }

    public static FetchData of(byte[] message) {
        return new FetchData(message);
    }

    public byte[] text() {
        return m;
    }

    public MimePart root() {
        if (root == null) {
            root = MimePart.parse(m);
        }
        return root;
    }

    public byte[] envelope() {
        return Structure.envelope(root().header());
    }

    public byte[] bodyStructure(boolean extensible) {
        return Structure.bodyStructure(m, root(), extensible);
    }

    /** The bytes of a body section, before any partial. */
    public byte[] section(Section s) {
        return noNul(s.part().isEmpty() && s.kind() == Section.Kind.ALL ? m : MessageSections.extract(m, root(), s));
    }

    /**
     * The content BINARY[part] names, its transfer encoding undone (RFC 3516); NUL is kept, since it
     * goes out as a literal8. A part that does not exist is empty.
     */
    public byte[] binary(List<Integer> part) throws TransferDecoding.UnknownCteException {
        byte[] b = TransferDecoding.binarySection(m, root(), part);
        return b == null ? new byte[0] : b;
    }

    /**
     * The bytes with NUL replaced by 0x80, as Dovecot sends them: a literal may not hold NUL (RFC 3501
     * 4.3), and a broken message must not break the response.
     */
    static byte[] noNul(byte[] b) {
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

    /** Writes one item, name and value, as it goes into a FETCH response. */
    public void write(ResponseWriter out, FetchAttribute a) throws IOException {
        switch (a) {
            case FetchAttribute.Envelope e -> out.raw("ENVELOPE ").raw(envelope());
            case FetchAttribute.BodyStructure b -> out.raw(b.extensible() ? "BODYSTRUCTURE " : "BODY ")
                    .raw(bodyStructure(b.extensible()));
            case FetchAttribute.Body b -> {
                out.raw("BODY[").raw(responseSpec(b.section())).raw("]");
                byte[] data = section(b.section());
                if (b.origin() >= 0) {
                    out.raw("<").number(b.origin()).raw(">");
                    data = partial(data, b.origin(), b.length());
                }
                out.sp().literal(data);
            }
            case FetchAttribute.Rfc822 r -> {
                switch (r.kind()) {
                    case HEADER -> out.raw("RFC822.HEADER ").literal(section(new Section(List.of(), r.kind(), List.of())));
                    case TEXT -> out.raw("RFC822.TEXT ").literal(section(new Section(List.of(), r.kind(), List.of())));
                    default -> out.raw("RFC822 ").literal(section(new Section(List.of(), Section.Kind.ALL, List.of())));
                }
            }
            default -> throw new IllegalArgumentException("not a content item: " + a);
        }
    }

    /** RFC 3501 6.4.5: the octets from {@code origin}, at most {@code length}; empty past the end. */
    public static byte[] partial(byte[] data, long origin, long length) {
        int from = (int) Math.min(origin, data.length);
        int to = (int) Math.min((long) from + length, data.length);
        return Arrays.copyOfRange(data, from, to);
    }

    /** The section as the response names it: header field names in upper case, as Dovecot writes them. */
    public static String responseSpec(Section s) {
        if (s.fields().isEmpty()) {
            return s.spec();
        }
        return new Section(s.part(), s.kind(), s.fields().stream().map(f -> f.toUpperCase(Locale.ROOT)).toList()).spec();
    }

    /**
     * Reads a message's header only: up to and including the blank line that ends it (or the whole
     * message if there is none), for ENVELOPE and header searches without reading big bodies.
     */
    public static byte[] readHeader(InputStream in) throws IOException {
        byte[] buf = new byte[8192];
        int n = 0;
        while (true) {
            if (n == buf.length) {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) {
                return Arrays.copyOf(buf, n);
            }
            n += r;
            int end = blankLineEnd(buf, n);
            if (end >= 0) {
                return Arrays.copyOf(buf, end);
            }
        }
    }

    /** The offset past the blank line that ends the header in {@code b[0, n)}, or -1 if not there yet. */
    private static int blankLineEnd(byte[] b, int n) {
        int i = 0;
        while (i < n) {
            int e = i;
            while (e < n && b[e] != '\n') {
                e++;
            }
            if (e == n) {
                return -1;
            }
            int len = e + 1 - i;
            if (len == 1 || (len == 2 && b[i] == '\r')) {
                return e + 1;
            }
            i = e + 1;
        }
        return -1;
    }
}
