package posthorn.imap.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, item 1: literals cannot fill the heap. Before login a command holds at most a few KB
 * (literal.max.prelogin, line.max.prelogin) and a larger literal is refused before the client sends
 * it; after login APPEND's messages stream into the store (the {@link MemoryStore}'s uploads are
 * files, as the Maildir store's are) instead of memory; all sessions together hold at most
 * buffer.budget. Heap figures come from the MemoryMXBean after a full GC.
 */
class LiteralsTest {
    private static final int MB = 1 << 20;

    @TempDir
    Path root;

    private static final class Client implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Client(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(20_000);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
            String greeting = line();
            assertTrue(greeting.startsWith("* OK"), greeting);
        }

        void send(String text) throws IOException {
            send(text.getBytes(StandardCharsets.ISO_8859_1));
        }

        void send(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        /** The next line without CRLF, or null at the end of the connection. */
        String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
                }
                if (c != '\r') {
                    b.write(c);
                }
            }
            return b.toString(StandardCharsets.ISO_8859_1);
        }

        /** Lines up to the tagged one (or a BYE), the last one returned. */
        String until(String tag) throws IOException {
            while (true) {
                String l = line();
                if (l == null || l.startsWith(tag + " ") || l.startsWith("* BYE")) {
                    return l;
                }
            }
        }

        /** Sends n bytes of 'x' in pieces of up to 1 MB. */
        void sendBytes(long n) throws IOException {
            byte[] chunk = new byte[MB];
            Arrays.fill(chunk, (byte) 'x');
            while (n > 0) {
                int k = (int) Math.min(n, chunk.length);
                out.write(chunk, 0, k);
                n -= k;
            }
            out.flush();
        }

        /** Whether the server closed the connection (end of input or a reset). */
        boolean closed() throws IOException {
            try {
                return in.read() < 0;
            } catch (SocketException e) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private TestServer server(Map<String, Object> imapd) throws IOException {
        return new TestServer(root, imapd).user("alice", "pw");
    }

    private static Client login(TestServer server) throws IOException {
        Client c = new Client(server.port());
        c.send("l LOGIN alice pw\r\n");
        String r = c.until("l");
        assertTrue(r.startsWith("l OK"), r);
        return c;
    }

    static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private List<Path> uploads() throws IOException {
        Path dir = root.resolve(".uploads");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    private long uploadedBytes() throws IOException {
        long n = 0;
        for (Path p : uploads()) {
            n += Files.size(p);
        }
        return n;
    }

    @Test
    void beforeLoginALargeLiteralIsRefusedBeforeTheContinuation() throws Exception {
        try (TestServer server = server(Map.of()); Client c = new Client(server.port())) {
            c.send("a1 LOGIN {100000}\r\n");
            String r = c.line();
            assertTrue(r.startsWith("a1 BAD [TOOBIG] "), "refused without '+': " + r);
            // the share is for the whole command: two literals of 5000 bytes are too many
            c.send("a2 LOGIN {5000}\r\n");
            assertTrue(c.line().startsWith("+ "));
            c.send("u".repeat(5000) + " {5000}\r\n");
            r = c.line();
            // the text names what went over: the command's 10000 bytes, not the last literal's 5000
            assertEquals("a2 BAD [TOOBIG] Literals of 10000 bytes in one command (this one 5000 bytes) exceed the limit"
                    + " of 8192 bytes before login (literal.max.prelogin)", r);
            // a line longer than line.max.prelogin
            c.send("a3 LOGIN " + "u".repeat(9000) + " pw\r\n");
            r = c.line();
            assertTrue(r.startsWith("a3 BAD [TOOBIG] "), r);
            // user names and passwords as literals, within the bound, work as ever
            c.send("a4 LOGIN {300+}\r\n" + "u".repeat(300) + " pw\r\n");
            r = c.until("a4");
            assertTrue(r.startsWith("a4 NO [AUTHENTICATIONFAILED]"), r);
            c.send("a5 LOGIN {5}\r\n");
            assertTrue(c.line().startsWith("+ "));
            c.send("alice {2}\r\n");
            assertTrue(c.line().startsWith("+ "));
            c.send("pw\r\n");
            r = c.until("a5");
            assertTrue(r.startsWith("a5 OK"), r);
        }
    }

    @Test
    void beforeLoginALargeNonSynchronizingLiteralEndsTheSession() throws Exception {
        try (TestServer server = server(Map.of()); Client c = new Client(server.port())) {
            c.send("a1 LOGIN {100000+}\r\n");
            String r = c.line();
            assertTrue(r.startsWith("* BYE"), r);
            assertTrue(c.closed(), "the connection is closed, not read on");
        }
        try (TestServer server = server(Map.of()); Client c = new Client(server.port());
             LogCapture log = new LogCapture()) {
            // each literal within the bound, together over it: the BYE and the log line say so
            c.send("a1 LOGIN {5000+}\r\n" + "u".repeat(5000) + " {5000+}\r\n");
            String r = c.line();
            String why = "Literals of 10000 bytes in one command (this one 5000 bytes) exceed the limit of 8192 bytes"
                    + " before login (literal.max.prelogin)";
            assertEquals("* BYE " + why, r);
            assertTrue(c.closed());
            assertEquals(1, log.lines("refused a non-synchronizing literal from").stream()
                    .filter(l -> l.endsWith(why)).count(), log.lines().toString());
        }
    }

    /** 20 connections each hold the largest literal the server lets them start before login. */
    @Test
    void literalsBeforeLoginDoNotGrowTheHeap() throws Exception {
        try (TestServer server = server(Map.of("max.per.ip", 100, "prelogin.rate", 100))) {
            List<Client> clients = new ArrayList<>();
            try {
                long before = heapAfterGc();
                long sent = 0;
                for (int i = 0; i < 20; i++) {
                    Client c = new Client(server.port());
                    clients.add(c);
                    for (long size : new long[] {64L * MB, MB, 65536, 8192}) {
                        c.send("t" + i + " LOGIN {" + size + "}\r\n");
                        String r = c.line();
                        if (r.startsWith("+")) {
                            long part = Math.min(size - 1, 2 * MB);
                            c.sendBytes(part);
                            sent += part;
                            break;
                        }
                        assertTrue(r.startsWith("t" + i + " BAD [TOOBIG]"), r);
                    }
                }
                Thread.sleep(500); // the server reads what is in its socket buffers
                long growth = heapAfterGc() - before;
                assertTrue(growth < 4 * MB, "heap grew by " + growth / 1024 + " KB with 20 connections holding "
                        + sent / 1024 + " KB of literals before login");
                assertTrue(sent <= 20 * 8192, sent + " bytes of literals taken before login");
            } finally {
                for (Client c : clients) {
                    c.close();
                }
            }
        }
    }

    @Test
    void anAppendOfTwentyMegabytesStreamsToTheStore() throws Exception {
        int size = 20 * MB;
        try (TestServer server = server(Map.of()); Client c = login(server)) {
            long before = heapAfterGc();
            c.send("a APPEND INBOX (\\Seen) {" + size + "}\r\n");
            assertTrue(c.line().startsWith("+ "));
            c.send("Subject: big\r\n\r\n");
            c.sendBytes(19 * MB - 16);
            long deadline = System.currentTimeMillis() + 20_000;
            while (uploadedBytes() < 19 * MB - 64 * 1024) {
                assertTrue(System.currentTimeMillis() < deadline, "the literal does not reach the store's upload: "
                        + uploadedBytes() + " bytes there");
                Thread.sleep(20);
            }
            long growth = heapAfterGc() - before;
            assertTrue(growth < 4 * MB, "heap grew by " + growth / 1024 + " KB with 19 MB of an APPEND literal received");
            c.sendBytes(size - 19 * MB);
            c.send("\r\n");
            String r = c.until("a");
            assertTrue(r.matches("a OK \\[APPENDUID \\d+ 1\\] .*"), r);
            assertEquals(List.of(), uploads(), "the upload was taken by the mailbox");
            c.send("s SELECT INBOX\r\n");
            assertTrue(c.until("s").startsWith("s OK"));
            c.send("f FETCH 1 RFC822.SIZE\r\n");
            assertEquals("* 1 FETCH (RFC822.SIZE " + size + ")", c.line());
        }
    }

    /** RFC 3502: a MULTIAPPEND that fails leaves none of its messages, in the mailbox or as uploads. */
    @Test
    void aMultiappendThatFailsLeavesNothingBehind() throws Exception {
        try (TestServer server = server(Map.of())) {
            server.store.quota("alice", 3 * MB / 2);
            try (Client c = login(server)) {
                // a small message in the line, then two that stream; the third is over quota
                c.send("m APPEND INBOX {10}\r\n");
                assertTrue(c.line().startsWith("+ "));
                c.send("Subject: a {" + MB + "}\r\n");
                assertTrue(c.line().startsWith("+ "));
                c.sendBytes(MB);
                c.send(" {" + MB + "+}\r\n");
                c.sendBytes(MB);
                c.send("\r\n");
                String r = c.until("m");
                assertTrue(r.startsWith("m NO [OVERQUOTA]"), r);
                assertEquals(List.of(), uploads(), "no upload left");
                c.send("s SELECT INBOX\r\n");
                List<String> select = new ArrayList<>();
                String l;
                while (!(l = c.line()).startsWith("s ")) {
                    select.add(l);
                }
                assertTrue(select.contains("* 0 EXISTS"), select.toString());
                // the same into the selected mailbox: the session reports nothing of it
                c.send("m2 APPEND INBOX {" + MB + "+}\r\n");
                c.sendBytes(MB);
                c.send(" {" + MB + "+}\r\n");
                c.sendBytes(MB);
                c.send("\r\n");
                r = c.until("m2");
                assertTrue(r.startsWith("m2 NO [OVERQUOTA]"), r);
                c.send("n1 NOOP\r\n");
                assertEquals("n1 OK NOOP completed", c.line());
                assertEquals(List.of(), uploads(), "no upload left");
                // the session goes on, and a message that fits is taken
                c.send("n APPEND INBOX {" + MB + "+}\r\n");
                c.sendBytes(MB);
                c.send("\r\n");
                assertEquals("* 1 EXISTS", c.line());
                assertEquals("* 1 RECENT", c.line());
                r = c.until("n");
                assertTrue(r.startsWith("n OK [APPENDUID"), r);
            }
        }
    }

    @Test
    void afterLoginOnlyAppendTakesLargeLiterals() throws Exception {
        try (TestServer server = server(Map.of()); Client c = login(server)) {
            c.send("s SELECT {70000}\r\n");
            String r = c.line();
            assertTrue(r.startsWith("s BAD [TOOBIG] "), "a mailbox name of 70000 bytes: " + r);
            c.send("t SELECT {70000+}\r\n");
            r = c.line();
            assertTrue(r.startsWith("* BYE"), r);
            assertTrue(c.closed());
        }
        // UID is no message command: only UID REPLACE's literal is a message, UID SEARCH's is held to
        // line.max and refused before the continuation, nothing spooled to the store
        try (TestServer server = server(Map.of()); Client c = login(server)) {
            c.send("s SELECT INBOX\r\n");
            assertTrue(c.until("s").startsWith("s OK"));
            // UID REPLACE's message does stream: the continuation comes, the command is not BAD
            String message = "Subject: r\r\n\r\n" + "x".repeat(70000 - 14);
            c.send("w UID REPLACE 99 INBOX {70000}\r\n");
            String w = c.line();
            assertTrue(w.startsWith("+ "), w);
            c.send(message + "\r\n");
            w = c.until("w");
            assertTrue(w.startsWith("w OK") || w.startsWith("w NO"), w);
            c.send("u UID SEARCH TEXT {70000}\r\n");
            String r = c.line();
            assertTrue(r.startsWith("u BAD [TOOBIG] Literal of 70000 bytes exceeds the limit of"), r);
            assertEquals(List.of(), uploads());
            c.send("v uid search text {70000+}\r\n");
            r = c.line();
            assertTrue(r.startsWith("* BYE"), r);
            assertTrue(c.closed());
            assertEquals(List.of(), uploads());
        }
    }

    /**
     * buffer.budget: what is held in memory for one session's literals is missing for the others, who
     * get NO [LIMIT]; an APPEND message goes to the store instead and is not refused.
     */
    @Test
    void whenTheBudgetIsSpentLiteralsAreRefusedButMessagesStream() throws Exception {
        try (TestServer server = server(Map.of("buffer.budget", 10_000L));
                Client holder = new Client(server.port());
                Client other = new Client(server.port())) {
            holder.send("h LOGIN {8000}\r\n");
            assertTrue(holder.line().startsWith("+ "));
            holder.sendBytes(100);
            other.send("o1 LOGIN {5000}\r\n");
            String r = other.line();
            assertTrue(r.startsWith("o1 NO [LIMIT] "), r);
            other.send("o2 LOGIN alice pw\r\n");
            assertTrue(other.until("o2").startsWith("o2 OK"));
            other.send("o3 APPEND INBOX {5000}\r\n");
            assertTrue(other.line().startsWith("+ "), "a message streams when memory is short");
            other.sendBytes(5000);
            other.send("\r\n");
            r = other.until("o3");
            assertTrue(r.startsWith("o3 OK [APPENDUID"), r);
            // once the holder's command is done, its memory is free again
            holder.sendBytes(7900);
            holder.send(" pw\r\n");
            assertTrue(holder.until("h").startsWith("h NO [AUTHENTICATIONFAILED]"));
            long deadline = System.currentTimeMillis() + 5000;
            while (server.server.literalBudget().used() != 0) {
                assertTrue(System.currentTimeMillis() < deadline, server.server.literalBudget().used() + " bytes still held");
                Thread.sleep(10);
            }
            try (Client third = new Client(server.port())) {
                third.send("t LOGIN {5000}\r\n");
                assertTrue(third.line().startsWith("+ "));
            }
        }
    }

    /** A literal where none belongs, in IDLE or in a SASL exchange, is refused and the session goes on. */
    @Test
    void literalsWhereNoneBelongAreRefused() throws Exception {
        try (TestServer server = server(Map.of()); Client c = new Client(server.port())) {
            c.send("a AUTHENTICATE PLAIN\r\n");
            assertTrue(c.line().startsWith("+"));
            c.send("{100+}\r\n" + "x".repeat(100) + "\r\n");
            String r = c.until("a");
            assertTrue(r.startsWith("a BAD "), r);
            c.send("b LOGIN alice pw\r\n");
            assertTrue(c.until("b").startsWith("b OK"));
            c.send("s SELECT INBOX\r\n");
            assertTrue(c.until("s").startsWith("s OK"));
            c.send("i IDLE\r\n");
            assertTrue(c.line().startsWith("+ "));
            c.send("DONE {100000+}\r\n");
            c.sendBytes(100000);
            c.send("\r\n");
            r = c.until("i");
            assertTrue(r.startsWith("i BAD "), r);
            c.send("n NOOP\r\n");
            r = c.until("n");
            assertTrue(r.startsWith("n OK"), r);
        } catch (IOException e) {
            fail("the session ended: " + e);
        }
    }
}
