package posthorn.imap.server.internal.net;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The session's way to the socket: counts the bytes written, and notes when a write or flush began
 * and has not returned, so that the server's watchdog can end a session whose client stopped reading
 * ({@link java.net.Socket} has no write timeout). The target changes when STARTTLS wraps the
 * socket and when COMPRESS puts its compressor in front (the count is then of the IMAP bytes the
 * session wrote; the session counts the compressed ones with a second instance behind the
 * compressor). Written by the session's thread; {@link #stalledNanos} and {@link #count} are read by
 * the watchdog and the admin console.
 */
public final class CountingOutputStream extends OutputStream {
    private volatile OutputStream out;
    private volatile long count;
    /** System.nanoTime() when the write in progress began, or 0 when none is. */
    private volatile long busySince;

    public CountingOutputStream(OutputStream out) {
        this.out = out;
    }

    /** Where the bytes go from now on: the TLS socket after STARTTLS, the compressor after COMPRESS. */
    public void target(OutputStream out) {
        this.out = out;
    }

    /** Where the bytes go now, for a layer (COMPRESS) to put itself in front of. */
    public OutputStream target() {
        return out;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        busySince = nonZeroNanos();
        try {
            out.write(b, off, len);
        } finally {
            busySince = 0;
        }
        count += len;
    }

    @Override
    public void flush() throws IOException {
        busySince = nonZeroNanos();
        try {
            out.flush();
        } finally {
            busySince = 0;
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    public long count() {
        return count;
    }

    /** Nanoseconds the current write has been blocked, or 0 if no write is in progress. */
    public long stalledNanos(long now) {
        long since = busySince;
        return since == 0 ? 0 : Math.max(1, now - since);
    }

    private static long nonZeroNanos() {
        long t = System.nanoTime();
        return t == 0 ? 1 : t;
    }
}
