package posthorn.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchPiecesTest {

    @Test
    void sameSeedSameMaildir(@TempDir Path tmp) throws IOException {
        new MailGenerator(7).maildir(tmp.resolve("a"), 60);
        new MailGenerator(7).maildir(tmp.resolve("b"), 60);
        List<Path> a = files(tmp.resolve("a"));
        List<Path> b = files(tmp.resolve("b"));
        assertEquals(60, a.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(tmp.resolve("a").relativize(a.get(i)), tmp.resolve("b").relativize(b.get(i)));
            assertArrayEquals(Files.readAllBytes(a.get(i)), Files.readAllBytes(b.get(i)));
        }
        String name = a.get(0).getFileName().toString();
        long size = Files.size(a.get(0));
        assertTrue(name.contains(",S=" + size), name + " names its size " + size);
    }

    @Test
    void mboxRoundTripKeepsFromLines(@TempDir Path tmp) throws IOException {
        Path mbox = tmp.resolve("m.mbox");
        new MailGenerator(3).mbox(mbox, 25);
        List<byte[]> messages = MailGenerator.readMbox(mbox);
        assertEquals(25, messages.size());
        for (byte[] m : messages) {
            String text = new String(m, StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("Return-Path: "), text.substring(0, 40));
            assertTrue(!text.contains("\n") || text.replace("\r\n", "").indexOf('\n') < 0, "CRLF line ends only");
        }
    }

    @Test
    void readsLiteralsAnnouncedPastTheKeptPartOfALine() throws Exception {
        String longLine = "* 1 FETCH (ENVELOPE (\"" + "x".repeat(3000) + "\" {5}\r\nab)cd)\r\n";
        String script = "* OK ready\r\n" + longLine + "* 2 FETCH (BODY[] {3}\r\n}\r\n)\r\nt1 OK done\r\n";
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread server = Thread.ofVirtual().start(() -> {
                try (Socket s = ss.accept(); OutputStream out = s.getOutputStream(); InputStream in = s.getInputStream()) {
                    out.write(script.substring(0, 12).getBytes(StandardCharsets.US_ASCII));
                    in.read(new byte[100]);
                    out.write(script.substring(12).getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    in.read(new byte[100]);
                } catch (IOException ignored) {
                    // the test's client asserts
                }
            });
            try (ImapConnection c = ImapConnection.open(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    ss.getLocalPort()), null, 5000)) {
                ImapConnection.Reply r = c.command("FETCH 1:2 (ENVELOPE BODY[])", true);
                assertEquals("OK", r.status());
                assertEquals(2, r.untagged());
                assertTrue(r.lines().get(1).startsWith("* 2 FETCH (BODY[] {3})"), r.lines().get(1));
            }
            server.join();
        }
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }
}
