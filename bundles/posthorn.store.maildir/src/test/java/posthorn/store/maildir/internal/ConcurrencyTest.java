package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.Change;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * Handles syncing from several threads while an MDA delivers and a session appends: no UID is ever
 * given to two messages, no message gets two UIDs, and each delivered message is \Recent for exactly
 * one handle. Two store instances stand in for two server processes sharing the Maildir.
 */
class ConcurrencyTest {
    private static final int DELIVERIES = 300;
    private static final int APPENDS = 40;

    @TempDir
    Path home;

    @Test
    void concurrentSyncsNeverDuplicateOrReuseAUid() throws Exception {
        Path maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        StoreUser user = new StoreUser("alice", home, null, null);
        MaildirStore processA = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        MaildirStore processB = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        UserMail mailA1 = processA.open(user);
        UserMail mailA2 = processA.open(user);
        UserMail mailB = processB.open(user);
        List<Mailbox> handles = List.of(mailA1.open("INBOX", false), mailA2.open("INBOX", false),
                mailB.open("INBOX", false));
        Mailbox appender = processB.open(user).open("INBOX", false);

        AtomicBoolean done = new AtomicBoolean();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            Future<?> mda = pool.submit(() -> {
                start.await();
                for (int i = 0; i < DELIVERIES; i++) {
                    // times out of order, as several MDAs would deliver
                    String base = (1700000000L + (i * 7919L) % 1000) + ".M" + i + "P42.mda";
                    MaildirStoreTest.deliver(maildir, base, "delivered " + i + "\n");
                    if (i % 10 == 0) {
                        Thread.sleep(1);
                    }
                }
                return null;
            });
            Set<Long> appended = ConcurrentHashMap.newKeySet();
            Future<?> app = pool.submit(() -> {
                start.await();
                for (int i = 0; i < APPENDS; i++) {
                    long uid = appender.append(new ByteArrayInputStream(("appended " + i + "\n").getBytes()), Set.of(), null);
                    assertTrue(appended.add(uid), "append returned a UID twice: " + uid);
                }
                return null;
            });
            List<Future<Map<Long, MessageMeta>>> syncers = new ArrayList<>();
            for (Mailbox box : handles) {
                syncers.add(pool.submit(() -> {
                    start.await();
                    Map<Long, MessageMeta> seen = new TreeMap<>();
                    long highest = 0;
                    boolean last = false;
                    while (!last) {
                        last = done.get();
                        for (Change c : box.sync()) {
                            if (c instanceof Change.Added a) {
                                long uid = a.message().uid();
                                assertTrue(uid > highest, "Added out of order or reused: " + uid + " after " + highest);
                                highest = uid;
                                seen.put(uid, a.message());
                            } else {
                                throw new AssertionError("unexpected change " + c);
                            }
                        }
                    }
                    return seen;
                }));
            }
            start.countDown();
            mda.get(60, TimeUnit.SECONDS);
            app.get(60, TimeUnit.SECONDS);
            done.set(true);

            List<Map<Long, MessageMeta>> views = new ArrayList<>();
            for (Future<Map<Long, MessageMeta>> f : syncers) {
                views.add(f.get(60, TimeUnit.SECONDS));
            }
            Map<Long, String> texts = new HashMap<>();
            for (int h = 0; h < handles.size(); h++) {
                Map<Long, MessageMeta> view = views.get(h);
                assertEquals(DELIVERIES + APPENDS, view.size(), "handle " + h + " sees every message once");
                for (long uid : view.keySet()) {
                    String text;
                    try (InputStream in = handles.get(h).openMessage(uid)) {
                        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    }
                    String before = texts.putIfAbsent(uid, text);
                    assertTrue(before == null || before.equals(text), "UID " + uid + " means one message everywhere");
                }
            }
            assertEquals(DELIVERIES + APPENDS, new HashSet<>(texts.values()).size(), "no message has two UIDs");
            assertTrue(views.get(0).keySet().containsAll(appended));
            for (long uid : appended) {
                assertTrue(texts.get(uid).startsWith("appended "), "append's UID names the appended message");
            }
            int recent = 0;
            for (Map<Long, MessageMeta> view : views) {
                for (MessageMeta m : view.values()) {
                    if (m.recent()) {
                        recent++;
                    }
                }
            }
            assertEquals(DELIVERIES + APPENDS, recent,
                    "each delivery and each appended message is \\Recent for exactly one handle (RFC 3501 2.3.2)");

            List<String> db = Files.readAllLines(maildir.resolve(UidDb.FILE));
            Set<String> uids = new HashSet<>();
            Set<String> bases = new HashSet<>();
            for (String line : db.subList(1, db.size())) {
                String[] f = line.split(" ", 2);
                assertTrue(uids.add(f[0]) && bases.add(f[1]), "duplicate in uid db: " + line);
            }
            assertEquals(DELIVERIES + APPENDS, uids.size());
            List<Long> sorted = new ArrayList<>(texts.keySet());
            Collections.sort(sorted);
            assertEquals(1L, sorted.get(0));
            assertEquals((long) DELIVERIES + APPENDS, sorted.get(sorted.size() - 1), "UIDs are dense: none skipped");
        } finally {
            pool.shutdownNow();
            mailA1.close();
            mailA2.close();
            mailB.close();
        }
        assertEquals(0, processA.liveFolders());
    }

    private static final int APPENDS_SEEN = Integer.getInteger("posthorn.test.appends", 300);

    private static void assertSeen(Mailbox box, long uid, int i) {
        List<Long> uids = box.messages().stream().map(MessageMeta::uid).toList();
        assertTrue(uids.contains(uid), "append " + i + ": UID " + uid + " not in a later sync of " + uids.size()
                + " messages, last " + (uids.isEmpty() ? "none" : uids.get(uids.size() - 1)));
        assertEquals(i + 1, uids.size(), "append " + i);
    }

    /**
     * What a session relies on after its own APPEND: every sync that starts after the append returned
     * shows the new UID, while other handles of this process (a background indexer, other sessions,
     * read-only and read-write) sync the same folder all the time, by the memory path or by a scan.
     */
    @Test
    void anAppendIsInEverySyncStartedAfterIt() throws Exception {
        Path maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        StoreUser user = new StoreUser("alice", home, null, null);
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        UserMail mail = store.open(user);
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> others = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                boolean readOnly = t != 2;
                boolean fresh = t == 0;
                others.add(pool.submit(() -> {
                    Mailbox kept = mail.open("INBOX", readOnly);
                    while (!done.get()) {
                        if (fresh) {
                            try (Mailbox box = mail.open("INBOX", true)) {
                                box.sync();
                            }
                        } else {
                            kept.sync();
                        }
                    }
                    kept.close();
                    return null;
                }));
            }
            try (Mailbox writer = mail.open("INBOX", false); Mailbox mine = mail.open("INBOX", true)) {
                for (int i = 0; i < APPENDS_SEEN; i++) {
                    long uid = writer.append(new ByteArrayInputStream(("Subject: " + i + "\r\n\r\nx\r\n")
                            .getBytes(StandardCharsets.UTF_8)), Set.of(), null);
                    // a handle kept open (the session's next EXAMINE of a folder in memory) and a new one
                    mine.sync();
                    assertSeen(mine, uid, i);
                    try (Mailbox box = mail.open("INBOX", true)) {
                        box.sync();
                        assertSeen(box, uid, i);
                    }
                }
            } finally {
                done.set(true);
            }
            for (Future<?> f : others) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            mail.close();
            store.deactivate();
        }
    }

    /**
     * A RENAME while another thread of this process holds the folder's dot lock (the background
     * indexer syncing it): the lock file must not move along with the directory, where no one would
     * remove it and every later open of the new name would wait for lock.stale (CI: a SELECT right
     * after RENAME timed out, .Ids2/tmp/courier.lock left behind).
     */
    @Test
    void aRenameNeverCarriesAHeldDotLockAlong() throws Exception {
        Path maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        StoreUser user = new StoreUser("alice", home, null, null);
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        try (UserMail mail = store.open(user)) {
            mail.create("Old");
            mail.create("Old.Child");
            Path old = maildir.resolve(".Old");
            Path child = maildir.resolve(".Old.Child");
            CountDownLatch holding = new CountDownLatch(2);
            CountDownLatch release = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(3); // two holders and the rename
            try {
                List<Future<?>> holders = new ArrayList<>();
                for (Path dir : List.of(old, child)) {
                    holders.add(pool.submit(() -> {
                        try (FolderLock.Held held = FolderLock.withFile(dir)) {
                            holding.countDown();
                            release.await(30, TimeUnit.SECONDS);
                        }
                        return null;
                    }));
                }
                assertTrue(holding.await(30, TimeUnit.SECONDS));
                Future<?> rename = pool.submit(() -> {
                    mail.rename("Old", "New");
                    return null;
                });
                Thread.sleep(200); // the rename waits for the holders (or, wrongly, moves their locks)
                release.countDown();
                for (Future<?> f : holders) {
                    f.get(30, TimeUnit.SECONDS);
                }
                rename.get(30, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
            assertFalse(Files.exists(maildir.resolve(".New/tmp").resolve(FolderLock.LOCK_FILE)), "the lock moved along");
            assertFalse(Files.exists(maildir.resolve(".New.Child/tmp").resolve(FolderLock.LOCK_FILE)),
                    "the inferior's lock moved along");
            try (Mailbox box = mail.open("New", false)) {
                assertEquals(0, box.sync().size());
            }
        } finally {
            store.deactivate();
        }
    }
}
