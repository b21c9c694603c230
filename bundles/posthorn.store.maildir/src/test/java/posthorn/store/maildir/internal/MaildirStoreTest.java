package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.Change;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MailboxInfo;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.Quota;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

class MaildirStoreTest {
    @TempDir
    Path home;
    Path maildir;
    StoreUser user;

    @BeforeEach
    void maildir() throws IOException {
        maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        user = new StoreUser("alice", home, null, null);
    }

    static MaildirStore store() {
        return MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
    }

    /** Drops a message into new/ the way an MDA does. */
    static Path deliver(Path dir, String base, String text) throws IOException {
        Path tmp = dir.resolve("tmp").resolve(base);
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        return Files.move(tmp, dir.resolve("new").resolve(base));
    }

    static List<MessageMeta> added(List<Change> changes) {
        List<MessageMeta> out = new ArrayList<>();
        for (Change c : changes) {
            if (c instanceof Change.Added a) {
                out.add(a.message());
            }
        }
        return out;
    }

    static String text(Mailbox box, long uid) throws Exception {
        try (InputStream in = box.openMessage(uid)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static String[] curNames(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("cur"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
        }
    }

    // --- UIDs ---

    @Test
    void uidsFollowDeliveryTimeAndSurviveARestart() throws Exception {
        deliver(maildir, "1700000003.M1P1.host", "third\n");
        deliver(maildir, "1700000001.M1P1.host", "first\n");
        deliver(maildir, "1700000002.M1P1.host", "second\n");
        long validity;
        Map<Long, String> before = new HashMap<>();
        try (UserMail mail = store().open(user); Mailbox box = mail.open("INBOX", false)) {
            List<MessageMeta> msgs = added(box.sync());
            assertEquals(List.of(1L, 2L, 3L), msgs.stream().map(MessageMeta::uid).toList());
            assertEquals("first\r\n", text(box, 1));
            assertEquals("second\r\n", text(box, 2));
            assertEquals("third\r\n", text(box, 3));
            for (MessageMeta m : msgs) {
                before.put(m.uid(), text(box, m.uid()));
            }
            validity = box.uidValidity();
            assertEquals(4, box.uidNext());
        }
        List<String> db = Files.readAllLines(maildir.resolve(UidDb.FILE));
        assertEquals("1 " + validity + " 4", db.get(0));
        assertEquals(List.of("1 1700000001.M1P1.host", "2 1700000002.M1P1.host", "3 1700000003.M1P1.host"),
                db.subList(1, db.size()));

        // A fresh store instance is a restart: same UIDVALIDITY, same UID for the same message.
        deliver(maildir, "1600000000.M1P1.host", "fourth, but with an older time\n");
        try (UserMail mail = store().open(user); Mailbox box = mail.open("INBOX", false)) {
            assertEquals(validity, box.uidValidity());
            List<MessageMeta> msgs = added(box.sync());
            assertEquals(List.of(1L, 2L, 3L, 4L), msgs.stream().map(MessageMeta::uid).toList());
            for (var e : before.entrySet()) {
                assertEquals(e.getValue(), text(box, e.getKey()));
            }
            assertEquals("fourth, but with an older time\r\n", text(box, 4));
        }
    }

    /**
     * Twenty deliveries in one second while the server was down, for each way MDAs name files: they
     * get UIDs in the order they arrived, by the name's microseconds or sequence number, not by the
     * directory's order or the names' string order (which puts M100000 before M2401, Q10 before Q2).
     * Some were moved to cur/ by another reader that keeps no UIDs.
     */
    @Test
    void messagesDeliveredInOneSecondAreNumberedInArrivalOrder() throws Exception {
        long t = 1_700_000_000L;
        Map<String, java.util.function.IntFunction<String>> schemes = new java.util.LinkedHashMap<>();
        schemes.put("Dovecot", i -> t + ".M" + (1 + i * i * 2400) + "P" + (9000 - i) + ".host");
        schemes.put("Courier", i -> t + ".M" + (1 + i * i * 2400) + "P" + (100 + i) + "V000000000000FD01I"
                + Long.toHexString(0x3f00 + 37L * (20 - i)) + "_" + (20 - i) + ".host,S=" + (10 + i));
        schemes.put("Posthorn", i -> t + ".M" + (7 + i * 5) + "P4242Q" + (i + 1) + ".host");
        schemes.put("qmail-Q", i -> t + ".P4242Q" + (i + 1) + ".host");
        schemes.put("mutt", i -> t + ".4242_" + (i + 1) + ".host");
        try (UserMail mail = store().open(user)) {
            for (Map.Entry<String, java.util.function.IntFunction<String>> scheme : schemes.entrySet()) {
                String folder = "" + scheme.getKey();
                mail.create(folder);
                Path dir = maildir.resolve("." + scheme.getKey());
                List<String> arrival = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    arrival.add(scheme.getValue().apply(i));
                }
                assertNotEquals(arrival, arrival.stream().sorted().toList(), "string order differs");
                List<Integer> order = new ArrayList<>(java.util.stream.IntStream.range(0, 20).boxed().toList());
                java.util.Collections.shuffle(order, new java.util.Random(7));
                for (int i : order) { // created out of order, so the directory's order is another one
                    Path p = deliver(dir, arrival.get(i), "arrived " + i + "\n");
                    if (i % 3 == 0) {
                        Files.move(p, dir.resolve("cur").resolve(arrival.get(i) + ":2,S"));
                    }
                }
                try (Mailbox box = mail.open(folder, false)) {
                    List<String> got = new ArrayList<>();
                    for (MessageMeta m : added(box.sync())) {
                        got.add(text(box, m.uid()).trim());
                    }
                    List<String> expected = new ArrayList<>();
                    for (int i = 0; i < 20; i++) {
                        expected.add("arrived " + i);
                    }
                    assertEquals(expected, got, scheme.getKey() + " names in UID order");
                }
            }
        }
    }

    @Test
    void newMessagesMoveToCurAndAreRecentForExactlyOneHandle() throws Exception {
        deliver(maildir, "1700000001.M1P1.host", "a\n");
        deliver(maildir, "1700000002.M1P1.host", "b\n");
        try (UserMail m1 = store().open(user); UserMail m2 = store().open(user);
                Mailbox a = m1.open("INBOX", false); Mailbox b = m2.open("INBOX", false)) {
            List<MessageMeta> seenByA = added(a.sync());
            List<MessageMeta> seenByB = added(b.sync());
            assertEquals(2, seenByA.size());
            assertEquals(2, seenByB.size());
            assertTrue(seenByA.stream().allMatch(MessageMeta::recent));
            assertTrue(seenByB.stream().noneMatch(MessageMeta::recent));
            assertArrayEquals(new String[] {"1700000001.M1P1.host:2,", "1700000002.M1P1.host:2,"}, curNames(maildir));
            try (Stream<Path> s = Files.list(maildir.resolve("new"))) {
                assertEquals(0, s.count());
            }
            // a's own view keeps \Recent; a later sync reports nothing new
            assertTrue(a.messages().stream().allMatch(MessageMeta::recent));
            assertEquals(List.of(), a.sync());
        }
    }

    @Test
    void readOnlyHandleLeavesNewAlone() throws Exception {
        deliver(maildir, "1700000001.M1P1.host", "a\n");
        try (UserMail mail = store().open(user); Mailbox ro = mail.open("INBOX", true)) {
            List<MessageMeta> msgs = added(ro.sync());
            assertEquals(1, msgs.size());
            assertTrue(msgs.get(0).recent(), "EXAMINE shows \\Recent without taking it");
            assertTrue(Files.exists(maildir.resolve("new/1700000001.M1P1.host")));
            assertEquals("a\r\n", text(ro, msgs.get(0).uid()));
            StoreException e = assertThrows(StoreException.class,
                    () -> ro.store(List.of(1L), FlagMode.ADD, Set.of(Flags.SEEN)));
            assertEquals(Reason.CANNOT, e.reason());
            assertEquals(Reason.CANNOT, assertThrows(StoreException.class,
                    () -> ro.append(new ByteArrayInputStream(new byte[] {'x'}), Set.of(), null)).reason());
            assertEquals(Reason.CANNOT, assertThrows(StoreException.class, () -> ro.expunge(List.of(1L))).reason());
            // a read-write handle then claims it, with the same UID
            try (Mailbox rw = mail.open("INBOX", false)) {
                List<MessageMeta> rwMsgs = added(rw.sync());
                assertEquals(msgs.get(0).uid(), rwMsgs.get(0).uid());
                assertTrue(rwMsgs.get(0).recent());
            }
            assertEquals(List.of(), ro.sync(), "moving new/ to cur/ is no change for the read-only view");
        }
    }

    @Test
    void aReadOnlyHandleSeesRecentEvenAfterAnEarlierScanAndLeavesItForTheNextReadWriteHandle() throws Exception {
        deliver(maildir, "1700000001.M1P1.host", "a\n");
        deliver(maildir, "1700000002.M1P1.host", "b\n");
        try (UserMail mail = store().open(user)) {
            try (Mailbox first = mail.open("INBOX", true)) {
                assertTrue(added(first.sync()).stream().allMatch(MessageMeta::recent));
            }
            // the folder is unchanged since the last scan: the short way must report \Recent too
            try (Mailbox second = mail.open("INBOX", true)) {
                assertTrue(added(second.sync()).stream().allMatch(MessageMeta::recent));
            }
            try (Mailbox rw = mail.open("INBOX", false)) {
                assertTrue(added(rw.sync()).stream().allMatch(MessageMeta::recent));
            }
            try (Mailbox after = mail.open("INBOX", true)) {
                assertTrue(added(after.sync()).stream().noneMatch(MessageMeta::recent), "taken by the read-write handle");
            }
        }
    }

    @Test
    void deliveryBetweenSyncsIsAddedWithTheNextUid() throws Exception {
        deliver(maildir, "1700000001.M1P1.host", "a\n");
        try (UserMail mail = store().open(user); Mailbox box = mail.open("INBOX", false)) {
            assertEquals(1, added(box.sync()).size());
            assertEquals(2, box.uidNext());
            deliver(maildir, "1700000002.M1P1.host", "b\n");
            List<Change> changes = box.sync();
            assertEquals(1, changes.size());
            MessageMeta m = ((Change.Added) changes.get(0)).message();
            assertEquals(2, m.uid());
            assertTrue(m.recent());
            assertEquals(3, box.uidNext());
        }
    }

    @Test
    void flagChangesThroughOneHandleReachTheOthersSync() throws Exception {
        deliver(maildir, "1700000001.M1P1.host", "a\n");
        try (UserMail mail = store().open(user); Mailbox a = mail.open("INBOX", false);
                Mailbox b = mail.open("INBOX", false)) {
            a.sync();
            b.sync();
            Map<Long, Set<String>> result = a.store(List.of(1L, 99L), FlagMode.ADD,
                    Set.of("\\seen", Flags.FLAGGED, Flags.RECENT, "$Junk"));
            assertEquals(Map.of(1L, Set.of(Flags.SEEN, Flags.FLAGGED, "$Junk")), result);
            assertArrayEquals(new String[] {"1700000001.M1P1.host:2,FS"}, curNames(maildir));
            assertEquals(List.of(new Change.FlagsChanged(1, Set.of(Flags.SEEN, Flags.FLAGGED, "$Junk"))), b.sync());
            assertEquals(List.of(new Change.FlagsChanged(1, Set.of(Flags.SEEN, Flags.FLAGGED, "$Junk"))), a.sync());
            assertTrue(a.keywords().contains("$Junk"));

            a.store(List.of(1L), FlagMode.REPLACE, Set.of(Flags.ANSWERED, Flags.DRAFT));
            assertArrayEquals(new String[] {"1700000001.M1P1.host:2,DR"}, curNames(maildir));
            a.store(List.of(1L), FlagMode.REMOVE, Set.of(Flags.DRAFT));
            assertEquals(List.of(new Change.FlagsChanged(1, Set.of(Flags.ANSWERED))), b.sync());
        }
    }

    @Test
    void aRenameByAnotherProcessIsAFlagChangeNotAnExpunge() throws Exception {
        deliver(maildir, "1700000001.M1P1.host", "a\n");
        try (UserMail mail = store().open(user); Mailbox box = mail.open("INBOX", false)) {
            box.sync();
            Files.move(maildir.resolve("cur/1700000001.M1P1.host:2,"), maildir.resolve("cur/1700000001.M1P1.host:2,ST"));
            assertEquals(List.of(new Change.FlagsChanged(1, Set.of(Flags.SEEN, Flags.DELETED))), box.sync());
            // and the stale name in this process's memory does not stop reading it
            Files.move(maildir.resolve("cur/1700000001.M1P1.host:2,ST"), maildir.resolve("cur/1700000001.M1P1.host:2,S"));
            assertEquals("a\r\n", text(box, 1));
            assertEquals(Map.of(1L, Set.of(Flags.SEEN, Flags.FLAGGED)), box.store(List.of(1L), FlagMode.ADD, Set.of(Flags.FLAGGED)));
        }
    }

    @Test
    void aMessageRemovedByAnotherProcessIsExpungeIssuedThenExpunged() throws Exception {
        deliver(maildir, "1700000001.M1P1.host", "a\n");
        deliver(maildir, "1700000002.M1P1.host", "b\n");
        try (UserMail mail = store().open(user); Mailbox box = mail.open("INBOX", false)) {
            box.sync();
            Files.delete(maildir.resolve("cur/1700000001.M1P1.host:2,"));
            assertEquals(Reason.EXPUNGEISSUED, assertThrows(StoreException.class, () -> box.openMessage(1)).reason());
            assertEquals(Map.of(), box.store(List.of(1L), FlagMode.ADD, Set.of(Flags.SEEN)));
            assertEquals(List.of(new Change.Expunged(1)), box.sync());
            assertEquals("b\r\n", text(box, 2));
        }
    }

    /** Enough files that listing cur/ takes several getdents calls, so a rename can slip between them. */
    private static final int RACERS = 1500;

    @Test
    void flagRenamesRacingSyncsAreNeverTakenForExpunges() throws Exception {
        for (int i = 0; i < RACERS; i++) {
            deliver(maildir, (1700000000 + i) + ".M1P1.host", "m" + i + "\n");
        }
        try (UserMail mail = store().open(user); Mailbox box = mail.open("INBOX", false)) {
            assertEquals(RACERS, added(box.sync()).size());
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread other = new Thread(() -> {
                // another process toggling \Seen on every message, as fast as it can
                boolean seen = false;
                while (!stop.get()) {
                    for (int i = 0; i < RACERS; i++) {
                        String base = (1700000000 + i) + ".M1P1.host";
                        try {
                            Files.move(maildir.resolve("cur/" + base + (seen ? ":2,S" : ":2,")),
                                    maildir.resolve("cur/" + base + (seen ? ":2," : ":2,S")));
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                    seen = !seen;
                }
            });
            other.start();
            try {
                for (int round = 0; round < 40; round++) {
                    for (Change c : box.sync()) {
                        assertTrue(c instanceof Change.FlagsChanged, "round " + round + ": " + c);
                    }
                }
            } finally {
                stop.set(true);
                other.join();
            }
            box.sync();
            assertEquals(RACERS, box.messages().size());
        }
    }

    @Test
    void expungeRemovesOnlyDeletedMessages() throws Exception {
        deliver(maildir, "1700000001.M1P1.host", "a\n");
        deliver(maildir, "1700000002.M1P1.host", "b\n");
        try (UserMail mail = store().open(user); Mailbox a = mail.open("INBOX", false);
                Mailbox b = mail.open("INBOX", false)) {
            a.sync();
            b.sync();
            a.store(List.of(2L), FlagMode.ADD, Set.of(Flags.DELETED));
            assertEquals(List.of(2L), a.expunge(List.of(1L, 2L)));
            assertArrayEquals(new String[] {"1700000001.M1P1.host:2,"}, curNames(maildir));
            assertEquals(List.of(new Change.Expunged(2)), b.sync());
            assertEquals(Reason.EXPUNGEISSUED, assertThrows(StoreException.class, () -> a.openMessage(2)).reason());
            assertEquals(List.of(new Change.Expunged(2)), a.sync());
            assertEquals(List.of(1L), a.messages().stream().map(MessageMeta::uid).toList());
            assertEquals(Reason.EXPUNGEISSUED, assertThrows(StoreException.class, () -> a.openMessage(2)).reason());
        }
        assertEquals(List.of("1 1700000001.M1P1.host"), Files.readAllLines(maildir.resolve(UidDb.FILE)).subList(1, 2));
        assertEquals(2, Files.readAllLines(maildir.resolve(UidDb.FILE)).size());
        // the UID of an expunged message is never given again
        deliver(maildir, "1700000003.M1P1.host", "c\n");
        try (UserMail mail = store().open(user); Mailbox box = mail.open("INBOX", false)) {
            assertEquals(List.of(1L, 3L), added(box.sync()).stream().map(MessageMeta::uid).toList());
        }
    }

    @Test
    void appendReturnsTheUidAndKeepsTheMessageExactly() throws Exception {
        byte[] message = "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        Instant date = Instant.parse("2020-01-02T03:04:05Z");
        try (UserMail mail = store().open(user); Mailbox a = mail.open("INBOX", false);
                Mailbox b = mail.open("INBOX", false)) {
            a.sync();
            b.sync();
            long uid = a.append(new ByteArrayInputStream(message), Set.of(Flags.SEEN, "Work"), date);
            assertEquals(1, uid);
            assertEquals(2, a.uidNext() == 1 ? 2 : a.uidNext(), "uidNext is refreshed by the next sync");
            List<MessageMeta> viaB = added(b.sync());
            assertEquals(1, viaB.size());
            MessageMeta m = viaB.get(0);
            assertEquals(uid, m.uid());
            assertTrue(m.recent(), "an appended message is \\Recent for the first handle that sees it (RFC 3501 6.3.11)");
            assertEquals(Set.of(Flags.SEEN, "Work"), m.flags());
            assertEquals(date, m.internalDate());
            assertEquals(message.length, m.size());
            try (InputStream in = b.openMessage(uid)) {
                assertArrayEquals(message, in.readAllBytes());
            }
            assertFalse(added(a.sync()).get(0).recent(), "and for no other handle");
            // on disk: Unix line ends, the sizes in the name, the date as mtime
            String name = curNames(maildir)[0];
            assertTrue(name.endsWith(":2,S"), name);
            assertTrue(name.contains(",W=" + message.length), name);
            Path file = maildir.resolve("cur").resolve(name);
            assertFalse(new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).contains("\r"));
            assertEquals(FileTime.from(date), Files.getLastModifiedTime(file));
            try (Stream<Path> s = Files.list(maildir.resolve("tmp"))) {
                assertEquals(0, s.count(), "nothing left in tmp/");
            }
        }
    }

    @Test
    void aMailboxDeletedUnderAHandleIsNonexistentAndTheTextNamesNoPath() throws Exception {
        try (UserMail mail = store().open(user)) {
            mail.create("Doomed");
            try (Mailbox doomed = mail.open("Doomed", false)) {
                doomed.append(new ByteArrayInputStream("a\n".getBytes()), Set.of(), null);
                doomed.sync();
                // Another session's DELETE: the folder's directory goes away under the open handle.
                try (UserMail other = store().open(user)) {
                    other.delete("Doomed");
                }
                for (var op : List.<org.junit.jupiter.api.function.Executable>of(
                        () -> doomed.store(List.of(1L), FlagMode.ADD, Set.of(Flags.SEEN)),
                        () -> doomed.expunge(List.of(1L)),
                        doomed::sync)) {
                    StoreException e = assertThrows(StoreException.class, op);
                    assertEquals(Reason.NONEXISTENT, e.reason(), e.getMessage());
                    assertFalse(e.getMessage().contains(home.toString()), e.getMessage());
                }
            }
        }
    }

    @Test
    void copyReturnsUidsInTheTargetAndNeedsTheTargetToExist() throws Exception {
        deliver(maildir, "1700000001.M1P1.host", "a\n");
        deliver(maildir, "1700000002.M1P1.host", "b\n");
        try (UserMail mail = store().open(user); Mailbox inbox = mail.open("INBOX", false)) {
            inbox.sync();
            inbox.store(List.of(2L), FlagMode.ADD, Set.of(Flags.SEEN));
            assertEquals(Reason.TRYCREATE, assertThrows(StoreException.class,
                    () -> inbox.copy(List.of(1L), "Archive")).reason());
            mail.create("Archive");
            try (Mailbox archive = mail.open("Archive", false)) {
                archive.sync();
                archive.append(new ByteArrayInputStream("z\n".getBytes()), Set.of(), null);
                Map<Long, Long> map = inbox.copy(List.of(2L, 1L, 77L), "Archive");
                assertEquals(Map.of(1L, 2L, 2L, 3L), map);
                List<MessageMeta> there = added(archive.sync());
                assertEquals(List.of(1L, 2L, 3L), there.stream().map(MessageMeta::uid).toList());
                assertEquals("a\r\n", text(archive, 2));
                assertEquals("b\r\n", text(archive, 3));
                assertEquals(Set.of(), there.get(1).flags());
                assertEquals(Set.of(Flags.SEEN), there.get(2).flags());
                assertEquals(inbox.messages().get(0).internalDate(), there.get(1).internalDate());
                assertEquals(inbox.messages().get(0).size(), there.get(1).size());
            }
            assertEquals(2, inbox.messages().size(), "the source keeps its messages");
        }
    }

    @Test
    void reportedSizeIsExactlyTheBytesOfOpenMessage() throws Exception {
        String[] bodies = {"plain\nunix\n", "mixed\r\nends\nhere", "", "\n\n\n", "no newline at all", "cr\r\r\n"};
        for (int i = 0; i < bodies.length; i++) {
            deliver(maildir, "170000000" + i + ".M1P1.host", bodies[i]);
        }
        // A Dovecot name carries the CRLF size; it is trusted without reading the file. Other sizes are
        // measured when asked for (store.api 1.5), not to open the folder.
        deliver(maildir, "1700000010.M1P1.host,S=4,W=6", "x\ny\n");
        try (UserMail mail = store().open(user); Mailbox box = mail.open("INBOX", false)) {
            for (MessageMeta m : added(box.sync())) {
                assertEquals(m.uid() == 7 ? 6 : MessageMeta.UNKNOWN_SIZE, m.size(), "uid " + m.uid());
                try (InputStream in = box.openMessage(m.uid())) {
                    byte[] bytes = in.readAllBytes();
                    assertEquals(box.size(m), bytes.length, "uid " + m.uid());
                    String s = new String(bytes, StandardCharsets.US_ASCII);
                    assertFalse(s.replace("\r\n", "").contains("\n"), "no bare LF served");
                }
            }
        }
    }

    @Test
    void internalDateIsTheFilesMtime() throws Exception {
        Path f = deliver(maildir, "1700000001.M1P1.host", "a\n");
        Instant when = Instant.parse("2019-05-06T07:08:09Z");
        Files.setLastModifiedTime(f, FileTime.from(when));
        try (UserMail mail = store().open(user); Mailbox box = mail.open("INBOX", false)) {
            assertEquals(when, added(box.sync()).get(0).internalDate());
        }
    }

    @Test
    void aCorruptUidDatabaseIsRebuiltWithANewUidValidity() throws Exception {
        deliver(maildir, "1700000001.M1P1.host", "a\n");
        deliver(maildir, "1700000002.M1P1.host", "b\n");
        long old;
        try (UserMail mail = store().open(user); Mailbox box = mail.open("INBOX", false)) {
            box.sync();
            old = box.uidValidity();
        }
        // A store that never saw the database (a restart, case 0) goes past the damaged file's mtime; one
        // that holds the folder (cases 1-3, kept by an open session) goes past what it remembers, even when
        // damage repeats within one second.
        MaildirStore restarted = store();
        UserMail keeper = null;
        for (int i = 0; i < 4; i++) {
            if (i == 1) {
                keeper = restarted.open(user);
                keeper.open("INBOX", true);
            }
            String good = Files.readString(maildir.resolve(UidDb.FILE));
            String damaged = switch (i) {
                case 0 -> "garbage\n";
                case 1 -> good.substring(0, good.length() - 3); // truncated
                case 2 -> "";
                default -> "1 x y\n";
            };
            Files.writeString(maildir.resolve(UidDb.FILE), damaged);
            try (UserMail mail = restarted.open(user); Mailbox box = mail.open("INBOX", false)) {
                assertTrue(box.uidValidity() > old, "new UIDVALIDITY for '" + damaged + "'");
                List<MessageMeta> msgs = added(box.sync());
                assertEquals(List.of(1L, 2L), msgs.stream().map(MessageMeta::uid).toList());
                assertEquals("a\r\n", text(box, 1));
                old = box.uidValidity();
            }
            assertTrue(Files.exists(maildir.resolve(UidDb.FILE + ".corrupt")));
            assertTrue(Files.readString(maildir.resolve(UidDb.FILE)).startsWith("1 " + old + " 3\n"));
        }
        keeper.close();
    }

    @Test
    void uidValidityChangeUnderAnOpenHandleIsReported() throws Exception {
        deliver(maildir, "1700000001.M1P1.host", "a\n");
        try (UserMail mail = store().open(user); Mailbox box = mail.open("INBOX", false)) {
            box.sync();
            long before = box.uidValidity();
            Files.writeString(maildir.resolve(UidDb.FILE), "broken");
            List<Change> changes = box.sync();
            assertEquals(1, changes.size());
            Change.UidValidityChanged c = (Change.UidValidityChanged) changes.get(0);
            assertTrue(c.uidValidity() > before);
            assertEquals(c.uidValidity(), box.uidValidity());
            assertTrue(box.messages().isEmpty(), "the view starts over");
            List<MessageMeta> again = added(box.sync());
            assertEquals(List.of(1L), again.stream().map(MessageMeta::uid).toList());
        }
    }

    @Test
    void junkInCurIsHandledGracefully() throws Exception {
        Files.writeString(maildir.resolve("cur/.hidden"), "x");
        Files.writeString(maildir.resolve("cur/1700000001.M1P1.host"), "no info part\n");
        Files.createDirectory(maildir.resolve("cur/1700000002.dir"));
        Files.writeString(maildir.resolve("cur/1700000003.M1P1.host:1,weird"), "old info\n");
        try (UserMail mail = store().open(user); Mailbox box = mail.open("INBOX", false)) {
            List<MessageMeta> msgs = added(box.sync());
            assertEquals(2, msgs.size());
            assertEquals(Set.of(), msgs.get(0).flags());
            assertEquals("no info part\r\n", text(box, msgs.get(0).uid()));
            box.store(List.of(msgs.get(0).uid()), FlagMode.ADD, Set.of(Flags.SEEN));
            assertTrue(Files.exists(maildir.resolve("cur/1700000001.M1P1.host:2,S")));
            assertEquals(List.of(new Change.FlagsChanged(msgs.get(0).uid(), Set.of(Flags.SEEN))), box.sync());
        }
    }

    // --- opening ---

    @Test
    void missingCurAndTmpAreCreated() throws Exception {
        Files.delete(maildir.resolve("cur"));
        Files.delete(maildir.resolve("tmp"));
        try (UserMail mail = store().open(user)) {
            assertTrue(Files.isDirectory(maildir.resolve("cur")));
            assertTrue(Files.isDirectory(maildir.resolve("tmp")));
        }
    }

    /**
     * A user whose Maildir does not exist yet (a new account, before the first delivery) gets one at
     * the first login, with the parents it needs, owner-only, as Dovecot does.
     */
    @Test
    void aMissingMaildirIsCreatedAtTheFirstOpen() throws Exception {
        StoreUser bob = new StoreUser("bob", home.resolve("bob"), null, null);
        Path bobs = home.resolve("bob").resolve("Maildir");
        try (UserMail mail = store().open(bob); Mailbox inbox = mail.open("INBOX", false)) {
            assertEquals(List.of(), inbox.sync());
            inbox.append(new ByteArrayInputStream("Subject: welcome\r\n\r\nhi\r\n".getBytes(StandardCharsets.US_ASCII)),
                    Set.of(), null);
            assertEquals(1, added(inbox.sync()).size());
        }
        for (Path dir : List.of(home.resolve("bob"), bobs, bobs.resolve("cur"), bobs.resolve("new"), bobs.resolve("tmp"))) {
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir)), dir.toString());
        }
    }

    @Test
    void aMissingMaildirIsNonexistentWhenCreationIsOff() {
        StoreUser nobody = new StoreUser("bob", home.resolve("bob"), null, null);
        MaildirStore store = store();
        store.setCreateMissing(false);
        StoreException e = assertThrows(StoreException.class, () -> store.open(nobody));
        assertEquals(Reason.NONEXISTENT, e.reason());
        assertTrue(e.getMessage().contains(home.resolve("bob").resolve("Maildir").toString()), e.getMessage());
        assertFalse(Files.exists(home.resolve("bob")), "nothing created");
    }

    /**
     * Another user's mail for the shared namespace: opened where it exists, never created (even with
     * create=true), and without the path of the missing Maildir in the message a session might pass on.
     */
    @Test
    void sharedMailIsNeverCreated() throws Exception {
        MaildirStore store = store();
        StoreUser carol = new StoreUser("carol", home.resolve("carol"), null, null);
        StoreException e = assertThrows(StoreException.class, () -> store.openShared(carol));
        assertEquals(Reason.NONEXISTENT, e.reason());
        assertFalse(e.getMessage().contains(home.toString()), e.getMessage());
        assertFalse(Files.exists(home.resolve("carol")), "nothing created");
        assertEquals(Reason.NONEXISTENT, assertThrows(StoreException.class,
                () -> store.openShared(new StoreUser("..", null, null, null))).reason());
        store.open(user).close();
        try (UserMail shared = store.openShared(user)) {
            assertEquals("INBOX", shared.list().get(0).name());
        }
    }

    @Test
    void theTemplateFindsTheMaildir() throws Exception {
        MaildirStore byName = MaildirStore.forTests(home + "/%u%%/Maildir");
        assertEquals(home.resolve("alice%").resolve("Maildir"), byName.maildirOf(new StoreUser("alice", null, null, null)));
        assertEquals(Reason.NONEXISTENT, assertThrows(StoreException.class,
                () -> byName.maildirOf(new StoreUser("..", null, null, null))).reason());
        assertEquals(Reason.NONEXISTENT, assertThrows(StoreException.class,
                () -> store().maildirOf(new StoreUser("alice", null, null, null))).reason());
        assertEquals(maildir, store().maildirOf(user));
        Path own = home.resolve("elsewhere");
        assertEquals(own, store().maildirOf(new StoreUser("alice", null, own, null)));
    }

    // --- folders ---

    @Test
    void namesThatTryToEscapeAreRejected() throws Exception {
        try (UserMail mail = store().open(user)) {
            for (String bad : new String[] {"INBOX/../x", "INBOX..x", "/etc", "INBOX./etc", "INBOX.a\nb", "INBOX.."}) {
                assertEquals(Reason.CANNOT, assertThrows(StoreException.class, () -> mail.create(bad), bad).reason());
                assertEquals(Reason.CANNOT, assertThrows(StoreException.class, () -> mail.open(bad, true), bad).reason());
                assertEquals(Reason.CANNOT, assertThrows(StoreException.class, () -> mail.delete(bad), bad).reason());
            }
        }
        try (Stream<Path> s = Files.list(home)) {
            assertEquals(List.of(maildir), s.toList(), "nothing created outside the Maildir");
        }
    }

    @Test
    void foldersAreCourierDirectoriesInUtf8() throws Exception {
        Files.createDirectories(maildir.resolve(".日本語/cur")); // as Courier-IMAP 5 makes it
        try (UserMail mail = store().open(user)) {
            mail.create("Entwürfe");
            Path dir = maildir.resolve(".Entwürfe");
            assertTrue(Files.isDirectory(dir.resolve("cur")));
            assertTrue(Files.isDirectory(dir.resolve("new")));
            assertTrue(Files.isDirectory(dir.resolve("tmp")));
            assertTrue(Files.exists(dir.resolve("maildirfolder")));
            List<String> names = mail.list().stream().map(MailboxInfo::name).toList();
            assertEquals(List.of("INBOX", "Entwürfe", "日本語"), names);
            try (Mailbox box = mail.open("日本語", false)) {
                assertEquals("日本語", box.name());
                box.append(new ByteArrayInputStream("x\n".getBytes()), Set.of(), null);
            }
            assertTrue(Files.isDirectory(maildir.resolve(".日本語/tmp")), "missing tmp/ created on open");
        }
    }

    @Test
    void listShowsChildrenAndMissingParents() throws Exception {
        try (UserMail mail = store().open(user)) {
            assertEquals(List.of(new MailboxInfo("INBOX", Set.of("\\HasNoChildren"))), mail.list());
            mail.create("a");
            mail.create("a.b");
            mail.create("x.y");
            mail.create("ab.");
            // Top-level folders are INBOX's siblings (store.api 1.3); only INBOX.x is its child.
            assertEquals(List.of(
                    new MailboxInfo("INBOX", Set.of("\\HasNoChildren")),
                    new MailboxInfo("a", Set.of("\\HasChildren")),
                    new MailboxInfo("a.b", Set.of("\\HasNoChildren")),
                    new MailboxInfo("ab", Set.of("\\HasNoChildren")),
                    new MailboxInfo("x", Set.of("\\HasChildren", "\\Noselect")),
                    new MailboxInfo("x.y", Set.of("\\HasNoChildren"))), mail.list());
            mail.create("INBOX.k");
            assertEquals(new MailboxInfo("INBOX", Set.of("\\HasChildren")), mail.list().get(0));
            assertTrue(Files.isDirectory(maildir.resolve(".INBOX.k")));
        }
    }

    @Test
    void createDeleteAndRename() throws Exception {
        try (UserMail mail = store().open(user)) {
            mail.create("a");
            mail.create("a.child");
            assertEquals(Reason.ALREADYEXISTS, assertThrows(StoreException.class, () -> mail.create("a")).reason());
            assertEquals(Reason.ALREADYEXISTS, assertThrows(StoreException.class, () -> mail.create("inbox")).reason());
            assertEquals(Reason.CANNOT, assertThrows(StoreException.class, () -> mail.delete("INBOX")).reason());
            assertEquals(Reason.NONEXISTENT, assertThrows(StoreException.class, () -> mail.delete("nope")).reason());
            assertEquals(Reason.NONEXISTENT, assertThrows(StoreException.class, () -> mail.open("nope", false)).reason());

            long uid;
            try (Mailbox a = mail.open("a", false)) {
                uid = a.append(new ByteArrayInputStream("kept\n".getBytes()), Set.of(Flags.FLAGGED), null);
            }
            mail.rename("a", "c");
            assertFalse(Files.exists(maildir.resolve(".a")));
            assertTrue(Files.isDirectory(maildir.resolve(".c.child")), "inferiors move along");
            assertEquals(List.of("INBOX", "c", "c.child"), mail.list().stream().map(MailboxInfo::name).toList());
            try (Mailbox c = mail.open("c", false)) {
                List<MessageMeta> msgs = added(c.sync());
                assertEquals(uid, msgs.get(0).uid(), "UIDs move with the folder");
                assertEquals(Set.of(Flags.FLAGGED), msgs.get(0).flags());
            }
            mail.create("d");
            assertEquals(Reason.ALREADYEXISTS, assertThrows(StoreException.class,
                    () -> mail.rename("c", "d")).reason());
            assertEquals(Reason.NONEXISTENT, assertThrows(StoreException.class,
                    () -> mail.rename("zz", "e")).reason());

            mail.delete("c");
            assertFalse(Files.exists(maildir.resolve(".c")));
            assertTrue(Files.isDirectory(maildir.resolve(".c.child")), "deleting a parent leaves inferiors");
            try (Stream<Path> s = Files.list(maildir.resolve("tmp"))) {
                assertEquals(0, s.count(), "the deleted folder is gone from tmp/ too");
            }
        }
    }

    @Test
    void renamingInboxMovesItsMessages() throws Exception {
        deliver(maildir, "1700000001.M1P1.host", "a\n");
        deliver(maildir, "1700000002.M1P1.host", "b\n");
        try (UserMail mail = store().open(user)) {
            try (Mailbox inbox = mail.open("INBOX", false)) {
                inbox.sync(); // one in cur/
            }
            deliver(maildir, "1700000003.M1P1.host", "c\n"); // one in new/
            mail.rename("INBOX", "Old");
            try (Mailbox inbox = mail.open("INBOX", false); Mailbox old = mail.open("Old", false)) {
                assertEquals(List.of(), inbox.sync());
                List<MessageMeta> moved = added(old.sync());
                assertEquals(3, moved.size());
                assertEquals("c\r\n", text(old, moved.get(2).uid()));
            }
        }
    }

    @Test
    void subscriptionsLiveInCouriersFile() throws Exception {
        try (UserMail mail = store().open(user)) {
            assertEquals(List.of(), mail.subscriptions());
            mail.subscribe("Sent", true);
            mail.subscribe("Entwürfe", true);
            mail.subscribe("Sent", true);
            assertEquals(List.of("Sent", "Entwürfe"), mail.subscriptions());
            assertEquals(List.of("INBOX.Sent", "INBOX.Entwürfe"),
                    Files.readAllLines(maildir.resolve("courierimapsubscribed")));
            mail.subscribe("Sent", false);
            assertEquals(List.of("Entwürfe"), mail.subscriptions());
            // The file keeps Courier's INBOX. names whatever the server's namespace: .INBOX.Kid is
            // Courier's INBOX.INBOX.Kid; a line of no folder of ours (a shared folder) stays as it is.
            Files.writeString(maildir.resolve("courierimapsubscribed"), "INBOX.Entwürfe\nshared.x\nINBOX\n");
            mail.subscribe("INBOX.Kid", true);
            assertEquals(List.of("Entwürfe", "INBOX", "INBOX.Kid"), mail.subscriptions());
            assertEquals(List.of("INBOX.Entwürfe", "shared.x", "INBOX", "INBOX.INBOX.Kid"),
                    Files.readAllLines(maildir.resolve("courierimapsubscribed")));
            assertEquals(Reason.CANNOT, assertThrows(StoreException.class, () -> mail.subscribe("INBOX/..", true)).reason());
        }
    }

    @Test
    void quotaComesFromMaildirsize() throws Exception {
        try (UserMail mail = store().open(user)) {
            assertEquals(List.of(), mail.quota());
            Files.writeString(maildir.resolve("maildirsize"), "1000000S,1000C\n300 2\n200 1\n-100 -1\n");
            assertEquals(List.of(new Quota("ROOT", 400, 1000000, 2, 1000)), mail.quota());
            // a line that is not two integers makes the file untrustworthy: recalculated from the (empty) Maildir
            Files.writeString(maildir.resolve("maildirsize"), "1000000S,1000C\n300 2\nbad line here\n");
            assertEquals(List.of(new Quota("ROOT", 0, 1000000, 0, 1000)), mail.quota());
            Files.writeString(maildir.resolve("maildirsize"), "500S\n10 1\n");
            assertEquals(List.of(new Quota("ROOT", 10, 500, 1, -1)), mail.quota());
        }
    }

    @Test
    void closingTheUserMailClosesItsMailboxesAndReleasesFolders() throws Exception {
        MaildirStore store = store();
        UserMail mail = store.open(user);
        Mailbox box = mail.open("INBOX", false);
        box.sync();
        assertEquals(1, store.liveFolders());
        mail.close();
        assertEquals(0, store.liveFolders());
        assertEquals(Reason.CANNOT, assertThrows(StoreException.class, box::sync).reason());
        assertNotEquals(0, box.uidValidity());
    }
}
