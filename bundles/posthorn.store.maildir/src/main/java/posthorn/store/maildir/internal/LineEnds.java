package posthorn.store.maildir.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Line-end arithmetic between Maildir's bare LF on disk and IMAP's CRLF on the wire. */
final class LineEnds {
    private LineEnds() {
    }

    /** The size the file has when every bare LF is served as CRLF. */
    static long crlfSize(InputStream in) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long size = 0;
        boolean lastWasCr = false;
        int n;
        while ((n = in.read(buf)) > 0) {
            size += n;
            for (int i = 0; i < n; i++) {
                byte b = buf[i];
                if (b == '\n' && !lastWasCr) {
                    size++;
                }
                lastWasCr = b == '\r';
            }
        }
        return size;
    }

    /** Sizes of what {@link #toLf} wrote. */
    record Written(long diskSize, long crlfSize) {
    }

    /**
     * Copies a message as a client sent it into Maildir form: CRLF becomes LF, as Courier and Dovecot
     * store it, so that local mail tools see ordinary Unix text. A bare CR is kept. The returned CRLF
     * size is exactly what {@link CrlfInputStream} will serve from the written bytes.
     */
    static Written toLf(InputStream in, OutputStream out) throws IOException {
        ToLf lf = new ToLf(out);
        in.transferTo(lf);
        return lf.finish();
    }

    /**
     * {@link #toLf} as bytes arrive: writes the Maildir form of what it is given to {@code out}. A CR
     * at the end of one write is held until the next shows whether an LF follows; {@link #finish}
     * writes it. Does not close or flush {@code out}.
     */
    static final class ToLf extends OutputStream {
        private final OutputStream out;
        // A piece of n input bytes yields at most n + 1 output bytes (a CR held from the piece before).
        private final byte[] outBuf = new byte[8 * 1024 + 1];
        private long disk;
        private long crlf;
        private long received;
        private boolean heldCr;
        private boolean lastWrittenCr;

        ToLf(OutputStream out) {
            this.out = out;
        }

        /** The bytes given so far, as the client sent them. */
        long received() {
            return received;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, outBuf.length - 1);
                convert(buf, off, n);
                off += n;
                len -= n;
            }
        }

        private void convert(byte[] buf, int off, int n) throws IOException {
            received += n;
            int o = 0;
            for (int i = off; i < off + n; i++) {
                byte b = buf[i];
                if (heldCr) {
                    heldCr = false;
                    if (b == '\n') {
                        // CRLF -> LF; served again as CRLF unless the byte before it is a CR.
                        outBuf[o++] = '\n';
                        disk++;
                        crlf += lastWrittenCr ? 1 : 2;
                        lastWrittenCr = false;
                        continue;
                    }
                    outBuf[o++] = '\r';
                    disk++;
                    crlf++;
                    lastWrittenCr = true;
                }
                if (b == '\r') {
                    heldCr = true;
                    continue;
                }
                outBuf[o++] = b;
                disk++;
                crlf += (b == '\n' && !lastWrittenCr) ? 2 : 1;
                lastWrittenCr = false;
            }
            out.write(outBuf, 0, o);
        }

        /** Writes a CR still held and returns the sizes of everything written. */
        Written finish() throws IOException {
            if (heldCr) {
                heldCr = false;
                out.write('\r');
                disk++;
                crlf++;
                lastWrittenCr = true;
            }
            return new Written(disk, crlf);
        }
    }
}
