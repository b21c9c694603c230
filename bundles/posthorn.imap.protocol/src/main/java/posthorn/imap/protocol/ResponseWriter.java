package posthorn.imap.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Writes responses (RFC 3501 7) to a stream, buffering until {@link #flush()}. Strings are written
 * quoted when they can be and as literals otherwise (CR, LF, NUL, 8-bit, over 1,000 bytes).
 * Pieces are written as called: the caller builds each response from atoms, strings and lists and
 * ends it with {@link #crlf()}. Not thread-safe: a session serialises its writes.
 */
public final class ResponseWriter {

    /** Longest string written quoted; longer ones go as literals (as Dovecot and Courier do). */
    static final int MAX_QUOTED = 1000;
    private static final int BUFFER_SIZE = 8192;
    private static final byte[] CRLF = {'\r', '\n'};

    private final OutputStream out;
    /**
     * Taken at the first write after a flush and given up by {@link #flush()}: a writer waiting between
     * two responses (a session in IDLE, 100,000 of them) holds no buffer.
     */
    private byte[] buf;
    private int len;
    /** Bytes have gone to {@link #out} since its last flush. */
    private boolean drained;

    public ResponseWriter(OutputStream out) {
        this.out = Objects.requireNonNull(out, "out");
    }

    /** "* " */
    public ResponseWriter untagged() throws IOException {
        write((byte) '*');
        write((byte) ' ');
        return this;
    }

    /** The raw text, as is (atoms, numbers, keywords the caller vouches for). */
    public ResponseWriter raw(String text) throws IOException {
        // Response text is nearly always ASCII: copied char by char into the buffer, without the
        // byte array String.getBytes would make for every piece of every response.
        int n = text.length();
        taken();
        if (n > buf.length - len) {
            drain();
            if (n > buf.length) {
                write(text.getBytes(StandardCharsets.UTF_8));
                return this;
            }
        }
        int at = len;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                write(text.substring(i).getBytes(StandardCharsets.UTF_8));
                return this;
            }
            buf[at] = (byte) c;
            len = ++at;
        }
        return this;
    }

    /** Bytes, as is (a pre-built ENVELOPE or BODYSTRUCTURE the caller vouches for). */
    public ResponseWriter raw(byte[] bytes) throws IOException {
        write(bytes);
        return this;
    }

    public ResponseWriter sp() throws IOException {
        write((byte) ' ');
        return this;
    }

    public ResponseWriter number(long n) throws IOException {
        if (n < 0) {
            return raw(Long.toString(n));
        }
        taken();
        if (buf.length - len < 20) {
            drain();
        }
        int digits = 1;
        for (long k = n; k >= 10; k /= 10) {
            digits++;
        }
        int at = len + digits;
        len = at;
        do {
            buf[--at] = (byte) ('0' + n % 10);
            n /= 10;
        } while (n > 0);
        return this;
    }

    /** A string, as quoted or literal, UTF-8. */
    public ResponseWriter string(String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (!quotable(bytes)) {
            return literal(bytes);
        }
        write((byte) '"');
        for (byte c : bytes) {
            if (c == '"' || c == '\\') {
                write((byte) '\\');
            }
            write(c);
        }
        write((byte) '"');
        return this;
    }

    /** Whether the bytes may go in a quoted string: 7-bit, no NUL, CR or LF, at most 1,000 bytes. */
    private static boolean quotable(byte[] bytes) {
        if (bytes.length > MAX_QUOTED) {
            return false;
        }
        for (byte c : bytes) {
            if (c <= 0 || c == '\r' || c == '\n') {
                return false;
            }
        }
        return true;
    }

    /** A string or NIL for null. */
    public ResponseWriter nstring(String s) throws IOException {
        return s == null ? nil() : string(s);
    }

    /** An astring: atom if it can be, else quoted or literal (for mailbox names). */
    public ResponseWriter astring(String s) throws IOException {
        boolean atom = !s.isEmpty() && !s.equalsIgnoreCase("NIL");
        for (int i = 0; i < s.length() && atom; i++) {
            atom = Chars.isAstringChar(s.charAt(i));
        }
        return atom ? raw(s) : string(s);
    }

    /** A literal of the given bytes. */
    public ResponseWriter literal(byte[] data) throws IOException {
        write((byte) '{');
        number(data.length);
        write((byte) '}');
        write(CRLF);
        write(data);
        return this;
    }

    /**
     * Content as BINARY returns it (RFC 3516 4.3, RFC 9051 4.3): a literal8 ({@code ~{N}}) when it
     * holds NUL, which an ordinary literal may not, else an ordinary literal.
     *
     * @since 1.2
     */
    public ResponseWriter binary(byte[] data) throws IOException {
        boolean nul = false;
        for (byte c : data) {
            if (c == 0) {
                nul = true;
                break;
            }
        }
        if (nul) {
            write((byte) '~');
        }
        return literal(data);
    }

    /**
     * A literal streamed from {@code in}, which must supply exactly {@code size} bytes.
     *
     * @throws IOException if {@code in} ends early; the response is then broken and the connection
     *         must be closed, since the client waits for the rest of the literal
     */
    public ResponseWriter literal(InputStream in, long size) throws IOException {
        if (size < 0) {
            throw new IllegalArgumentException("negative literal size " + size);
        }
        write((byte) '{');
        number(size);
        write((byte) '}');
        write(CRLF);
        long left = size;
        while (left > 0) {
            if (len == buf.length) {
                drain();
            }
            int n = in.read(buf, len, (int) Math.min(left, buf.length - len));
            if (n < 0) {
                throw new IOException("literal source ended after " + (size - left) + " of " + size + " bytes");
            }
            len += n;
            left -= n;
        }
        return this;
    }

    public ResponseWriter nil() throws IOException {
        return raw("NIL");
    }

    /** "(" */
    public ResponseWriter open() throws IOException {
        write((byte) '(');
        return this;
    }

    /** ")" */
    public ResponseWriter close() throws IOException {
        write((byte) ')');
        return this;
    }

    /** Ends the response line. */
    public void crlf() throws IOException {
        write(CRLF);
    }

    /**
     * "+ text" CRLF, flushed. An empty text gives "+ " (an empty SASL challenge, RFC 3501 6.2.2), so
     * the caller picks the words, e.g. "Ready" for a literal.
     */
    public void continuation(String text) throws IOException {
        write((byte) '+');
        write((byte) ' ');
        raw(oneLine(text == null ? "" : text));
        crlf();
        flush();
    }

    /**
     * A whole status response: {@code tag} (or "*" when null) SP status [SP "[" code "]"] SP text CRLF.
     * CR and LF in {@code code} or {@code text} become spaces so a response is always one line; an
     * empty or null text is left out (RFC 9051 allows "* OK [CLOSED]").
     *
     * @param code the response code without brackets, e.g. {@code READ-WRITE} or
     *             {@code UIDVALIDITY 3857529045}, or null
     */
    public void status(String tag, Status status, String code, String text) throws IOException {
        raw(tag == null ? "*" : tag);
        sp();
        raw(status.name());
        if (code != null) {
            raw(" [");
            raw(oneLine(code));
            write((byte) ']');
        }
        if (text != null && !text.isEmpty()) {
            sp();
            raw(oneLine(text));
        }
        crlf();
    }

    private static String oneLine(String s) {
        return s.indexOf('\r') < 0 && s.indexOf('\n') < 0 ? s : s.replace('\r', ' ').replace('\n', ' ');
    }

    public void flush() throws IOException {
        drain();
        buf = null;
        out.flush();
        drained = false;
    }

    /**
     * Whether responses are written and not yet flushed: a session that holds them back while it
     * runs the rest of a pipelined batch flushes before it waits for input.
     *
     * @since 2.1
     */
    public boolean holding() {
        return len > 0 || drained;
    }

    private void drain() throws IOException {
        if (len > 0) {
            drained = true;
            out.write(buf, 0, len);
            len = 0;
        }
    }

    /** The buffer, taken again after a {@link #flush()} gave it up. */
    private void taken() {
        if (buf == null) {
            buf = new byte[BUFFER_SIZE];
        }
    }

    private void write(byte c) throws IOException {
        if (buf == null) {
            buf = new byte[BUFFER_SIZE];
        } else if (len == buf.length) {
            drain();
        }
        buf[len++] = c;
    }

    private void write(byte[] data) throws IOException {
        if (buf == null) {
            buf = new byte[BUFFER_SIZE];
        }
        if (data.length > buf.length - len) {
            if (data.length > buf.length) {
                // Filled up to a whole buffer first, so that a big literal does not go out as a
                // small write of what came before it and then the rest.
                int head = buf.length - len;
                System.arraycopy(data, 0, buf, len, head);
                len = buf.length;
                drain();
                out.write(data, head, data.length - head);
                drained = true;
                return;
            }
            drain();
        }
        System.arraycopy(data, 0, buf, len, data.length);
        len += data.length;
    }
}
