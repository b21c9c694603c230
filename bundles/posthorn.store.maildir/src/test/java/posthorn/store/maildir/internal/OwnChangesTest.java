package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static posthorn.store.maildir.internal.MaildirStoreTest.curNames;
import static posthorn.store.maildir.internal.MaildirStoreTest.deliver;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.Change;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * Changes made through this process are applied to the folder's memory, not found by listing the
 * directory again; changes by others (another store instance stands for another process: its own
 * memory, the same files) are still found. The store's clock stands still until the test moves it, so
 * that "the times have settled" happens when the test says, not after a sleep, and a slow machine
 * cannot make memory's trust run out in the middle of a test.
 */
class OwnChangesTest {
    @TempDir
    Path home;
    Path maildir;
    StoreUser user;
    final AtomicLong clock = new AtomicLong(System.currentTimeMillis());

    @BeforeEach
    void maildir() throws IOException {
        maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        user = new StoreUser("alice", home, null, null);
        for (int i = 1; i <= 5; i++) {
            deliver(maildir, "170000000" + i + ".M" + i + "P1.host", "message " + i + "\n");
        }
    }

    MaildirStore store() {
        return MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE, new HandTicker(),
                clock::get);
    }

    static long scans(Mailbox box) {
        return ((MaildirMailbox) box).folder().scans();
    }

    /** Moves the store's clock past the settle time of everything written so far. */
    void settle() {
        long past = DirectoryScan.SETTLE_MILLIS + 1_000;
        clock.set(Math.max(clock.get() + past, System.currentTimeMillis() + past));
    }

    /** Opens INBOX on a store and syncs until the folder's times are settled and trusted. */
    Mailbox settled(UserMail mail) throws Exception {
        Mailbox box = mail.open("INBOX", false);
        box.sync(); // moves new/ to cur/: the folder changed under this scan
        settle();
        box.sync(); // lists once more, under settled times
        long scans = scans(box);
        assertEquals(List.of(), box.sync());
        assertEquals(scans, scans(box), "an unchanged folder is not listed again");
        return box;
    }

    @Test
    void storeAppendCopyMoveAndExpungeThroughThisProcessNeedNoScan() throws Exception {
        try (UserMail mail = store().open(user)) {
            mail.create("Other");
            try (Mailbox a = settled(mail); Mailbox b = mail.open("INBOX", false); Mailbox other = mail.open("Other", false)) {
                b.sync();
                other.sync();
                long before = scans(a);
                long otherBefore = scans(other);

                assertEquals(Map.of(1L, Set.of(Flags.SEEN)), a.store(List.of(1L), FlagMode.ADD, Set.of(Flags.SEEN)));
                assertEquals(List.of(new Change.FlagsChanged(1, Set.of(Flags.SEEN))), b.sync());
                assertEquals(List.of(new Change.FlagsChanged(1, Set.of(Flags.SEEN))), a.sync());

                long uid = a.append(new ByteArrayInputStream("appended\r\n".getBytes(StandardCharsets.US_ASCII)),
                        Set.of(Flags.FLAGGED, "$Work"), Instant.parse("2024-01-02T03:04:05Z"));
                assertEquals(6, uid);
                List<Change> seenByB = b.sync();
                assertEquals(1, seenByB.size());
                Change.Added added = (Change.Added) seenByB.get(0);
                assertEquals(6, added.message().uid());
                assertEquals(Set.of(Flags.FLAGGED, "$Work"), added.message().flags());
                assertEquals("appended\r\n".length(), added.message().size());
                assertEquals(Instant.parse("2024-01-02T03:04:05Z"), added.message().internalDate());
                assertTrue(((Change.Added) a.sync().get(0)).message().recent() != added.message().recent(),
                        "exactly one read-write handle takes the appended message as \\Recent");

                assertEquals(Map.of(2L, 1L), a.copy(List.of(2L), "Other"));
                assertEquals(Map.of(3L, 2L), a.move(List.of(3L), "Other"));
                assertEquals(List.of(new Change.Expunged(3)), b.sync());
                assertEquals(List.of(new Change.Expunged(3)), a.sync());
                List<Change> inOther = other.sync();
                assertEquals(2, inOther.size());
                assertEquals(List.of(1L, 2L), inOther.stream().map(c -> ((Change.Added) c).message().uid()).toList());

                a.store(List.of(4L), FlagMode.ADD, Set.of(Flags.DELETED));
                assertEquals(List.of(4L), a.expunge(List.of(4L)));
                assertEquals(List.of(new Change.Expunged(4)), b.sync());
                assertEquals(List.of(new Change.Expunged(4)), a.sync());
                assertEquals(List.of(1L, 2L, 5L, 6L), b.messages().stream().map(m -> m.uid()).toList());

                assertEquals(before, scans(a), "no listing of the directory for changes made here");
                assertEquals(otherBefore, scans(other), "nor in the target of a copy or move");

                // Memory is trusted for one settle time after the last own change; then one scan
                // confirms it (a change by another process in the same clock tick as ours hides).
                settle();
                assertEquals(List.of(), b.sync());
                assertEquals(before + 1, scans(a));
                assertEquals(List.of(), a.sync());
                assertEquals(before + 1, scans(a), "confirmed once, trusted again");

                // and a fresh store (another process) sees the same folder
                try (UserMail again = store().open(user); Mailbox c = again.open("INBOX", true)) {
                    c.sync();
                    assertEquals(b.messages().stream().map(m -> m.uid() + " " + m.flags() + " " + m.size()).toList(),
                            c.messages().stream().map(m -> m.uid() + " " + m.flags() + " " + m.size()).toList());
                }
            }
        }
    }

    @Test
    void anOutsideRenameBetweenOurChangeAndOurNextSyncIsFound() throws Exception {
        MaildirStore other = store();
        try (UserMail mail = store().open(user); Mailbox a = settled(mail)) {
            a.store(List.of(1L), FlagMode.ADD, Set.of(Flags.SEEN));
            String name = curNames(maildir)[0];
            assertEquals("1700000001.M1P1.host:2,S", name);
            Files.move(maildir.resolve("cur").resolve(name), maildir.resolve("cur/1700000001.M1P1.host:2,FS"));
            assertEquals(List.of(new Change.FlagsChanged(1, Set.of(Flags.SEEN, Flags.FLAGGED))), a.sync());
            try (UserMail mail2 = other.open(user); Mailbox b = mail2.open("INBOX", false)) {
                b.sync();
                assertEquals(Set.of(Flags.SEEN, Flags.FLAGGED), b.messages().get(0).flags());
            }
        }
    }

    @Test
    void twoProcessesChangingFlagsOfTheSameMessageLoseNeither() throws Exception {
        try (UserMail one = store().open(user); UserMail two = store().open(user);
                Mailbox a = settled(one); Mailbox b = two.open("INBOX", false)) {
            b.sync();
            for (int round = 0; round < 20; round++) {
                String kw = "k" + round;
                a.store(List.of(1L), FlagMode.ADD, Set.of(Flags.SEEN));
                b.store(List.of(1L), FlagMode.ADD, Set.of(Flags.FLAGGED, kw)); // b's name for it is stale: it looks again
                a.store(List.of(1L), FlagMode.REMOVE, Set.of(Flags.SEEN));
                b.store(List.of(1L), FlagMode.REMOVE, Set.of(kw));
                a.sync();
                b.sync();
                assertEquals(Set.of(Flags.FLAGGED), a.messages().get(0).flags(), "round " + round);
                assertEquals(Set.of(Flags.FLAGGED), b.messages().get(0).flags(), "round " + round);
                b.store(List.of(1L), FlagMode.REMOVE, Set.of(Flags.FLAGGED));
                a.sync();
                assertEquals(Set.of(), a.messages().get(0).flags(), "round " + round);
            }
        }
    }

    /**
     * The worst case of a coarse file system clock: another process renames a file right after our
     * change and the directory's time stays what we recorded (set back here by hand, as a file system
     * with one-second times would leave it). Memory is trusted only for the settle time, so the change
     * is found by the first sync after it, never lost.
     */
    @Test
    void twoChangesWithinOneClockTickAreFoundOnceTheTimesSettle() throws Exception {
        try (UserMail mail = store().open(user); Mailbox a = settled(mail)) {
            a.store(List.of(2L), FlagMode.ADD, Set.of(Flags.SEEN));
            FileTime recorded = Files.getLastModifiedTime(maildir.resolve("cur"));
            Files.move(maildir.resolve("cur/1700000003.M3P1.host:2,"), maildir.resolve("cur/1700000003.M3P1.host:2,T"));
            Files.setLastModifiedTime(maildir.resolve("cur"), recorded);
            List<Change> first = a.sync();
            assertTrue(first.equals(List.of(new Change.FlagsChanged(2, Set.of(Flags.SEEN))))
                    || first.equals(List.of(new Change.FlagsChanged(2, Set.of(Flags.SEEN)),
                            new Change.FlagsChanged(3, Set.of(Flags.DELETED)))), first.toString());
            settle();
            List<Change> later = a.sync();
            if (first.size() == 1) {
                assertEquals(List.of(new Change.FlagsChanged(3, Set.of(Flags.DELETED))), later);
            } else {
                assertEquals(List.of(), later);
            }
            assertEquals(Set.of(Flags.DELETED), a.messages().get(2).flags());
        }
    }

    @Test
    void aDeliveryIntoNewAfterOurChangeIsFound() throws Exception {
        try (UserMail mail = store().open(user); Mailbox a = settled(mail)) {
            a.store(List.of(1L), FlagMode.ADD, Set.of(Flags.ANSWERED));
            deliver(maildir, "1700000009.M9P1.host", "late\n");
            List<Change> changes = a.sync();
            assertEquals(new Change.FlagsChanged(1, Set.of(Flags.ANSWERED)), changes.get(0));
            // new/ is claimed by the scan after the one that lists it, or by the same scan
            if (changes.size() == 1) {
                changes = a.sync();
            } else {
                changes = changes.subList(1, changes.size());
            }
            assertEquals(1, changes.size(), changes.toString());
            assertEquals(6, ((Change.Added) changes.get(0)).message().uid());
            assertTrue(((Change.Added) changes.get(0)).message().recent());
        }
    }
}
