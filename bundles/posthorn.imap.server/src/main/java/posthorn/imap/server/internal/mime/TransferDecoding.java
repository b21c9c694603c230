package posthorn.imap.server.internal.mime;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

import org.apache.james.mime4j.codec.Base64InputStream;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.QuotedPrintableInputStream;

/**
 * Undoes a part's Content-Transfer-Encoding (RFC 2045 6) for FETCH BINARY (RFC 3516, RFC 9051
 * 6.4.5). base64 and quoted-printable are decoded leniently with Mime4j's decoders, as a mail reader
 * would: characters outside the alphabet are skipped, a broken escape is kept as written. 7bit, 8bit
 * and binary (and a part without the field) are identity encodings. Any other encoding is one the
 * server cannot undo, which the client is told with NO [UNKNOWN-CTE].
 */
public final class TransferDecoding {

    /** An encoding the server does not know how to undo (RFC 3516 4.3). */
    public static final class UnknownCteException extends Exception {
        private static final long serialVersionUID = 1L;

        UnknownCteException(String encoding) {
            super("Unknown Content-Transfer-Encoding " + encoding);
        }
    }

    private TransferDecoding() {
    }

    /** The part's Content-Transfer-Encoding in lower case; "7bit" when it has none (RFC 2045 6.1). */
    public static String encoding(MimePart part) {
        String cte = ContentFields.token(part.header().value("Content-Transfer-Encoding"));
        return cte == null ? "7bit" : cte.toLowerCase(Locale.ROOT);
    }

    /**
     * What BINARY[path] names in message {@code m}, decoded; null if that part does not exist. See
     * {@link #writeBinarySection} for what the whole message (an empty path) gives.
     */
    public static byte[] binarySection(byte[] m, MimePart root, List<Integer> path) throws UnknownCteException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        return writeBinarySection(m, root, path, out) ? out.toByteArray() : null;
    }

    /**
     * The octets {@code [origin, origin + length)} of what BINARY[path] names (RFC 3516 4.2 partial,
     * offsets in the decoded data), keeping only those while decoding the rest: empty if the section
     * is shorter than {@code origin}; null if that part does not exist.
     */
    public static byte[] binaryPartial(byte[] m, MimePart root, List<Integer> path, long origin, long length)
            throws UnknownCteException {
        Window out = new Window(origin, length);
        return writeBinarySection(m, root, path, out) ? out.kept.toByteArray() : null;
    }

    /**
     * The size BINARY[path] has (RFC 3516 4.2: BINARY.SIZE is the size of what BINARY returns),
     * counted as it is decoded, without holding the decoded bytes; -1 if that part does not exist.
     */
    public static long binarySize(byte[] m, MimePart root, List<Integer> path) throws UnknownCteException {
        Counter out = new Counter();
        return writeBinarySection(m, root, path, out) ? out.count : -1;
    }

    /**
     * Writes what BINARY[path] names in message {@code m} to {@code out}, decoded as it is read (no
     * buffer of the decoded part). For a leaf part: its body with its encoding undone. For a
     * multipart part or a message/rfc822 part, and for the whole
     * message (an empty path), which RFC 3516 leaves open, as Dovecot 2.3 answers: the content with
     * the body of every leaf part (in multiparts and in message/rfc822 parts, at any depth the parse
     * opened) that is base64 or quoted-printable decoded and that part's Content-Transfer-Encoding
     * field replaced by {@code Content-Transfer-Encoding: binary} at the end of its header, so that
     * the message the client gets still describes itself truly; headers of multiparts, parts in an
     * identity encoding, preambles, boundaries and epilogues as they are. A part in an encoding the
     * server cannot undo anywhere in it refuses the whole (RFC 3516 4.3), as Dovecot does.
     * Returns false, having written nothing, if the part does not exist.
     */
    public static boolean writeBinarySection(byte[] m, MimePart root, List<Integer> path, OutputStream out)
            throws UnknownCteException {
        try {
            if (path.isEmpty()) {
                checkWhole(root);
                int at = writeWhole(m, root, 0, out);
                out.write(m, at, m.length - at);
                return true;
            }
            MimePart part = root.find(path);
            if (part == null) {
                return false;
            }
            if (part.isMultipart() || part.message() != null) {
                // a multipart's body or an encapsulated message: its leaves converted as above
                checkWhole(part);
                int at = writeWhole(m, part, part.bodyStart(), out);
                out.write(m, at, part.end() - at);
            } else {
                decodeTo(m, part.bodyStart(), part.end(), encoding(part), out);
            }
            return true;
        } catch (IOException e) {
            // The callers write to memory (a buffer, a counter), which does not throw.
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The whole message's parts, before anything is written: one in an unknown encoding refuses all. */
    private static void checkWhole(MimePart part) throws UnknownCteException {
        if (part.isMultipart()) {
            for (MimePart child : part.children()) {
                checkWhole(child);
            }
        } else if (part.message() != null) {
            checkWhole(part.message());
        } else if (convertible(part)) {
            switch (encoding(part)) {
                case "7bit", "8bit", "binary", "base64", "quoted-printable" -> {
                }
                default -> throw new UnknownCteException(encoding(part));
            }
        }
    }

    /**
     * A leaf whose encoding BINARY[] of the whole message undoes. A multipart or message part the
     * parse left opaque (beyond MimeLimits) is not one: some MUAs label multiparts with an encoding,
     * which is no encoding of their bytes (RFC 2045 6.4), and Dovecot leaves them too.
     */
    private static boolean convertible(MimePart part) {
        String type = part.type();
        return !"multipart".equalsIgnoreCase(type) && !"message".equalsIgnoreCase(type);
    }

    /**
     * Writes {@code m[from, ...)} up to the end of {@code part} with its leaves converted; returns the
     * offset up to which {@code m} has been written. The recursion follows the parsed tree, whose
     * depth MimeLimits bounds.
     */
    private static int writeWhole(byte[] m, MimePart part, int from, OutputStream out)
            throws IOException, UnknownCteException {
        if (part.isMultipart()) {
            int at = from;
            for (MimePart child : part.children()) {
                at = writeWhole(m, child, at, out);
            }
            return at;
        }
        if (part.message() != null) {
            return writeWhole(m, part.message(), from, out);
        }
        String encoding = encoding(part);
        if (!convertible(part) || !(encoding.equals("base64") || encoding.equals("quoted-printable"))) {
            return from;
        }
        out.write(m, from, part.headerStart() - from);
        String eol = "\r\n";
        int fieldsEnd = part.headerStart();
        for (Header.Field f : part.header().fields()) {
            fieldsEnd = f.end();
            boolean ended = m[f.end() - 1] == '\n';
            if (ended) {
                // the new field ends its line as the header's lines end (a Maildir may hold LF alone)
                eol = f.end() - 2 >= f.start() && m[f.end() - 2] == '\r' ? "\r\n" : "\n";
            }
            if (!f.name().equalsIgnoreCase("Content-Transfer-Encoding")) {
                out.write(m, f.start(), f.end() - f.start());
                if (!ended) {
                    out.write(eol.getBytes(StandardCharsets.US_ASCII)); // a last field without its line end
                }
            }
        }
        out.write(("Content-Transfer-Encoding: binary" + eol).getBytes(StandardCharsets.US_ASCII));
        out.write(m, fieldsEnd, part.bodyStart() - fieldsEnd); // the blank line
        decodeTo(m, part.bodyStart(), part.end(), encoding, out);
        return part.end();
    }

    /** The content with the encoding (lower case) undone. */
    public static byte[] decode(byte[] body, String encoding) throws UnknownCteException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            decodeTo(body, 0, body.length, encoding, out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Writes {@code m[from, to)} with the encoding (lower case) undone, decoding as it reads. */
    private static void decodeTo(byte[] m, int from, int to, String encoding, OutputStream out)
            throws UnknownCteException, IOException {
        switch (encoding) {
            case "7bit", "8bit", "binary" -> out.write(m, from, to - from);
            case "base64" -> drain(new Base64InputStream(new ByteArrayInputStream(m, from, to - from),
                    DecodeMonitor.SILENT), out);
            case "quoted-printable" -> drain(new QuotedPrintableInputStream(
                    new ByteArrayInputStream(m, from, to - from), DecodeMonitor.SILENT), out);
            default -> throw new UnknownCteException(encoding);
        }
    }

    /** Keeps the octets {@code [origin, origin + length)} of what is written to it, drops the rest. */
    private static final class Window extends OutputStream {
        private final long origin;
        private final long end;
        private long at;
        final ByteArrayOutputStream kept = new ByteArrayOutputStream();

        Window(long origin, long length) {
            this.origin = origin;
            this.end = origin + Math.min(length, Long.MAX_VALUE - origin);
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            long from = Math.max(at, origin);
            long to = Math.min(at + len, end);
            if (from < to) {
                kept.write(b, off + (int) (from - at), (int) (to - from));
            }
            at += len;
        }
    }

    /** Counts what is written to it: BINARY.SIZE without the decoded bytes. */
    private static final class Counter extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }

    /**
     * Reads a decoder to its end. Mime4j's decoders may return 0 bytes on broken input; a zero read
     * that repeats is taken as the end, so a broken part cannot loop forever.
     */
    private static void drain(InputStream in, OutputStream out) throws IOException {
        byte[] buf = new byte[8192];
        int zeros = 0;
        try (in) {
            while (true) {
                int n;
                try {
                    n = in.read(buf, 0, buf.length);
                } catch (IOException e) {
                    // In-memory input: only a decoder's own complaint, which SILENT should not raise;
                    // what was decoded up to it is the answer.
                    break;
                }
                if (n < 0) {
                    break;
                }
                if (n == 0) {
                    if (++zeros > 16) {
                        break;
                    }
                    continue;
                }
                zeros = 0;
                out.write(buf, 0, n);
            }
        }
    }

}
