package posthorn.imap.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.MailStore;
import posthorn.store.api.Mailbox;

/**
 * SORT and THREAD read the sort keys from the store's index (field {@code imap.sortkeys}): the first
 * SORT opens each message once (and leaves ENVELOPE cached from the same read), every later SORT,
 * THREAD and FETCH ENVELOPE opens none; a damaged record is derived again from its message, and the
 * answer stays the same. Counted through {@link CountingStore} over the in-memory store.
 */
class SortFromIndexTest {
    private static final int MESSAGES = 40;
    private static final DateTimeFormatter RFC5322 = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    @Test
    void aSecondSortOpensNoMessageFile(@TempDir Path root) throws Exception {
        try (TestServer t = new TestServer(root, Map.of())) {
            AtomicReference<MailStore> wrapped = new AtomicReference<>();
            CountingStore counting = CountingStore.over(t.store, wrapped);
            t.server.store = wrapped.get();
            t.user("u", "pw");
            // Distinct dates in an order unlike the UIDs, so that SORT (DATE) has one right answer.
            Random r = new Random(5256);
            List<long[]> byDate = new ArrayList<>(); // {uid, epoch second}
            for (int i = 1; i <= MESSAGES; i++) {
                long when = 1_600_000_000L + r.nextInt(1_000_000) * 60L + i;
                byDate.add(new long[] {i, when});
                String date = ZonedDateTime.ofInstant(java.time.Instant.ofEpochSecond(when), ZoneOffset.ofHours(2))
                        .format(RFC5322);
                String refs = i > 1 ? "References: <m" + (i / 2) + "@x>\n" : "";
                t.deliver("u", "Date: " + date + "\nFrom: Sender " + (char) ('a' + r.nextInt(26)) + " <s" + i
                        + "@x.org>\nTo: t@x.org\nSubject: " + (i % 3 == 0 ? "Re: " : "") + "topic " + (i % 7)
                        + "\nMessage-ID: <m" + i + "@x>\n" + refs + "\nbody " + i + "\n");
            }
            byDate.sort(Comparator.comparingLong(a -> a[1]));
            StringBuilder expected = new StringBuilder("* SORT");
            for (long[] m : byDate) {
                expected.append(' ').append(m[0]);
            }
            try (Client c = new Client(t.port())) {
                c.ok("a LOGIN u pw");
                c.ok("b SELECT INBOX");
                int before = counting.opens.get();
                assertEquals(expected.toString(), c.untagged("c UID SORT (DATE) UTF-8 ALL", "* SORT"));
                assertEquals(MESSAGES, counting.opens.get() - before, "the first SORT reads each header once");

                before = counting.opens.get();
                assertEquals(expected.toString(), c.untagged("d UID SORT (DATE) UTF-8 ALL", "* SORT"));
                String bySubject = c.untagged("e SORT (REVERSE SUBJECT FROM) UTF-8 ALL", "* SORT");
                String threads = c.untagged("f UID THREAD REFERENCES UTF-8 ALL", "* THREAD");
                c.untagged("g THREAD ORDEREDSUBJECT UTF-8 ALL", "* THREAD");
                c.ok("h FETCH 1:* (ENVELOPE)");
                assertEquals(0, counting.opens.get() - before,
                        "SORT, THREAD and FETCH ENVELOPE after the first SORT open no message file");

                // Damaged records (truncated, garbage, another version) are derived again; same answers.
                Mailbox box = counting.lastMailbox.get();
                assertNotNull(box);
                byte[] good = box.cached(3, "imap.sortkeys");
                assertNotNull(good);
                box.cache(3, "imap.sortkeys", java.util.Arrays.copyOf(good, good.length - 1));
                box.cache(5, "imap.sortkeys", new byte[] {1, 0, 0});
                box.cache(8, "imap.sortkeys", new byte[0]);
                byte[] otherVersion = good.clone();
                otherVersion[0] = 2;
                box.cache(13, "imap.sortkeys", otherVersion);
                before = counting.opens.get();
                assertEquals(expected.toString(), c.untagged("i UID SORT (DATE) UTF-8 ALL", "* SORT"));
                assertEquals(bySubject, c.untagged("j SORT (REVERSE SUBJECT FROM) UTF-8 ALL", "* SORT"));
                assertEquals(threads, c.untagged("k UID THREAD REFERENCES UTF-8 ALL", "* THREAD"));
                assertEquals(4, counting.opens.get() - before, "only the four damaged records are read again");
            }
        }
    }

    /**
     * A FETCH of many messages reads them ahead on other threads (ReadAhead); its answers are exactly
     * those of the same messages fetched one at a time (no read-ahead), cold and warm, for ENVELOPE,
     * BODY and BODYSTRUCTURE, on well-formed and broken messages.
     */
    @Test
    void readAheadAnswersAsOneAtATime(@TempDir Path root) throws Exception {
        try (TestServer t = new TestServer(root, Map.of())) {
            t.user("a", "pw").user("b", "pw");
            Random r = new Random(3501);
            for (int i = 1; i <= 60; i++) {
                String msg = switch (i % 4) {
                    case 0 -> "From: \"A " + i + "\" <a" + i + "@x.org>\nTo: g: b@y, c@z;\nSubject: =?UTF-8?Q?caf=C3=A9?= "
                            + i + "\nMessage-ID: <" + i + "@x>\n\nplain " + i + "\n";
                    case 1 -> "From: a@x\nSubject: mixed " + i + "\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b" + i
                            + "\n\n--b" + i + "\nContent-Type: text/plain; charset=utf-8\n\nhello\n--b" + i
                            + "\nContent-Type: message/rfc822\n\nFrom: inner@x\nSubject: inner\n\ninner body\n--b" + i + "--\n";
                    case 2 -> "Subject: no from " + i + "\nCc: (comment) <c@d>\n\n" + "x".repeat(r.nextInt(20_000)) + "\n";
                    default -> "From: broken <<<@\nTo:\nDate: garbage\nContent-Type: multipart/alternative\n\nno boundary\n";
                };
                t.deliver("a", msg);
                t.deliver("b", msg);
            }
            String items = "(UID ENVELOPE BODY BODYSTRUCTURE RFC822.SIZE)";
            try (Client a = new Client(t.port()); Client b = new Client(t.port())) {
                a.ok("1 LOGIN a pw");
                a.ok("2 SELECT INBOX");
                b.ok("1 LOGIN b pw");
                b.ok("2 SELECT INBOX");
                List<String> ahead = a.command("3 FETCH 1:* " + items);
                List<String> one = new ArrayList<>();
                for (int i = 1; i <= 60; i++) {
                    List<String> got = b.command("3 FETCH " + i + " " + items);
                    one.addAll(got.subList(0, got.size() - 1));
                }
                assertEquals(one, ahead.subList(0, ahead.size() - 1));
                assertEquals(ahead, a.command("3 FETCH 1:* " + items), "warm as cold");
                // ENVELOPE alone (header read-ahead) on a fresh user, against the cached values
                t.user("c", "pw");
                for (int i = 1; i <= 60; i++) {
                    t.deliver("c", ("Subject: s" + i + "\nFrom: f" + i + "@x\n\nbody\n"));
                }
            }
            try (Client c = new Client(t.port())) {
                c.ok("1 LOGIN c pw");
                c.ok("2 SELECT INBOX");
                List<String> cold = c.command("3 FETCH 1:* (ENVELOPE)");
                assertEquals(61, cold.size());
                for (int i = 1; i <= 60; i++) {
                    assertEquals("* " + i + " FETCH (ENVELOPE (NIL \"s" + i + "\" ((NIL NIL \"f" + i + "\" \"x\")) ((NIL NIL \"f" + i
                            + "\" \"x\")) ((NIL NIL \"f" + i + "\" \"x\")) NIL NIL NIL NIL NIL))", cold.get(i - 1));
                }
                assertEquals(cold, c.command("3 FETCH 1:* (ENVELOPE)"));
            }
        }
    }

    /** A minimal IMAP client: one command at a time, untagged lines collected until the tagged answer. */
    private static final class Client implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        Client(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(30_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
            assertTrue(in.readLine().startsWith("* OK"));
        }

        List<String> command(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String tag = line.substring(0, line.indexOf(' ') + 1);
            List<String> got = new ArrayList<>();
            while (true) {
                String l = in.readLine();
                assertNotNull(l, "connection closed after " + line);
                got.add(l);
                if (l.startsWith(tag)) {
                    assertTrue(l.startsWith(tag + "OK"), line + " -> " + l);
                    return got;
                }
            }
        }

        void ok(String line) throws IOException {
            command(line);
        }

        /** The one untagged line that starts with {@code prefix}. */
        String untagged(String line, String prefix) throws IOException {
            String found = null;
            for (String l : command(line)) {
                if (l.startsWith(prefix + " ") || l.equals(prefix)) {
                    assertEquals(null, found, "two " + prefix + " lines");
                    found = l;
                }
            }
            assertNotNull(found, line + " gave no " + prefix);
            return found;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
