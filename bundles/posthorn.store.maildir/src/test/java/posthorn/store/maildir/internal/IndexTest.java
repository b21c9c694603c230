package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/** posthorn.index: kept across store instances, rebuilt when damaged; tmp/ clean-up on open. */
class IndexTest {
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
        Files.writeString(maildir.resolve("cur/1700000001.M1P1.host,S=4:2,S"), "abc\n");
        Files.writeString(maildir.resolve("cur/1700000002.M1P1.host,S=6:2,"), "x\ny\nz\n");
    }

    @Test
    void derivedValuesAndFactsSurviveANewStore() throws Exception {
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user);
                Mailbox box = mail.open("INBOX", false)) {
            box.sync();
            assertEquals(Map.of(1L, 5L, 2L, 9L), box.sizes(List.of(1L, 2L))); // measured once, kept
            box.cache(1, "imap.envelope", new byte[] {9, 8, 7});
        } // the last release writes the index
        assertTrue(Files.readString(maildir.resolve(FolderIndex.FILE)).startsWith("posthorn-index 1\n"));
        // Prove the sizes come from the index: a changed file would be measured differently.
        Files.writeString(maildir.resolve("cur/1700000002.M1P1.host,S=6:2,"), "changed\n");
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user);
                Mailbox box = mail.open("INBOX", false)) {
            List<MessageMeta> msgs = MaildirStoreTest.added(box.sync());
            assertEquals(9, msgs.get(1).size(), "size from the index, not the file");
            assertArrayEquals(new byte[] {9, 8, 7}, box.cached(1, "imap.envelope"));
        }
    }

    @Test
    void damagedIndexIsRebuilt() throws Exception {
        for (String junk : new String[] {"garbage", "posthorn-index 1\nbase\tnot-a-number\t1\n", "posthorn-index 1\ntrunc"}) {
            Files.writeString(maildir.resolve(FolderIndex.FILE), junk);
            try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user);
                    Mailbox box = mail.open("INBOX", false)) {
                List<MessageMeta> msgs = MaildirStoreTest.added(box.sync());
                assertEquals(2, msgs.size());
                assertEquals(5, box.size(msgs.get(0)));
                assertNull(box.cached(1, "imap.envelope"));
            }
            String rebuilt = Files.readString(maildir.resolve(FolderIndex.FILE));
            assertTrue(rebuilt.startsWith("posthorn-index 1\n") && rebuilt.contains("1700000001.M1P1.host,S=4\t5\t"),
                    rebuilt);
        }
    }

    @Test
    void staleTmpFilesAreRemovedOnOpen() throws Exception {
        Path old = maildir.resolve("tmp/1600000000.M1P1.host");
        Path fresh = maildir.resolve("tmp/1700000000.M1P1.host");
        Files.writeString(old, "abandoned delivery");
        Files.writeString(fresh, "delivery in progress");
        Files.setLastModifiedTime(old, FileTime.from(Instant.now().minusSeconds(37 * 3600)));
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user);
                Mailbox box = mail.open("INBOX", false)) {
            box.sync();
        }
        assertFalse(Files.exists(old));
        assertTrue(Files.exists(fresh));
    }

    /**
     * A long-running server keeps a folder open (or cached) for weeks: an APPEND killed mid-flight
     * leaves a tmp/ file that is young at the first open, and must still go once it is 36 hours old,
     * at a sync, with no restart. Not at every sync: a folder's tmp/ is looked at once per interval.
     */
    @Test
    void staleTmpFilesAreRemovedWhileTheFolderStaysOpen() throws Exception {
        long[] now = {System.currentTimeMillis()};
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE, new HandTicker(), () -> now[0]);
        Path killed = leftover(now[0] - 3600_000L);
        try (UserMail mail = store.open(user); Mailbox box = mail.open("INBOX", false)) {
            box.sync();
            assertTrue(Files.exists(killed), "an hour old: maybe a delivery in progress");

            now[0] += 36 * 3600_000L;
            Path recent = leftover(now[0] - 35 * 3600_000L);
            box.sync();
            assertFalse(Files.exists(killed), "37 hours old");
            assertTrue(Files.exists(recent), "35 hours old");

            now[0] += 3600_000L;
            Path another = leftover(now[0] - 40 * 3600_000L);
            box.sync();
            assertTrue(Files.exists(another), "tmp/ was cleaned an hour ago: not looked at again yet");
            now[0] += DirectoryScan.TMP_CLEAN_INTERVAL_MILLIS;
            try (Mailbox again = mail.open("INBOX", true)) {
                assertFalse(Files.exists(another), "opening the folder cleans when it is due");
            }
        }
    }

    /** A file in tmp/ named and dated as a delivery begun at {@code millis}. */
    private Path leftover(long millis) throws Exception {
        Path p = maildir.resolve("tmp").resolve(millis / 1000 + ".M" + millis % 1000 + "P1.host");
        Files.writeString(p, "Subject: half a message");
        Files.setLastModifiedTime(p, FileTime.fromMillis(millis));
        return p;
    }
}
