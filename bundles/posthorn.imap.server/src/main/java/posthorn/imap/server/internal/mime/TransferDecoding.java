package posthorn.imap.server.internal.mime;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
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
     * What BINARY[path] names in message {@code m}, decoded: for an empty path the whole message
     * (its header as is, its body decoded unless it is a multipart), else the body of that part.
     * A part that does not exist gives null.
     */
    public static byte[] binarySection(byte[] m, MimePart root, List<Integer> path) throws UnknownCteException {
        if (path.isEmpty()) {
            if (root.isMultipart() || root.message() != null) {
                return m;
            }
            byte[] body = decode(Arrays.copyOfRange(m, root.bodyStart(), root.end()), encoding(root));
            byte[] out = Arrays.copyOf(m, root.bodyStart() + body.length);
            System.arraycopy(body, 0, out, root.bodyStart(), body.length);
            return out;
        }
        MimePart part = root.find(path);
        if (part == null) {
            return null;
        }
        return decode(Arrays.copyOfRange(m, part.bodyStart(), part.end()), encoding(part));
    }

    /** The content with the encoding (lower case) undone. */
    public static byte[] decode(byte[] body, String encoding) throws UnknownCteException {
        return switch (encoding) {
            case "7bit", "8bit", "binary" -> body;
            case "base64" -> drain(new Base64InputStream(new ByteArrayInputStream(body), DecodeMonitor.SILENT));
            case "quoted-printable" -> drain(new QuotedPrintableInputStream(new ByteArrayInputStream(body),
                    DecodeMonitor.SILENT));
            default -> throw new UnknownCteException(encoding);
        };
    }

    /**
     * Reads a decoder to its end. Mime4j's decoders may return 0 bytes on broken input; a zero read
     * that repeats is taken as the end, so a broken part cannot loop forever.
     */
    private static byte[] drain(InputStream in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int zeros = 0;
        try (in) {
            while (true) {
                int n = in.read(buf, 0, buf.length);
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
        } catch (IOException e) {
            // In-memory input: only a decoder's own complaint, which SILENT should not raise; what
            // was decoded up to it is the answer.
        }
        return out.toByteArray();
    }
}
