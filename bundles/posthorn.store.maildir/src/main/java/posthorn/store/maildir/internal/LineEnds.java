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
     * Where a message goes once its LF form would no longer serve back the bytes received: given the
     * moment the first such byte arrives, with everything before it written and served faithfully.
     */
    interface Exact {
        /**
         * Rewrites what was written so far as it is served (the bytes received so far) and returns
         * where to write the rest of the message unchanged.
         */
        OutputStream rewrite() throws IOException;
    }

    /**
     * {@link #toLf} as bytes arrive: writes the Maildir form of what it is given to {@code out}. A CR
     * at the end of one write is held until the next shows whether an LF follows; {@link #finish}
     * writes it. Does not close or flush {@code out}.
     *
     * <p>With an {@link Exact}, a message is stored as received once its LF form would lose bytes: a
     * bare LF (served back as CRLF) or a CRLF after a written CR (CR CR LF, served back as CR LF). Up
     * to that first lossy byte the LF form served exactly what came in, so {@link Exact#rewrite} can
     * rebuild the received bytes from it; everything after is written unchanged. The sizes of such a
     * message on disk and as served are then equal.
     */
    static final class ToLf extends OutputStream {
        private OutputStream out;
        private final Exact exact;
        // A piece of n input bytes yields at most n + 1 output bytes (a CR held from the piece before).
        private final byte[] outBuf = new byte[8 * 1024 + 1];
        private long disk;
        private long crlf;
        private long received;
        private boolean heldCr;
        private boolean lastWrittenCr;
        /** Writing the bytes unchanged, after a lossy byte. */
        private boolean asReceived;

        ToLf(OutputStream out) {
            this(out, null);
        }

        /** @param exact where a lossy message goes; null to keep the LF form whatever it loses */
        ToLf(OutputStream out, Exact exact) {
            this.out = out;
            this.exact = exact;
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
            if (asReceived) {
                writeAsReceived(buf, off, n);
                return;
            }
            int o = 0;
            for (int i = off; i < off + n; i++) {
                byte b = buf[i];
                if (b == '\n' && exact != null && (!heldCr || lastWrittenCr)) {
                    // A bare LF, or the LF of CR CR LF: the LF form would not give this back.
                    out.write(outBuf, 0, o);
                    received += i - off;
                    switchToAsReceived();
                    writeAsReceived(buf, i, off + n - i);
                    return;
                }
                if (heldCr) {
                    heldCr = false;
                    if (b == '\n') {
                        // CRLF -> LF; served again as CRLF (the byte before it is no CR: checked above
                        // when there is an Exact).
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
            received += n;
            out.write(outBuf, 0, o);
        }

        /** Rewrites the message so far as received (what it serves, and a CR still held). */
        private void switchToAsReceived() throws IOException {
            out = exact.rewrite();
            asReceived = true;
            disk = crlf;
            if (heldCr) {
                heldCr = false;
                out.write('\r');
                disk++;
                crlf++;
            }
        }

        private void writeAsReceived(byte[] buf, int off, int n) throws IOException {
            out.write(buf, off, n);
            received += n;
            disk += n;
            crlf += n;
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
