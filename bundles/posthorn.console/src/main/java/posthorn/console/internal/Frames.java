package posthorn.console.internal;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The console's wire format, both ways: frames of one type byte, a 4-byte big-endian length and that
 * many bytes. It keeps a command's standard output apart from its standard error and ends each command
 * with its exit status, which a byte stream of terminal text cannot do ({@code ./posthorn shell -c}
 * must exit with the command's status and keep errors on stderr).
 *
 * <pre>
 * server -> client  HELLO "posthorn-console 1"   once, after the peer was accepted
 *                   REFUSED reason               instead of HELLO; then the server closes
 *                   OUT bytes, ERR bytes         a command's output, as it is written
 *                   EXIT status (4 bytes)        the command ended; 0 ok, 1 failed, 127 not found
 * client -> server  COMMAND line (UTF-8)         run one Gogo command line in this connection's session
 * </pre>
 * A client runs any number of commands in one connection (the interactive console) and ends it by
 * closing its side. Not thread-safe on its own: writers synchronize on the stream.
 */
final class Frames {
    static final byte HELLO = 'H';
    static final byte REFUSED = 'R';
    static final byte OUT = 'O';
    static final byte ERR = 'E';
    static final byte EXIT = 'X';
    static final byte COMMAND = 'C';

    static final String GREETING = "posthorn-console 1";

    /** Exit statuses, as a shell gives them. */
    static final int OK = 0;
    static final int FAILED = 1;
    static final int NOT_FOUND = 127;

    private Frames() {
    }

    /** One frame as read; {@code payload} is never longer than the limit the reader gave. */
    record Frame(byte type, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    /** A frame in the wrong shape for this format: the connection is ended, not answered. */
    static final class BadFrame extends IOException {
        private static final long serialVersionUID = 1L;

        BadFrame(String message) {
            super(message);
        }
    }

    /**
     * Reads one frame, or returns null at a clean end of stream (between frames).
     *
     * @param max the longest payload accepted; a longer one is refused before it is read
     */
    static Frame read(DataInputStream in, int max) throws IOException {
        int type = in.read();
        if (type < 0) {
            return null;
        }
        int length;
        try {
            length = in.readInt();
        } catch (EOFException e) {
            throw new BadFrame("connection closed inside a frame header");
        }
        if (length < 0 || length > max) {
            throw new BadFrame("frame of " + Integer.toUnsignedString(length) + " bytes; at most " + max);
        }
        byte[] payload = new byte[length];
        try {
            in.readFully(payload);
        } catch (EOFException e) {
            throw new BadFrame("connection closed inside a frame");
        }
        return new Frame((byte) type, payload);
    }

    static void write(OutputStream out, byte type, byte[] payload, int off, int len) throws IOException {
        synchronized (out) {
            out.write(new byte[] {type, (byte) (len >>> 24), (byte) (len >>> 16), (byte) (len >>> 8), (byte) len});
            out.write(payload, off, len);
            out.flush();
        }
    }

    static void write(OutputStream out, byte type, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        write(out, type, b, 0, b.length);
    }

    static void exit(OutputStream out, int status) throws IOException {
        write(out, EXIT, new byte[] {(byte) (status >>> 24), (byte) (status >>> 16), (byte) (status >>> 8),
                (byte) status}, 0, 4);
    }

    /**
     * An output stream whose bytes go out as frames of one type (OUT or ERR): what a command writes
     * to its standard output or error. Buffered so that a command printing byte by byte does not send
     * a frame per byte; flushed when a command ends and whenever the buffer fills.
     */
    static final class FrameStream extends OutputStream {
        private final OutputStream out;
        private final byte type;
        private final byte[] buf = new byte[8192];
        private int n;

        FrameStream(OutputStream out, byte type) {
            this.out = out;
            this.type = type;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            if (n == buf.length) {
                flush();
            }
            buf[n++] = (byte) b;
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (len > buf.length - n) {
                flush();
                if (len > buf.length) {
                    Frames.write(out, type, b, off, len);
                    return;
                }
            }
            System.arraycopy(b, off, buf, n, len);
            n += len;
        }

        @Override
        public synchronized void flush() throws IOException {
            if (n > 0) {
                Frames.write(out, type, buf, 0, n);
                n = 0;
            }
        }
    }
}
