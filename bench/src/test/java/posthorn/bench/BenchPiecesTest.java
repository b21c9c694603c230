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

    @Test
    void replicatedMailboxLinksEachMessageOncePerSetUnderItsOwnName(@TempDir Path tmp) throws IOException {
        Path base = tmp.resolve("s1-n40-v1");
        new MailGenerator(1).maildir(base.resolve("big"), 40);
        Main.Data data = new Main.Data(base.resolve("big"), base.resolve("stress"), base.resolve("idle"),
            base.resolve("stress.mbox"), 1000);
        // 40 messages stand in for GENERATED_MAX here: the method takes the multiple from n
        Main.Data four = Scale.replicated(4 * Scale.GENERATED_MAX, data);
        List<Path> links = files(four.big());
        assertEquals(4 * 40, links.size());
        assertEquals(4000, four.bigBytes());
        assertEquals(links.size(), links.stream().map(p -> p.getFileName().toString()).distinct().count(),
            "every link has its own name");
        for (Path link : links) {
            String name = link.getFileName().toString();
            assertTrue(name.matches(".*\\.bench[1-4],S=\\d+.*"), name);
            Path original = base.resolve("big").resolve(link.getParent().getFileName().toString())
                .resolve(name.replaceFirst("\\.bench[1-4],", ".bench,"));
            assertTrue(Files.isSameFile(link, original), name + " is a hard link to " + original);
        }
        // cached: a second call finds DONE and links nothing new
        assertEquals(four.big(), Scale.replicated(4 * Scale.GENERATED_MAX, data).big());
        assertEquals(4 * 40, files(four.big()).size());
    }

    @Test
    void ftsCacheSharesMessagesAndCopiesIndexFiles(@TempDir Path tmp) throws IOException {
        Path from = tmp.resolve("a");
        new MailGenerator(2).maildir(from, 5);
        Files.writeString(from.resolve("dovecot.index.log"), "log");
        Files.createDirectories(from.resolve("xapian-indexes/db_1"));
        Files.writeString(from.resolve("xapian-indexes/db_1/postlist.glass"), "db");
        FtsCache.linkMessages(from, tmp.resolve("b"));
        for (Path f : files(from)) {
            Path copy = tmp.resolve("b").resolve(from.relativize(f).toString());
            String dir = f.getParent().getFileName().toString();
            assertEquals(dir.equals("cur") || dir.equals("new"), Files.isSameFile(f, copy), f.toString());
            assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(copy));
        }
        // an index file written in the copy leaves the original alone
        Files.writeString(tmp.resolve("b/dovecot.index.log"), "changed");
        assertEquals("log", Files.readString(from.resolve("dovecot.index.log")));
    }

    @Test
    void scaleReportsEveryPointMeasuredOrWhyNot(@TempDir Path tmp) {
        Scale scale = new Scale(Scale.Plan.quick(1), null, tmp, null, "test");
        scale.servers.add("Posthorn");
        scale.servers.add("Dovecot");
        for (Scale.Metric m : Scale.METRICS) {
            int[] xs = m.group().equals("idle") ? Scale.Plan.quick(1).sessions() : Scale.Plan.quick(1).sizes();
            for (int x : xs) {
                scale.point(m.id(), "Posthorn", x).samples.add(2.0 * x);
                scale.point(m.id(), "Dovecot", x).samples.add(1.0 * x);
            }
        }
        assertEquals(List.of(), scale.missing());
        scale.point("sort_date", "Dovecot", 300).samples.clear();
        scale.point("idle_p99", "Posthorn", 300).error = "boom";
        scale.point("idle_mem", "Posthorn", 300).na = "the ramp to 100 held 50";
        List<String> missing = scale.missing();
        assertEquals(2, missing.size(), missing.toString());
        assertTrue(missing.get(0).contains("UID SORT (DATE) / Dovecot / 300: not measured"), missing.get(0));
        assertTrue(missing.get(1).contains("/ Posthorn / 300: boom"), missing.get(1));
        String md = scale.markdown(1);
        assertTrue(md.contains("| FETCH 1:* (UID FLAGS) (ms) | Posthorn | 200 | 600 | x3.0 for x3 |"), md);
        assertTrue(md.contains("| FETCH 1:* (UID FLAGS) | Posthorn/Dovecot | 2.00 | 2.00 | |"), md);
        assertTrue(md.contains("Posthorn, server memory growth per IDLE session (PSS): the ramp to 100 held 50"), md);
    }

    @Test
    void openFilesLimitIsReadFromProc() {
        long limit = Scale.openFilesLimit();
        assertTrue(limit > 0, "limit " + limit);
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }
}
