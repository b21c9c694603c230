package posthorn.imap.server.internal.session;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * COMPRESS=DEFLATE (RFC 4978): raw deflate (RFC 1951, no zlib header: {@code nowrap}) both ways,
 * with java.util.zip.
 *
 * <p>Memory. zlib's deflate state is about 256 KB of native memory (window, hash chains, pending
 * buffer; level does not change it and java.util.zip cannot shrink window or memLevel), the inflate
 * state about 40 KB (its 32 KB window, taken at the first data). A session spends nearly all its life
 * waiting (between commands, in IDLE), so the compressing side does not keep a Deflater: it takes one
 * from a pool shared by all sessions at its first write after a flush, and gives it back (reset) when
 * it flushes. After a SYNC_FLUSH the stream stands on a byte boundary with no block open, so the next
 * bytes may come from a fresh deflater: its blocks reference only their own data, which the client's
 * inflater still has (RFC 1951 3.2.5: distances reach back into any earlier output), and no stream
 * is ever finished (no BFINAL block). The cost is that one flush's data cannot refer to the previous
 * flush's. The decompressing side must keep its Inflater: the client's compressor refers to what it
 * sent before.
 *
 * <p>Flushing: a flush of {@link Deflating} is a SYNC_FLUSH, so every point where the session flushes
 * today (after a pipelined batch, before waiting for input, continuation requests, IDLE updates)
 * delivers all responses so far; writes in between are not flushed one by one.
 */
final class Compression {

    /** Idle deflaters kept for the next session that writes; more are ended. */
    private static final int POOL_MAX = 16;
    private static final ConcurrentLinkedQueue<Deflater> POOL = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger POOLED = new AtomicInteger();
    /** Deflaters in use now, for tests and the memory figure. */
    private static final AtomicInteger IN_USE = new AtomicInteger();

    private Compression() {
    }

    /** Compressed input was not valid raw deflate data, or the client ended its stream: the session ends. */
    static final class InvalidData extends IOException {
        InvalidData(String message) {
            super(message);
        }
    }

    private static Deflater take(int level) {
        Deflater d = POOL.poll();
        if (d != null) {
            POOLED.decrementAndGet();
            d.setLevel(level);
        } else {
            d = new Deflater(level, true);
        }
        IN_USE.incrementAndGet();
        return d;
    }

    private static void give(Deflater d) {
        IN_USE.decrementAndGet();
        d.reset();
        if (POOLED.incrementAndGet() <= POOL_MAX) {
            POOL.add(d);
        } else {
            POOLED.decrementAndGet();
            d.end();
        }
    }

    /** Deflaters held by sessions now (not pooled): 0 while every compressed session waits. */
    static int deflatersInUse() {
        return IN_USE.get();
    }

    /**
     * The compressing side, between the session's response writer and the connection (or TLS). Session
     * thread, or whoever holds the session's write lock.
     */
    static final class Deflating extends OutputStream {
        private final OutputStream out;
        private final int level;
        private Deflater deflater;
        private byte[] buffer;
        private boolean closed;

        Deflating(OutputStream out, int level) {
            this.out = out;
            this.level = level;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return;
            }
            if (closed) {
                throw new IOException("compressed stream closed");
            }
            if (deflater == null) {
                deflater = take(level);
                buffer = new byte[8192];
            }
            deflater.setInput(b, off, len);
            while (!deflater.needsInput()) {
                int n = deflater.deflate(buffer, 0, buffer.length, Deflater.NO_FLUSH);
                if (n > 0) {
                    out.write(buffer, 0, n);
                }
            }
        }

        /** SYNC_FLUSH: everything written so far reaches the client; the deflater goes back to the pool. */
        @Override
        public void flush() throws IOException {
            Deflater d = deflater;
            if (d != null) {
                deflater = null;
                try {
                    int n;
                    do {
                        n = d.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
                        if (n > 0) {
                            out.write(buffer, 0, n);
                        }
                    } while (n == buffer.length);
                } finally {
                    buffer = null;
                    give(d);
                }
            }
            out.flush();
        }

        @Override
        public void close() throws IOException {
            discard();
            out.close();
        }

        /** The session ended: what was not flushed is dropped and the deflater goes back; the connection is closed elsewhere. */
        void discard() {
            if (!closed) {
                closed = true;
                if (deflater != null) {
                    give(deflater);
                    deflater = null;
                    buffer = null;
                }
            }
        }
    }

    /**
     * The decompressing side, between the connection (or TLS) and the session's reads. A read inflates
     * at most as many bytes as the caller's buffer holds, so what the client's data expands to never
     * lands in memory beyond that buffer: the receiver's line and literal limits apply to the inflated
     * bytes as to plain ones, and the session bounds how much may pass without an event
     * ({@link Session}). Session thread only.
     */
    static final class Inflating extends InputStream {
        private static final int WAIT_READ = 512;
        private static final int BURST_READ = 16 * 1024;

        private final InputStream in;
        private final Inflater inflater = new Inflater(true);
        /** Compressed bytes the inflater reads from (it keeps a reference); small while waiting. */
        private byte[] input;
        /** Written by the session's thread, read by the admin console (the session's bytes in). */
        private volatile long compressedIn;
        private long inflatedOut;
        private boolean ended;

        /** @param leftover compressed bytes the client sent right after COMPRESS, already read */
        Inflating(InputStream in, byte[] leftover) {
            this.in = in;
            if (leftover.length > 0) {
                input = leftover;
                inflater.setInput(leftover);
                compressedIn = leftover.length;
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (true) {
                if (ended) {
                    return -1;
                }
                int n;
                try {
                    n = inflater.inflate(b, off, len);
                } catch (DataFormatException e) {
                    throw new InvalidData("invalid deflate data from the client: " + e.getMessage());
                }
                if (n > 0) {
                    inflatedOut += n;
                    return n;
                }
                if (inflater.finished()) {
                    // The client ended its deflate stream (a final block): nothing may follow it on
                    // this connection (RFC 4978 3: compression lasts for the rest of the connection),
                    // so the session ends here, with BYE and a log line, whether the client is
                    // still there or not. Its commands before the final block have been answered.
                    ended = true;
                    throw new InvalidData("the client ended its deflate stream");
                }
                if (inflater.needsDictionary()) {
                    throw new InvalidData("deflate data asks for a preset dictionary");
                }
                if (inflater.needsInput()) {
                    int size = in.available() > 0 ? BURST_READ : WAIT_READ;
                    if (input == null || input.length != size) {
                        input = new byte[size];
                    }
                    int r = in.read(input, 0, input.length);
                    if (r < 0) {
                        return -1;
                    }
                    compressedIn += r;
                    inflater.setInput(input, 0, r);
                }
            }
        }

        /** Nonzero when a read may not wait: compressed bytes are buffered or waiting on the connection. */
        @Override
        public int available() throws IOException {
            if (ended) {
                return 0;
            }
            return inflater.getRemaining() > 0 ? 1 : Math.min(1, in.available());
        }

        long compressedIn() {
            return compressedIn;
        }

        long inflatedOut() {
            return inflatedOut;
        }

        @Override
        public void close() throws IOException {
            inflater.end();
            in.close();
        }

        /** Frees the inflater's native memory when the session ends (the connection is closed elsewhere). */
        void end() {
            inflater.end();
        }
    }
}
