package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static posthorn.store.maildir.internal.MaildirStoreTest.deliver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.ModSeqMailbox;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * MODSEQs (RFC 7162) of the Maildir store: every change gets one above all before, own changes and
 * outside ones alike (a file renamed to change its flags, a delivery, a deletion), and they survive a
 * restart (a new store on the same folders) and a crash (a store never closed).
 */
class ModSeqTest {
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
        return MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE, new HandTicker(), clock::get);
    }

    static ModSeqMailbox open(UserMail mail) throws Exception {
        ModSeqMailbox box = (ModSeqMailbox) mail.open("INBOX", false);
        box.sync();
        return box;
    }

    /** Moves the store's clock past the settle time, so that its own changes are trusted without scans. */
    void settle() {
        long past = DirectoryScan.SETTLE_MILLIS + 1_000;
        clock.set(Math.max(clock.get() + past, System.currentTimeMillis() + past));
    }

    static long maxModSeq(ModSeqMailbox box) {
        return box.messages().stream().mapToLong(m -> box.modSeq(m.uid())).max().orElse(0);
    }

    /** Renames a message's file in cur/ as another program changing its flags would. */
    void renameFlags(long uid, ModSeqMailbox box, String letters) throws IOException {
        String base = ((MaildirMailbox) box).view().stream().filter(e -> e.uid() == uid).findFirst().orElseThrow().base();
        try (Stream<Path> files = Files.list(maildir.resolve("cur"))) {
            Path f = files.filter(p -> p.getFileName().toString().startsWith(base + ":")).findFirst().orElseThrow();
            Files.move(f, maildir.resolve("cur").resolve(base + ":2," + letters));
        }
    }

    @Test
    void everyOwnChangeGetsAHigherModSeqSeenByEveryHandle() throws Exception {
        MaildirStore store = store();
        try (UserMail mail = store.open(user); UserMail other = store.open(user)) {
            ModSeqMailbox a = open(mail);
            ModSeqMailbox b = open(other);
            long start = a.highestModSeq();
            assertTrue(start > 0);
            for (MessageMeta m : a.messages()) {
                assertTrue(a.modSeq(m.uid()) > 0 && a.modSeq(m.uid()) <= start);
            }
            settle();
            a.sync();
            a.store(List.of(2L), FlagMode.ADD, Set.of(Flags.SEEN));
            a.sync();
            long m2 = a.modSeq(2);
            assertTrue(m2 > start, "STORE gives a higher MODSEQ");
            assertEquals(m2, a.highestModSeq());
            a.store(List.of(2L), FlagMode.ADD, Set.of(Flags.SEEN)); // changes nothing
            a.sync();
            assertEquals(m2, a.modSeq(2), "a STORE that changes nothing keeps the MODSEQ");
            assertEquals(m2, a.highestModSeq());
            a.store(List.of(3L), FlagMode.ADD, Set.of(Flags.DELETED));
            a.expunge(List.of(3L));
            a.sync();
            long afterExpunge = a.highestModSeq();
            assertTrue(afterExpunge > m2);
            assertArrayEquals(new long[] {3}, a.expungedSince(m2));
            assertArrayEquals(new long[] {3}, a.expungedSince(start));
            assertArrayEquals(new long[0], a.expungedSince(afterExpunge));
            assertEquals(0, a.modSeq(3));
            b.sync();
            assertEquals(m2, b.modSeq(2), "another handle sees the same MODSEQ");
            assertEquals(afterExpunge, b.highestModSeq());
            assertEquals(a.modSeq(1), b.modSeq(1), "unchanged messages keep theirs");
            assertEquals(a.modSeq(1), a.modSeq(4));
        } finally {
            store.close();
        }
    }

    @Test
    void appendAndCopyTargetGetNewModSeqs() throws Exception {
        MaildirStore store = store();
        try (UserMail mail = store.open(user)) {
            mail.create("Archive");
            ModSeqMailbox a = open(mail);
            ModSeqMailbox archive = (ModSeqMailbox) mail.open("Archive", false);
            archive.sync();
            long before = a.highestModSeq();
            long archiveBefore = archive.highestModSeq();
            long uid = a.append(new java.io.ByteArrayInputStream("Subject: x\r\n\r\nbody\r\n".getBytes()), Set.of(),
                    null);
            a.sync();
            assertTrue(a.modSeq(uid) > before);
            Map<Long, Long> copied = a.copy(List.of(1L), "Archive");
            archive.sync();
            assertTrue(archive.modSeq(copied.get(1L)) > archiveBefore);
            Map<Long, Long> moved = a.move(List.of(4L), "Archive");
            long beforeMove = a.highestModSeq();
            a.sync();
            archive.sync();
            assertTrue(archive.modSeq(moved.get(4L)) > archiveBefore);
            assertArrayEquals(new long[] {4}, a.expungedSince(beforeMove), "MOVE expunges in the source");
            archive.close();
        } finally {
            store.close();
        }
    }

    @Test
    void outsideChangesGetNewModSeqsAtTheNextSync() throws Exception {
        MaildirStore store = store();
        try (UserMail mail = store.open(user)) {
            ModSeqMailbox a = open(mail);
            long start = a.highestModSeq();
            renameFlags(1, a, "FS");
            settle();
            a.sync();
            assertTrue(a.modSeq(1) > start, "a flag change by rename");
            assertEquals(Set.of(Flags.SEEN, Flags.FLAGGED), a.messages().get(0).flags());
            long afterRename = a.highestModSeq();
            deliver(maildir, "1700000099.M99P1.host", "late\n");
            settle();
            a.sync();
            long newUid = a.messages().get(a.messages().size() - 1).uid();
            assertTrue(a.modSeq(newUid) > afterRename, "a delivery");
            long afterDelivery = a.highestModSeq();
            String base = ((MaildirMailbox) a).view().get(1).base();
            try (Stream<Path> files = Files.list(maildir.resolve("cur"))) {
                Files.delete(files.filter(p -> p.getFileName().toString().startsWith(base)).findFirst().orElseThrow());
            }
            settle();
            a.sync();
            assertTrue(a.highestModSeq() > afterDelivery, "a deletion");
            assertArrayEquals(new long[] {2}, a.expungedSince(afterDelivery));
        } finally {
            store.close();
        }
    }

    @Test
    void modSeqsSurviveARestartAndChangesWhileDown() throws Exception {
        MaildirStore first = store();
        long m1;
        long m2;
        long high;
        try (UserMail mail = first.open(user)) {
            ModSeqMailbox a = open(mail);
            settle();
            a.sync();
            a.store(List.of(2L), FlagMode.ADD, Set.of(Flags.ANSWERED));
            a.store(List.of(5L), FlagMode.ADD, Set.of(Flags.DELETED));
            a.expunge(List.of(5L));
            a.sync();
            m1 = a.modSeq(1);
            m2 = a.modSeq(2);
            high = a.highestModSeq();
            a.close();
        } finally {
            first.close();
        }
        Path file = maildir.resolve(ModSeqs.FILE);
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(file), "owner-only");
        MaildirStore second = store();
        try (UserMail mail = second.open(user)) {
            ModSeqMailbox a = open(mail);
            assertEquals(m1, a.modSeq(1), "kept across a restart");
            assertEquals(m2, a.modSeq(2));
            assertTrue(a.highestModSeq() >= high, "HIGHESTMODSEQ never goes down");
            assertArrayEquals(new long[] {5}, a.expungedSince(m2), "expunges are remembered");
            a.close();
        } finally {
            second.close();
        }
        // while no server runs: Courier (or a MUA) renames message 1's file, a message is deleted
        renameFlags(1, openView(), "S");
        MaildirStore third = store();
        try (UserMail mail = third.open(user)) {
            ModSeqMailbox a = open(mail);
            assertTrue(a.modSeq(1) > high, "changed while down: a new MODSEQ");
            assertEquals(m2, a.modSeq(2), "unchanged: the same");
        } finally {
            third.close();
        }
    }

    /** A view of the folder on a store of its own (closed at once), to find file names. */
    private ModSeqMailbox openView() throws Exception {
        MaildirStore s = store();
        try (UserMail mail = s.open(user)) {
            ModSeqMailbox box = open(mail);
            box.close();
            return box;
        } finally {
            s.close();
        }
    }

    @Test
    void aCrashNeverHandsOutAModSeqTwice() throws Exception {
        MaildirStore crashed = store(); // never closed: its last state never reaches the file cleanly
        UserMail mail = crashed.open(user);
        ModSeqMailbox a = open(mail);
        settle();
        a.sync();
        a.store(List.of(1L), FlagMode.ADD, Set.of(Flags.SEEN));
        a.sync();
        a.store(List.of(1L), FlagMode.REMOVE, Set.of(Flags.SEEN)); // back to the flags it had
        a.sync();
        long seen = a.highestModSeq();
        MaildirStore after = store();
        try (UserMail again = after.open(user)) {
            ModSeqMailbox b = open(again);
            assertTrue(b.highestModSeq() > seen);
            for (MessageMeta m : b.messages()) {
                assertTrue(b.modSeq(m.uid()) > seen, "after a crash every message gets a MODSEQ above all before");
            }
        } finally {
            after.close();
        }
    }

    @Test
    void forgottenExpungesAreSaidToBeUnknown() throws Exception {
        ModSeqs.configure(16);
        MaildirStore store = store();
        try (UserMail mail = store.open(user)) {
            ModSeqMailbox a = open(mail);
            long start = a.highestModSeq();
            for (int i = 0; i < 20; i++) {
                long uid = a.append(new java.io.ByteArrayInputStream(("Subject: " + i + "\r\n\r\nx\r\n").getBytes()),
                        Set.of(Flags.DELETED), null);
                a.sync();
                a.expunge(List.of(uid));
                a.sync();
            }
            assertNull(a.expungedSince(start), "older expunges were dropped: the server must fall back");
            long recent = a.highestModSeq() - 2;
            assertEquals(1, a.expungedSince(recent).length);
        } finally {
            ModSeqs.configure(ModSeqs.DEFAULT_MAX_EXPUNGED);
            store.close();
        }
    }
}
