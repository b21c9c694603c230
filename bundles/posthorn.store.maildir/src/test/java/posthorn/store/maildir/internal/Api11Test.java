package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.Change;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MailboxStatus;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;
import posthorn.store.api.Watch;

/** store.api 1.1: MOVE, STATUS, watching, the derived-value cache. */
class Api11Test {
    @TempDir
    Path home;
    Path maildir;
    StoreUser user;

    @BeforeEach
    void maildir() throws Exception {
        maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        user = new StoreUser("alice", home, null, null);
    }

    static long append(Mailbox box, String text, Set<String> flags) throws Exception {
        return box.append(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), flags,
                Instant.parse("2024-01-02T03:04:05Z"));
    }

    @Test
    void moveRenamesIntoTheTargetAndTheSourceReportsExpunges() throws Exception {
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        try (UserMail mail = store.open(user)) {
            mail.create("Archive");
            try (Mailbox inbox = mail.open("INBOX", false); Mailbox other = mail.open("INBOX", false)) {
                long a = append(inbox, "Subject: a\r\n\r\na\r\n", Set.of(Flags.SEEN, "Work"));
                long b = append(inbox, "Subject: b\r\n\r\nb\r\n", Set.of());
                inbox.sync();
                other.sync();
                inbox.cache(a, "imap.envelope", new byte[] {1, 2, 3});
                Map<Long, Long> moved = inbox.move(List.of(a, b, 99L), "Archive");
                assertEquals(Map.of(a, 1L, b, 2L), moved);
                assertEquals(List.of(new Change.Expunged(a), new Change.Expunged(b)), inbox.sync());
                assertEquals(List.of(new Change.Expunged(a), new Change.Expunged(b)), other.sync());
                try (Mailbox archive = mail.open("Archive", true)) {
                    List<MessageMeta> msgs = MaildirStoreTest.added(archive.sync());
                    assertEquals(2, msgs.size());
                    assertEquals(Set.of(Flags.SEEN, "Work"), msgs.get(0).flags());
                    assertEquals("Subject: b\r\n\r\nb\r\n", MaildirStoreTest.text(archive, 2));
                    // MOVE leaves the message waiting to be claimed as \Recent in the target, as COPY
                    // does (STATUS counts it); EXAMINE shows that without taking it
                    assertTrue(msgs.get(0).recent(), "recent in the target, as STATUS counts it");
                    assertEquals(2, mail.status("Archive").recent());
                    assertArrayEquals(new byte[] {1, 2, 3}, archive.cached(1, "imap.envelope"));
                }
                try (var files = Files.list(maildir.resolve("cur"))) {
                    assertEquals(0, files.count());
                }
                try (var files = Files.list(maildir.resolve(".Archive/cur"))) {
                    assertEquals(2, files.count());
                }
                assertThrows(StoreException.class, () -> inbox.move(List.of(1L), "Nope"));
                StoreException e = assertThrows(StoreException.class, () -> inbox.move(List.of(1L), "Nope"));
                assertEquals(Reason.TRYCREATE, e.reason());
            }
        }
    }

    /** store.api 1.7: one field of many messages at once, as {@link Mailbox#cached} gives each. */
    @Test
    void cachedValuesGiveWhatCachedGivesForEachUid() throws Exception {
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        try (UserMail mail = store.open(user); Mailbox inbox = mail.open("INBOX", false)) {
            long a = append(inbox, "Subject: a\r\n\r\na\r\n", Set.of());
            long b = append(inbox, "Subject: b\r\n\r\nb\r\n", Set.of());
            long c = append(inbox, "Subject: c\r\n\r\nc\r\n", Set.of(Flags.DELETED));
            inbox.sync();
            byte[] given = {7, 8};
            inbox.cache(a, "imap.sortkeys", given);
            inbox.cache(c, "imap.sortkeys", new byte[] {9});
            inbox.cache(b, "imap.envelope", new byte[] {5});
            given[0] = 0; // the store kept a copy of what it was given
            long[] uids = {c, 99, b, a, 42};
            byte[][] out = new byte[5][];
            inbox.cachedValues(uids, 4, "imap.sortkeys", out);
            assertArrayEquals(new byte[] {9}, out[0]);
            assertNull(out[1], "a UID not in the mailbox");
            assertNull(out[2], "another field's value is not this one's");
            assertArrayEquals(new byte[] {7, 8}, out[3]);
            assertNull(out[4], "only count UIDs are looked up");
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(inbox.cached(uids[i], "imap.sortkeys"), out[i]);
            }
            // a later cache replaces the value; what was handed out stays as it was
            byte[] before = out[3];
            inbox.cache(a, "imap.sortkeys", new byte[] {1});
            assertArrayEquals(new byte[] {7, 8}, before);
            inbox.cachedValues(new long[] {a}, 1, "imap.sortkeys", out);
            assertArrayEquals(new byte[] {1}, out[0]);
            inbox.expunge(List.of(c));
            inbox.sync();
            inbox.cachedValues(new long[] {c}, 1, "imap.sortkeys", out);
            assertNull(out[0], "an expunged message has no value");
        }
    }

    @Test
    void statusCountsWithoutTakingRecent() throws Exception {
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        MaildirStoreTest.deliver(maildir, "1700000001.M1P1.host", "a\n");
        MaildirStoreTest.deliver(maildir, "1700000002.M1P1.host", "bb\n");
        Files.writeString(maildir.resolve("cur/1700000000.M1P1.host:2,S"), "seen\n");
        try (UserMail mail = store.open(user)) {
            MailboxStatus st = mail.status("inbox");
            assertEquals(3, st.messages());
            assertEquals(2, st.recent());
            assertEquals(2, st.unseen());
            assertEquals(4, st.uidNext());
            assertEquals(3 + 4 + 6, st.size());
            try (Mailbox box = mail.open("INBOX", false)) {
                List<MessageMeta> msgs = MaildirStoreTest.added(box.sync());
                assertEquals(2, msgs.stream().filter(MessageMeta::recent).count(), "STATUS took no \\Recent");
                assertEquals(st.uidValidity(), box.uidValidity());
            }
            assertEquals(0, mail.status("INBOX").recent());
            assertEquals(Reason.NONEXISTENT, assertThrows(StoreException.class, () -> mail.status("x")).reason());
        }
    }

    @Test
    void watchReportsDeliveriesAndOtherHandlesChanges() throws Exception {
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        store.setPollInterval(0); // the kernel alone must do it
        try (UserMail mail = store.open(user); Mailbox a = mail.open("INBOX", false);
                Mailbox b = mail.open("INBOX", false)) {
            a.sync();
            b.sync();
            Semaphore notices = new Semaphore(0);
            Watch w = a.watch(notices::release);
            int perFolder = store.watcher().kernelWatches();
            assertTrue(perFolder >= 2, "new/ and cur/ watched");
            Watch w2 = b.watch(() -> { });
            assertEquals(perFolder, store.watcher().kernelWatches(), "one watch per directory, not per handle");
            MaildirStoreTest.deliver(maildir, "1700000001.M1P1.host", "a\n");
            assertTrue(notices.tryAcquire(1, TimeUnit.SECONDS), "delivery noticed within 1 s");
            assertEquals(1, MaildirStoreTest.added(a.sync()).size());
            notices.drainPermits();
            append(b, "x\r\n", Set.of());
            assertTrue(notices.tryAcquire(1, TimeUnit.SECONDS), "another handle's append noticed");
            w.close();
            w2.close();
            assertEquals(0, store.watcher().kernelWatches());
        }
    }

    @Test
    void pollingNoticesWhenTheKernelIsNotAsked() throws Exception {
        // The poll rounds run when the test turns the ticker, not on a timer: no waiting for time to pass.
        HandTicker ticker = new HandTicker();
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE, ticker);
        store.setPollInterval(1);
        assertEquals(List.of(Duration.ofSeconds(1)), ticker.intervals(), "a poll round every second");
        try (UserMail mail = store.open(user); Mailbox a = mail.open("INBOX", false)) {
            a.sync();
            Semaphore notices = new Semaphore(0);
            a.watch(notices::release);
            // Simulate a file system without notifications: stop the kernel watches, keep polling.
            MaildirFolder f = ((MaildirUserMail) mail).heldFolder(maildir);
            store.watcher().dropKernelWatches(f);
            notices.drainPermits();
            ticker.tick();
            assertEquals(0, notices.availablePermits(), "a round over an unchanged folder tells nobody");
            MaildirStoreTest.deliver(maildir, "1700000001.M1P1.host", "a\n");
            assertEquals(0, notices.availablePermits(), "without kernel watches only a poll round notices");
            ticker.tick();
            assertEquals(1, notices.availablePermits(), "the poll round noticed the delivery");
            ticker.tick();
            assertEquals(1, notices.availablePermits(), "and told it once");
            store.setPollInterval(0);
            assertEquals(List.of(), ticker.intervals(), "interval 0 turns polling off");
        }
        store.deactivate();
        assertTrue(ticker.isShutDown(), "the store stops its ticker");
    }

    @Test
    void cacheIsSharedAndDroppedWithTheMessage() throws Exception {
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        try (UserMail mail = store.open(user); Mailbox a = mail.open("INBOX", false);
                Mailbox b = mail.open("INBOX", false)) {
            long uid = append(a, "x\r\n", Set.of());
            a.sync();
            b.sync();
            assertNull(a.cached(uid, "f"));
            a.cache(uid, "f", "v".getBytes(StandardCharsets.UTF_8));
            assertArrayEquals("v".getBytes(StandardCharsets.UTF_8), b.cached(uid, "f"));
            a.cache(999, "f", new byte[] {1});
            assertNull(a.cached(999, "f"));
            a.store(List.of(uid), FlagMode.ADD, Set.of(Flags.DELETED));
            a.expunge(List.of(uid));
            assertNull(b.cached(uid, "f"));
        }
    }
}
