package posthorn.imap.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Writes responses (RFC 3501 7) to a stream, buffering until {@link #flush()}. Strings are written
 * quoted when they can be and as literals otherwise (CR, LF, NUL, 8-bit, over 1,000 bytes).
 * Pieces are written as called: the caller builds each response from atoms, strings and lists and
 * ends it with {@link #crlf()}. Not thread-safe: a session serialises its writes.
 */
public final class ResponseWriter {

    public ResponseWriter(OutputStream out) {
        throw new UnsupportedOperationException("not yet");
    }

    /** "* " */
    public ResponseWriter untagged() throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** The raw text, as is (atoms, numbers, keywords the caller vouches for). */
    public ResponseWriter raw(String text) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    public ResponseWriter sp() throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    public ResponseWriter number(long n) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** A string, as quoted or literal, UTF-8. */
    public ResponseWriter string(String s) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** A string or NIL for null. */
    public ResponseWriter nstring(String s) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** An astring: atom if it can be, else quoted or literal (for mailbox names). */
    public ResponseWriter astring(String s) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** A literal of the given bytes. */
    public ResponseWriter literal(byte[] data) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** A literal streamed from {@code in}, which must supply exactly {@code size} bytes. */
    public ResponseWriter literal(InputStream in, long size) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    public ResponseWriter nil() throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** "(" */
    public ResponseWriter open() throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** ")" */
    public ResponseWriter close() throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** Ends the response line. */
    public void crlf() throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** "+ text" CRLF, flushed. */
    public void continuation(String text) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /**
     * A whole status response: {@code tag} (or "*" when null) SP status [SP "[" code "]"] SP text CRLF.
     *
     * @param code the response code without brackets, e.g. {@code READ-WRITE} or
     *             {@code UIDVALIDITY 3857529045}, or null
     */
    public void status(String tag, Status status, String code, String text) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    public void flush() throws IOException {
        throw new UnsupportedOperationException("not yet");
    }
}
