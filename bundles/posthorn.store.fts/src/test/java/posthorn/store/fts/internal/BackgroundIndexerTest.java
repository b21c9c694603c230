package posthorn.store.fts.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongPredicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.FlagMode;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;
import posthorn.store.api.Watch;
import posthorn.store.api.search.TextTerm;
import posthorn.store.api.search.TextTerm.Where;
import posthorn.store.maildir.internal.MaildirStore;

/**
 * The background indexer against the real Maildir store: its arrival notices (own appends and
 * expunges, outside deliveries its watch finds, a first open), the queue's bounds, and a stop in the
 * middle of indexing.
 */
class BackgroundIndexerTest {
    @TempDir
    Path dir;
    MaildirStore store;
    StoreUser demo;
    LuceneTextIndex index;

    @BeforeEach
    void setUp() throws IOException {
        store = MaildirStore.standalone(1, true);
        demo = new StoreUser("demo", null, dir.resolve("Maildir"), null);
    }

    @AfterEach
    void tearDown() {
        if (index != null) {
            index.deactivate();
        }
        store.close();
    }

    LuceneTextIndex index() {
        return new LuceneTextIndex(dir.resolve("fts"), MessageTextTest.LIMITS, 10, store, 1, 100);
    }

    static String message(int i, String body) {
        return "From: a" + i + "@example.org\r\nSubject: m" + i + "\r\n\r\n" + body + "\r\n";
    }

    static void append(Mailbox box, String text) throws Exception {
        box.append(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), Set.of(), Instant.now());
    }

    /** Waits for a condition the background brings about; fails after a generous deadline. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 60 s: " + what);
            Thread.sleep(20);
        }
    }

    long size(String key) {
        return index.sizes().get(key);
    }

    /** Which UIDs of the handle's view the index lets through for BODY {@code word}. */
    List<Long> search(Mailbox box, String word) {
        LongPredicate p = index.candidates("demo", box, List.of(new TextTerm(Where.BODY, word)));
        assertNotNull(p);
        List<Long> out = new ArrayList<>();
        for (MessageMeta m : box.messages()) {
            if (p.test(m.uid())) {
                out.add(m.uid());
            }
        }
        return out;
    }

    @Test
    void appendedMailIsIndexedWithoutASearchAndExpungesAreRemoved() throws Exception {
        index = index();
        try (UserMail mail = store.open(demo); Mailbox box = mail.open("INBOX", false)) {
            box.sync();
            for (int i = 0; i < 5; i++) {
                append(box, message(i, i % 2 == 0 ? "zebracrossing " + i : "plain " + i));
            }
            await("5 messages indexed in the background", () -> size("background_indexed") >= 5);
            box.sync();
            assertEquals(List.of(1L, 3L, 5L), search(box, "zebracrossing"));
            assertEquals(0, size("search_indexed"), "the search indexed nothing itself");
            assertEquals(0, size("search_unindexed"), "nor did it leave any message to be read");
            assertEquals(5, index.documents("demo"));

            box.store(List.of(1L, 2L), FlagMode.ADD, Set.of("\\Deleted"));
            box.expunge(List.of(1L, 2L));
            await("the expunged messages' documents removed", () -> documents() == 3);
            box.sync();
            assertEquals(List.of(3L, 5L), search(box, "zebracrossing"));
            assertEquals(0, size("search_indexed"));
            assertEquals(0, size("search_unindexed"));
        }
    }

    int documents() {
        try {
            return index.documents("demo");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anOutsideDeliveryTheWatchFindsIsIndexed() throws Exception {
        index = index();
        try (UserMail mail = store.open(demo); Mailbox box = mail.open("INBOX", false);
                Watch w = box.watch(() -> { })) {
            box.sync();
            // Another program delivers (tmp/, then a rename into new/), as an MDA does.
            Path tmp = dir.resolve("Maildir/tmp/1796000001.M1P1.outside");
            Files.writeString(tmp, message(1, "outsidewordling here").replace("\r\n", "\n"));
            Files.move(tmp, dir.resolve("Maildir/new/1796000001.M1P1.outside"));
            await("the outside delivery indexed", () -> size("background_indexed") >= 1);
            box.sync();
            assertEquals(List.of(1L), search(box, "outsidewordling"));
            assertEquals(0, size("search_indexed"));
            assertEquals(0, size("search_unindexed"));
        }
    }

    @Test
    void aFirstOpenOfAMailboxNeverIndexedQueuesIt() throws Exception {
        // Mail delivered while no server ran: the index learns of it at the first open, not the first search.
        Files.createDirectories(dir.resolve("Maildir/new"));
        Files.createDirectories(dir.resolve("Maildir/cur"));
        Files.createDirectories(dir.resolve("Maildir/tmp"));
        for (int i = 0; i < 20; i++) {
            Files.writeString(dir.resolve("Maildir/new/17960000" + (10 + i) + ".M" + i + "P1.old"),
                    message(i, i == 7 ? "longagoword" : "x").replace("\r\n", "\n"));
        }
        index = index();
        try (UserMail mail = store.open(demo); Mailbox box = mail.open("INBOX", false)) {
            box.sync();
            await("20 old messages indexed", () -> size("background_indexed") >= 20);
            assertEquals(1, search(box, "longagoword").size());
            assertEquals(0, size("search_indexed"));
            assertEquals(0, size("search_unindexed"));
        }
    }

    @Test
    void aSearchFarBehindReadsTheMessagesAndTheBackgroundWaitsUntilItHas() throws Exception {
        int total = 300;
        for (String d : List.of("new", "cur", "tmp")) {
            Files.createDirectories(dir.resolve("Maildir").resolve(d));
        }
        for (int i = 0; i < total; i++) {
            Files.writeString(dir.resolve("Maildir/new/" + (1796000000L + i) + ".M" + i + "P1.old"),
                    message(i, i % 30 == 0 ? "needleword " + i : "hay " + i).replace("\r\n", "\n"));
        }
        try (UserMail mail = store.open(demo); Mailbox box = mail.open("INBOX", false)) {
            box.sync(); // opened before the index is there: no notice, the index knows nothing of it
            index = new LuceneTextIndex(dir.resolve("fts"), MessageTextTest.LIMITS, 3600, store, 1, 100, 50);
            LongPredicate p = index.candidates("demo", box, List.of(new TextTerm(Where.BODY, "needleword")));
            assertNotNull(p);
            assertTrue(p instanceof AutoCloseable, "candidates left to read are to be closed when read");
            assertEquals(0, size("search_indexed"), "300 missing > index.inline.max 50: the search indexed none");
            assertEquals(total, size("search_unindexed"));
            for (MessageMeta m : box.messages()) {
                assertTrue(p.test(m.uid()), "an unindexed message is a candidate: " + m.uid());
            }
            // An arrival queues the mailbox; the worker takes it, and holds back while the search reads.
            append(box, message(total, "needleword arrived"));
            await("the worker took the job", () -> size("indexing") == 1);
            Thread.sleep(300);
            assertEquals(0, size("background_indexed"), "the background indexed while the search read");
            assertEquals(0, documents());
            ((AutoCloseable) p).close();
            ((AutoCloseable) p).close(); // twice is harmless
            await("all indexed once the search has read them", () -> size("background_indexed") >= total + 1);
            box.sync();
            List<Long> expected = new ArrayList<>();
            for (long uid = 1; uid <= total; uid += 30) {
                expected.add(uid);
            }
            expected.add((long) total + 1);
            assertEquals(expected, search(box, "needleword"));
            assertEquals(total, size("search_unindexed"), "the second search found everything indexed");
            assertEquals(total + 1, documents(), "each message indexed once");
        }
    }

    @Test
    void theQueueIsBoundedAndCoalescesPerUser() throws Exception {
        Counters counters = new Counters();
        List<String> done = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch release = new CountDownLatch(1);
        BackgroundIndexer b = new BackgroundIndexer(1, 2, counters, (user, mailbox, go) -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            done.add(user.name() + "/" + mailbox);
        });
        // Not started: every notice waits in the queue.
        for (String u : List.of("u1", "u2", "u3", "u4")) {
            b.changed(new StoreUser(u, null, null, null), "INBOX");
        }
        b.changed(new StoreUser("u1", null, null, null), "Sent");
        b.changed(new StoreUser("u1", null, null, null), "INBOX");
        assertEquals(2, b.queued(), "two users at most");
        assertEquals(2, counters.dropped.sum(), "u3 and u4 were dropped; u1's second and third notices coalesced");
        b.start();
        release.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (done.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(List.of("u1/INBOX", "u1/Sent", "u2/INBOX"), done);
        b.stop(2000);
    }

    @Test
    void aStopMidIndexingIsQuickAndTheNextStartContinuesConsistently() throws Exception {
        int total = 3000;
        // Delivered while the server was down: files in new/, in UID order of their names.
        for (String d : List.of("new", "cur", "tmp")) {
            Files.createDirectories(dir.resolve("Maildir").resolve(d));
        }
        for (int i = 0; i < total; i++) {
            Files.writeString(dir.resolve("Maildir/new/" + (1796000000L + i) + ".M" + i + "P1.old"),
                    message(i, i % 100 == 0 ? "needleword " + i : "hay " + i).replace("\r\n", "\n"));
        }
        index = index();
        try (UserMail mail = store.open(demo); Mailbox box = mail.open("INBOX", true)) {
            box.sync(); // the first open in this store announces the mailbox
            await("indexing under way", () -> size("background_indexed") > 0);
        }
        long t0 = System.nanoTime();
        index.deactivate();
        long stopMillis = (System.nanoTime() - t0) / 1_000_000;
        index = null;
        assertTrue(stopMillis < 2500, "stopping took " + stopMillis + " ms");

        // Restarted without background indexing: the search continues from the last commit and answers exactly.
        LuceneTextIndex again = new LuceneTextIndex(dir.resolve("fts"), MessageTextTest.LIMITS, 3600);
        try (UserMail mail = store.open(demo); Mailbox box = mail.open("INBOX", true)) {
            box.sync();
            int before = again.documents("demo");
            assertTrue(before <= total, before + " documents");
            index = again;
            List<Long> hits = search(box, "needleword");
            List<Long> expected = new ArrayList<>();
            for (long uid = 1; uid <= total; uid += 100) {
                expected.add(uid);
            }
            assertEquals(expected, hits);
            assertEquals(total, again.documents("demo"), "no message indexed twice or lost");
            assertEquals(total - before, size("search_indexed"), "the search added exactly what was missing");
        }
    }

    @Test
    void answersAreTheSameWithTheBackgroundIndexAndWithout() throws Exception {
        index = index();
        List<String> words = List.of("alpha", "bravo", "charlie", "delta", "echo");
        try (UserMail mail = store.open(demo); Mailbox box = mail.open("INBOX", false)) {
            box.sync();
            for (int i = 0; i < 60; i++) {
                append(box, message(i, words.get(i % 5) + " " + words.get((i * 7) % 5) + " n" + i));
            }
            await("60 indexed", () -> size("background_indexed") >= 60);
            box.sync();
            for (String w : words) {
                List<Long> expected = new ArrayList<>();
                for (MessageMeta m : box.messages()) {
                    String text = new String(box.openMessage(m.uid()).readAllBytes(), StandardCharsets.UTF_8);
                    if (text.substring(text.indexOf("\r\n\r\n")).contains(w)) {
                        expected.add(m.uid());
                    }
                }
                assertEquals(expected, search(box, w), w);
            }
            Map<String, Long> s = index.sizes();
            assertEquals(0, s.get("search_unindexed"));
        }
    }
}
