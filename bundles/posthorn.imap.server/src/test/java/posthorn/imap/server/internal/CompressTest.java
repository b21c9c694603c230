package posthorn.imap.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * COMPRESS=DEFLATE (RFC 4978) end to end over a real socket: the client side is java.util.zip in raw
 * mode (no zlib header), as RFC 4978 4 and imaplib-with-zlib clients do it.
 */
class CompressTest {

    /** A client connection that can switch to raw deflate both ways after COMPRESS's OK. */
    static final class Client implements AutoCloseable {
        final Socket socket;
        final InputStream rawIn;
        final OutputStream rawOut;
        Deflater deflater;
        Inflater inflater;
        private final byte[] chunk = new byte[4096];
        private final ByteArrayOutputStream plain = new ByteArrayOutputStream();
        private byte[] buffered = new byte[0];
        private int at;

        Client(Socket socket) throws IOException {
            this.socket = socket;
            socket.setSoTimeout(20_000);
            rawIn = socket.getInputStream();
            rawOut = socket.getOutputStream();
        }

        /** From now on both ways compressed; what was read past the OK already is compressed data. */
        void compress() throws IOException {
            deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
            inflater = new Inflater(true);
            byte[] rest = java.util.Arrays.copyOfRange(buffered, at, buffered.length);
            buffered = new byte[0];
            at = 0;
            if (rest.length > 0) {
                feed(rest, rest.length);
            }
        }

        void send(String text) throws IOException {
            sendBytes(text.getBytes(StandardCharsets.UTF_8));
        }

        void sendBytes(byte[] data) throws IOException {
            rawOut.write(deflater == null ? data : deflate(deflater, data));
            rawOut.flush();
        }

        /** The next line from the server without CRLF, or null at the end of the stream. */
        String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                int c = next();
                if (c < 0) {
                    return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
                }
                if (c == '\n') {
                    String s = b.toString(StandardCharsets.UTF_8);
                    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
                }
                b.write(c);
            }
        }

        /** Exactly n bytes. */
        byte[] bytes(int n) throws IOException {
            byte[] out = new byte[n];
            for (int i = 0; i < n; i++) {
                int c = next();
                if (c < 0) {
                    throw new IOException("ended early");
                }
                out[i] = (byte) c;
            }
            return out;
        }

        /** Reads lines until one starts with the prefix (the tagged answer); returns it. */
        String until(String prefix) throws IOException {
            while (true) {
                String l = line();
                if (l == null || l.startsWith(prefix)) {
                    return l;
                }
            }
        }

        private int next() throws IOException {
            while (at >= buffered.length) {
                int n = rawIn.read(chunk);
                if (n < 0) {
                    return -1;
                }
                if (inflater == null) {
                    buffered = java.util.Arrays.copyOf(chunk, n);
                    at = 0;
                } else {
                    feed(chunk, n);
                }
            }
            return buffered[at++] & 0xff;
        }

        private void feed(byte[] data, int n) throws IOException {
            inflater.setInput(data, 0, n);
            plain.reset();
            byte[] out = new byte[65536];
            try {
                while (true) {
                    int k = inflater.inflate(out);
                    plain.write(out, 0, k);
                    if (k == 0) {
                        break;
                    }
                }
            } catch (DataFormatException e) {
                throw new IOException(e);
            }
            buffered = plain.toByteArray();
            at = 0;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    static byte[] deflate(Deflater d, byte[] data) {
        d.setInput(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = new byte[65536];
        int n;
        do {
            n = d.deflate(b, 0, b.length, Deflater.SYNC_FLUSH);
            out.write(b, 0, n);
        } while (n == b.length || !d.needsInput());
        return out.toByteArray();
    }

    private static Client login(TestServer server) throws IOException {
        Client c = new Client(new Socket(InetAddress.getLoopbackAddress(), server.port()));
        assertFalse(c.line().contains("COMPRESS=DEFLATE"), "not announced before login (issue 15: after login)");
        c.send("a LOGIN ann pw\r\n");
        String ok = c.line();
        assertTrue(ok.startsWith("a OK [CAPABILITY ") && ok.contains(" COMPRESS=DEFLATE"), ok);
        return c;
    }

    @Test
    void rfc4978Section5ExampleThenARealSessionThroughDeflate(@TempDir Path root) throws Exception {
        try (TestServer server = new TestServer(root, Map.of()).user("ann", "pw")) {
            server.deliver("ann", "Subject: one\r\n\r\n" + "hello compressed world\r\n".repeat(2000));
            try (Client c = login(server)) {
                c.send("b COMPRESS DEFLATE\r\n");
                assertEquals("b OK DEFLATE active", c.line(), "the OK is not compressed");
                c.compress();
                c.send("c NOOP\r\n");
                assertEquals("c OK NOOP completed", c.line());
                c.send("d LIST \"\" *\r\n");
                assertTrue(c.line().startsWith("* LIST ("));
                assertEquals("d OK LIST completed", c.until("d "));
                c.send("e SELECT INBOX\r\n");
                assertTrue(c.until("e ").startsWith("e OK [READ-WRITE]"));
                c.send("f FETCH 1 BODY[]\r\n");
                String head = c.line();
                assertTrue(head.startsWith("* 1 FETCH (") && head.endsWith("}"), head);
                int size = Integer.parseInt(head.substring(head.lastIndexOf('{') + 1, head.length() - 1));
                String body = new String(c.bytes(size), StandardCharsets.US_ASCII);
                assertTrue(body.startsWith("Subject: one\r\n\r\nhello compressed world\r\n"));
                assertEquals(2000 * 24 + 16, size);
                assertTrue(c.until("f ").startsWith("f OK"));
                // a literal through the compressed stream, larger than what is held in memory (streamed)
                String msg = "Subject: two\r\n\r\n" + "x".repeat(200_000) + "\r\n";
                c.send("g APPEND INBOX {" + msg.length() + "}\r\n");
                assertTrue(c.line().startsWith("+ "));
                c.send(msg + "\r\n");
                assertTrue(c.until("g ").startsWith("g OK [APPENDUID "));
                // IDLE: a delivery from outside arrives compressed and flushed while the session waits
                c.send("h IDLE\r\n");
                assertTrue(c.line().startsWith("+ "));
                server.deliver("ann", "Subject: three\r\n\r\nhi\r\n");
                assertEquals("* 3 EXISTS", c.until("* 3 EXISTS"));
                c.send("DONE\r\n");
                assertTrue(c.until("h ").startsWith("h OK"));
                c.send("i COMPRESS DEFLATE\r\n");
                assertEquals("i BAD [COMPRESSIONACTIVE] DEFLATE active via COMPRESS", c.line(),
                        "RFC 4978 3: BAD when COMPRESS is already active");
                c.send("j LOGOUT\r\n");
                assertTrue(c.line().startsWith("* BYE"));
                assertTrue(c.line().startsWith("j OK"));
            }
        }
    }

    /**
     * The session's bytes in and out count what crossed the connection (compressed), in imap:who's
     * snapshot, in the counters /metrics reads and in the disconnect line's in= and out=; the line
     * also gives the IMAP bytes they carried (uncompressed.in=, uncompressed.out=), as Dovecot logs both.
     */
    @Test
    void byteCountsAreWhatCrossedTheConnection(@TempDir Path root) throws Exception {
        String line = "hello compressed world\r\n";
        try (TestServer server = new TestServer(root, Map.of()).user("ann", "pw"); LogCapture log = new LogCapture()) {
            server.deliver("ann", "Subject: one\r\n\r\n" + line.repeat(4000));
            long endedOut = server.server.counters().endedBytesOut();
            long endedIn = server.server.counters().endedBytesIn();
            long wireIn;
            long wireOut;
            try (Client c = login(server)) {
                c.send("b COMPRESS DEFLATE\r\n");
                assertEquals("b OK DEFLATE active", c.line());
                c.compress();
                c.send("c SELECT INBOX\r\n");
                c.until("c ");
                c.send("d FETCH 1 BODY[]\r\n");
                String head = c.line();
                c.bytes(Integer.parseInt(head.substring(head.lastIndexOf('{') + 1, head.length() - 1)));
                assertTrue(c.until("d ").startsWith("d OK"));
                // a literal of 100 KB that deflates to a few hundred bytes
                String msg = "Subject: two\r\n\r\n" + line.repeat(4000);
                c.send("e APPEND INBOX {" + msg.length() + "+}\r\n" + msg + "\r\n");
                assertTrue(c.until("e ").startsWith("e OK"));
                var info = server.server.sessions().iterator().next().info();
                assertTrue(info.bytesOut() > 50 && info.bytesOut() < 20_000,
                        "out counts compressed bytes, not the 96 KB body: " + info.bytesOut());
                assertTrue(info.bytesIn() > 50 && info.bytesIn() < 20_000,
                        "in counts compressed bytes, not the 96 KB literal: " + info.bytesIn());
                c.send("f LOGOUT\r\n");
                assertTrue(c.until("f ").startsWith("f OK"));
            }
            waitFor(() -> !log.lines("disconnect").isEmpty());
            String disconnect = log.lines("disconnect").get(0);
            wireIn = number(disconnect, " in=");
            wireOut = number(disconnect, " out=");
            assertTrue(wireOut < 20_000 && number(disconnect, " uncompressed.out=") > 96_000, disconnect);
            assertTrue(wireIn < 20_000 && number(disconnect, " uncompressed.in=") > 96_000, disconnect);
            waitFor(() -> server.server.counters().endedBytesOut() > endedOut);
            assertEquals(wireOut, server.server.counters().endedBytesOut() - endedOut, "/metrics counts as the log");
            assertEquals(wireIn, server.server.counters().endedBytesIn() - endedIn, "/metrics counts as the log");
        }
    }

    private static long number(String line, String key) {
        int at = line.indexOf(key);
        assertTrue(at >= 0, key + " in " + line);
        int from = at + key.length();
        int to = from;
        while (to < line.length() && Character.isDigit(line.charAt(to))) {
            to++;
        }
        return Long.parseLong(line.substring(from, to));
    }

    @Test
    void commandsPipelinedRightAfterCompressAreInflated(@TempDir Path root) throws Exception {
        try (TestServer server = new TestServer(root, Map.of()).user("ann", "pw")) {
            try (Client c = login(server)) {
                Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
                byte[] after = deflate(d, "b NOOP\r\nc NOOP\r\n".getBytes(StandardCharsets.US_ASCII));
                ByteArrayOutputStream both = new ByteArrayOutputStream();
                both.write("a COMPRESS DEFLATE\r\n".getBytes(StandardCharsets.US_ASCII));
                both.write(after);
                c.sendBytes(both.toByteArray());
                assertEquals("a OK DEFLATE active", c.line());
                c.compress();
                c.deflater = d;
                assertEquals("b OK NOOP completed", c.line());
                assertEquals("c OK NOOP completed", c.line());
            }
        }
    }

    @Test
    void badMechanismAndBeforeLoginAreRefused(@TempDir Path root) throws Exception {
        try (TestServer server = new TestServer(root, Map.of()).user("ann", "pw")) {
            try (Client c = new Client(new Socket(InetAddress.getLoopbackAddress(), server.port()))) {
                c.line();
                c.send("a COMPRESS DEFLATE\r\n");
                assertEquals("a BAD COMPRESS is not valid before login", c.line());
                c.send("b LOGIN ann pw\r\n");
                c.line();
                c.send("c COMPRESS LZMA\r\n");
                assertEquals("c BAD Unknown compression mechanism LZMA", c.line());
                c.send("d COMPRESS\r\n");
                assertTrue(c.line().startsWith("d BAD "));
                c.send("e NOOP\r\n");
                assertEquals("e OK NOOP completed", c.line(), "still uncompressed");
            }
        }
    }

    @Test
    void garbageDeflateDataEndsTheSessionWithByeAndALogLine(@TempDir Path root) throws Exception {
        try (TestServer server = new TestServer(root, Map.of()).user("ann", "pw"); LogCapture log = new LogCapture()) {
            try (Client c = login(server)) {
                c.send("b COMPRESS DEFLATE\r\n");
                assertEquals("b OK DEFLATE active", c.line());
                c.inflater = new Inflater(true);
                // 0xff: a final block of type 3, which is reserved (RFC 1951 3.2.3)
                c.rawOut.write(new byte[] {(byte) 0xff, (byte) 0xff, 0x12, 0x34});
                c.rawOut.flush();
                assertEquals("* BYE Invalid or oversized compressed data", c.line());
                assertNull(c.line());
            }
            waitFor(() -> !log.lines("event=compress.refused").isEmpty());
            assertTrue(log.lines("event=compress.refused").get(0).contains("invalid deflate data"), log.lines().toString());
        }
    }

    @Test
    void aClientEndingItsDeflateStreamGetsItsAnswersThenBye(@TempDir Path root) throws Exception {
        try (TestServer server = new TestServer(root, Map.of()).user("ann", "pw"); LogCapture log = new LogCapture()) {
            try (Client c = login(server)) {
                c.send("b COMPRESS DEFLATE\r\n");
                assertEquals("b OK DEFLATE active", c.line());
                c.compress();
                // NOOP, then a final block (BFINAL): RFC 4978 3, compression lasts for the rest of the connection
                Deflater d = c.deflater;
                d.setInput("c NOOP\r\n".getBytes(StandardCharsets.US_ASCII));
                d.finish();
                byte[] b = new byte[256];
                int n = d.deflate(b);
                assertTrue(d.finished());
                c.rawOut.write(b, 0, n);
                c.rawOut.flush();
                assertEquals("c OK NOOP completed", c.line());
                assertEquals("* BYE Invalid or oversized compressed data", c.line());
                assertNull(c.line());
            }
            waitFor(() -> !log.lines("event=compress.refused").isEmpty());
            assertTrue(log.lines("event=compress.refused").get(0).contains("ended its deflate stream"), log.lines().toString());
        }
    }

    @Test
    void compressAfterTlsOnImaps(@TempDir Path root) throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        Map<String, Object> cfg = Map.of("tls.selfsigned", true, "tls.cert", root.resolve("c.pem").toString(),
                "tls.key", root.resolve("k.pem").toString(), "tls.port", port);
        try (TestServer server = new TestServer(root, cfg).user("ann", "pw")) {
            SSLContext trustAll = SSLContext.getInstance("TLS");
            trustAll.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String auth) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String auth) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            SSLSocket ssl = (SSLSocket) trustAll.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
                    server.server.tlsPort());
            ssl.startHandshake();
            try (Client c = new Client(ssl)) {
                c.line();
                c.send("a LOGIN ann pw\r\n");
                c.line();
                c.send("b COMPRESS DEFLATE\r\n");
                assertEquals("b OK DEFLATE active", c.line());
                c.compress();
                c.send("c STATUS INBOX (MESSAGES)\r\n");
                assertEquals("* STATUS INBOX (MESSAGES 0)", c.line());
                assertEquals("c OK STATUS completed", c.line());
            }
        }
    }

    static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met in 20 s");
            }
            Thread.sleep(20);
        }
    }
}
