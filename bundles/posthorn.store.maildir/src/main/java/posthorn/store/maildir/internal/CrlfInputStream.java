package posthorn.store.maildir.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Serves a Maildir file as IMAP counts it: every LF not preceded by CR becomes CRLF. The byte count
 * equals {@link LineEnds#crlfSize}, which is what RFC822.SIZE reports.
 */
final class CrlfInputStream extends FilterInputStream {
    private boolean lastWasCr;
    private boolean pendingLf;
    private byte[] raw = new byte[0];

    CrlfInputStream(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        if (pendingLf) {
            pendingLf = false;
            lastWasCr = false;
            return '\n';
        }
        int b = in.read();
        if (b == '\n' && !lastWasCr) {
            pendingLf = true;
            lastWasCr = true;
            return '\r';
        }
        lastWasCr = b == '\r';
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        int n = 0;
        if (pendingLf) {
            buf[off + n++] = '\n';
            pendingLf = false;
            lastWasCr = false;
        }
        // Read at most half the remaining space so that every LF can grow into CRLF in place.
        int room = (len - n) / 2;
        if (room == 0) {
            if (n > 0) {
                return n;
            }
            int b = read();
            if (b < 0) {
                return -1;
            }
            buf[off] = (byte) b;
            return 1;
        }
        if (raw.length < room) {
            raw = new byte[Math.min(room, 64 * 1024)];
        }
        room = Math.min(room, raw.length);
        int got = in.read(raw, 0, room);
        if (got < 0) {
            return n == 0 ? -1 : n;
        }
        for (int i = 0; i < got; i++) {
            byte b = raw[i];
            if (b == '\n' && !lastWasCr) {
                buf[off + n++] = '\r';
            }
            buf[off + n++] = b;
            lastWasCr = b == '\r';
        }
        return n;
    }

    @Override
    public long skip(long count) throws IOException {
        long skipped = 0;
        while (skipped < count && read() >= 0) {
            skipped++;
        }
        return skipped;
    }

    @Override
    public int available() {
        return 0;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int limit) {
    }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }
}
