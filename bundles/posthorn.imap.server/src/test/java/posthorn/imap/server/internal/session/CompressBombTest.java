package posthorn.imap.server.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

import org.junit.jupiter.api.Test;

import posthorn.imap.server.internal.LogCapture;

/**
 * Hostile input after COMPRESS (RFC 4978 6: a decompression bomb): what the client's data inflates to
 * must not reach the heap, and the session must end within the line and literal limits.
 */
class CompressBombTest {
    private final TestHost host = new TestHost(TestHost.noMail());

    @Test
    void aDeflateBombEndsTheSessionWithinTheLimitsWithoutGrowingTheHeap() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
             LogCapture log = new LogCapture()) {
            client.setSoTimeout(30_000);
            Session session = new Session(7, listener.accept(), host, false);
            long[] allocated = new long[1];
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            // a platform thread, whose allocation the JVM counts
            Thread t = new Thread(() -> {
                long before = mx.getCurrentThreadAllocatedBytes();
                session.run();
                allocated[0] = mx.getCurrentThreadAllocatedBytes() - before;
            });
            t.start();
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            BufferedReader plain = new BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.US_ASCII));
            plain.readLine();
            out.write("a LOGIN ann pw\r\nb COMPRESS DEFLATE\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertTrue(plain.readLine().startsWith("a OK "));
            // BufferedReader must not read past the OK: it reads what is there, and nothing more comes
            // before the client sends compressed data
            assertEquals("b OK DEFLATE active", plain.readLine());
            assertEquals(0, Compression.deflatersInUse(), "a waiting session holds no deflater");

            // 1 GiB of 'A' with no line end, about 1 MB compressed, sent while the server reads
            long limit = 2L * host.config().line_max() + host.config().literal_max() + 65_536;
            Deflater d = new Deflater(9, true);
            byte[] mb = new byte[1 << 20];
            Arrays.fill(mb, (byte) 'A');
            byte[] buf = new byte[64 * 1024];
            long sentInflated = 0;
            long sentCompressed = 0;
            try {
                for (int i = 0; i < 1024; i++) {
                    d.setInput(mb);
                    while (!d.needsInput()) {
                        int n = d.deflate(buf, 0, buf.length, Deflater.NO_FLUSH);
                        out.write(buf, 0, n);
                        sentCompressed += n;
                    }
                    sentInflated += mb.length;
                }
                int n = d.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
                out.write(buf, 0, n);
            } catch (IOException closed) {
                // the server ended the session while the bomb was still coming: expected
            }
            t.join(30_000);
            assertTrue(!t.isAlive(), "the session ended");
            // its last words, compressed
            Inflater inf = new Inflater(true);
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            byte[] r = new byte[4096];
            try {
                int n;
                while ((n = in.read(r)) > 0) {
                    inf.setInput(r, 0, n);
                    byte[] o = new byte[4096];
                    int k;
                    while ((k = inf.inflate(o)) > 0) {
                        rest.write(o, 0, k);
                    }
                }
            } catch (IOException reset) {
                // a reset after the BYE is possible: the server stopped reading the bomb
            }
            assertEquals("* BYE Invalid or oversized compressed data\r\n", rest.toString(StandardCharsets.US_ASCII));
            String line = log.lines("event=compress.refused").get(0);
            assertTrue(line.contains("decompressed bytes without a command line end"), line);
            long inflated = Long.parseLong(line.replaceAll(".* inflated=(\\d+).*", "$1"));
            assertTrue(inflated > limit && inflated < limit + (1 << 20), "cut off at the bound: " + line);
            assertTrue(sentInflated >= inflated, "sent " + sentInflated + " (" + sentCompressed + " compressed)");
            assertTrue(allocated[0] < 16L << 20, "the session thread allocated " + allocated[0] + " bytes for "
                    + inflated + " inflated ones");
        }
    }
}
