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
        byte[] buf = new byte[64 * 1024];
        // A chunk of n input bytes yields at most n + 1 output bytes (a CR held from the chunk before).
        byte[] outBuf = new byte[buf.length + 1];
        long disk = 0;
        long crlf = 0;
        boolean heldCr = false;
        boolean lastWrittenCr = false;
        int n;
        while ((n = in.read(buf)) >= 0) {
            int o = 0;
            for (int i = 0; i < n; i++) {
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
        if (heldCr) {
            out.write('\r');
            disk++;
            crlf++;
        }
        return new Written(disk, crlf);
    }
}
