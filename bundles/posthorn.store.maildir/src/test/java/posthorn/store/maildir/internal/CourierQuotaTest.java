package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.Quota;
import posthorn.store.api.QuotaMail;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;
import posthorn.store.api.StoreUser;

/**
 * The Maildir++ quota against Courier's own tools from Debian's courier-base (unpacked by
 * tools/courier-unpack): maildirmake -q sets the quota, deliverquota delivers within it (exit 77 when
 * over), and both read what Posthorn wrote into maildirsize, and the other way round. Also what a
 * broken maildirsize or quota string does.
 */
class CourierQuotaTest {
    /**
     * deliverquota's exit status when the Maildir is over quota: its manual says 77 (EX_NOPERM);
     * Debian's build answers 75 (EX_TEMPFAIL) for a message that would go over, so that the MTA
     * retries later. Either, with its message, is a refusal.
     */
    static void assertRefused(CourierImapd.Run r) {
        assertTrue((r.status() == 75 || r.status() == 77) && r.output().contains("quota exceeded"), r.toString());
    }

    @TempDir
    Path home;
    Path maildir;
    CourierImapd courier;
    MaildirStore store;

    @BeforeEach
    void setUp() throws Exception {
        courier = CourierImapd.find();
        maildir = home.resolve("Maildir");
        CourierImapd.Run made = courier.tool("maildirmake.courier", null, maildir.toString());
        assertEquals(0, made.status(), made.output());
        store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
    }

    QuotaMail open(String quota) throws StoreException {
        return (QuotaMail) store.open(new StoreUser("alice", home, null, quota));
    }

    static byte[] message(String subject, int bodyBytes) {
        return ("From: a@example.org\nSubject: " + subject + "\n\n" + "x".repeat(bodyBytes) + "\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    CourierImapd.Run deliverquota(byte[] message) throws Exception {
        return courier.tool("deliverquota.courier", message, maildir.toString());
    }

    @Test
    void maildirmakeSetsTheQuotaPosthornReportsAndDeliverquotaSeesPosthornsAppends() throws Exception {
        CourierImapd.Run q = courier.tool("maildirmake.courier", null, "-q", "3000S,5C", maildir.toString());
        assertEquals(0, q.status(), q.output());
        try (QuotaMail mail = open(null)) {
            assertEquals(new Quota("ROOT", 0, 3000, 0, 5), mail.quota("ROOT"));
            assertEquals(List.of(new Quota("ROOT", 0, 3000, 0, 5)), mail.quotaRoots("INBOX"));
            try (Mailbox box = mail.open("INBOX", false)) {
                box.append(new ByteArrayInputStream(message("one", 1000)), Set.of(), null);
                box.append(new ByteArrayInputStream(message("two", 1000)), Set.of(), null);
            }
            Quota after = mail.quota("ROOT");
            assertEquals(2, after.messagesUsed());
        }
        // deliverquota reads Posthorn's deltas: a third 1 KB message would pass 3000 bytes
        assertRefused(deliverquota(message("three", 1000)));
        CourierImapd.Run small = deliverquota(message("small", 10));
        assertEquals(0, small.status(), small.output());
        try (QuotaMail mail = open(null)) {
            Quota q3 = mail.quota("ROOT");
            assertEquals(3, q3.messagesUsed(), "Posthorn reads deliverquota's line");
            long onDisk = 0;
            for (Path p : list(maildir.resolve("cur"), maildir.resolve("new"))) {
                onDisk += Files.size(p);
            }
            assertEquals(onDisk, q3.storageUsedBytes(), "the sizes agree with the files");
        }
    }

    @Test
    void deliverquotaFillsTheMaildirAndPosthornRefusesAndStoresNothing() throws Exception {
        courier.tool("maildirmake.courier", null, "-q", "100000S,2C", maildir.toString());
        assertEquals(0, deliverquota(message("1", 10)).status());
        assertEquals(0, deliverquota(message("2", 10)).status());
        assertRefused(deliverquota(message("3", 10)));
        try (QuotaMail mail = open(null); Mailbox box = mail.open("INBOX", false)) {
            assertEquals(2, mail.quota("ROOT").messagesUsed());
            StoreException e = assertThrows(StoreException.class,
                    () -> box.append(new ByteArrayInputStream(message("4", 10)), Set.of(), null));
            assertEquals(Reason.OVERQUOTA, e.reason());
            box.sync();
            assertEquals(2, box.messages().size(), "nothing was stored");
            assertEquals(List.of(), list(maildir.resolve("tmp")), "tmp/ is clean");
            mail.create("Archive");
            assertEquals(Reason.OVERQUOTA, assertThrows(StoreException.class,
                    () -> box.copy(List.of(box.messages().get(0).uid()), "Archive")).reason());
            // marking one \Deleted frees it (Courier counts no \Deleted message), for Posthorn and deliverquota
            box.store(List.of(box.messages().get(0).uid()), FlagMode.ADD, Set.of(Flags.DELETED));
            assertEquals(1, mail.quota("ROOT").messagesUsed());
        }
        assertEquals(0, deliverquota(message("5", 10)).status());
        try (QuotaMail mail = open(null)) {
            assertEquals(2, mail.quota("ROOT").messagesUsed());
        }
    }

    @Test
    void trashAndDeletedMessagesDoNotCountInEitherRecalculation() throws Exception {
        try (QuotaMail mail = open("1000000S,100C"); Mailbox box = mail.open("INBOX", false)) {
            mail.create("Trash"); // the store's name of .Trash (no namespace prefix, store.api 1.3)
            for (int i = 0; i < 3; i++) {
                box.append(new ByteArrayInputStream(message("m" + i, 100)), Set.of(), null);
            }
            box.sync();
            long first = box.messages().get(0).uid();
            box.move(List.of(first), "Trash");
            box.sync();
            box.store(List.of(box.messages().get(0).uid()), FlagMode.ADD, Set.of(Flags.DELETED));
            Quota kept = mail.quota("ROOT");
            assertEquals(1, kept.messagesUsed());
            // Courier's recalculation (maildirmake -q rewrites the file from the folders) agrees
            Files.delete(maildir.resolve("maildirsize"));
            courier.tool("maildirmake.courier", null, "-q", "1000000S,100C", maildir.toString());
            assertEquals(kept, mail.quota("ROOT"));
            // and so does Posthorn's (forced by a definition change)
            Files.writeString(maildir.resolve("maildirsize"), "5S\n0 0\n");
            assertEquals(kept, mail.quota("ROOT"));
            assertTrue(Files.readString(maildir.resolve("maildirsize")).startsWith("1000000S,100C\n"));
        }
    }

    @Test
    void theUserRecordsQuotaWinsOverTheFilesFirstLine() throws Exception {
        courier.tool("maildirmake.courier", null, "-q", "1000S", maildir.toString());
        try (QuotaMail mail = open("500000S,7C")) {
            assertEquals(new Quota("ROOT", 0, 500000, 0, 7), mail.quota("ROOT"));
            assertEquals(Reason.CANNOT, assertThrows(StoreException.class,
                    () -> mail.setQuota("ROOT", 1024, -1)).reason());
        }
        assertTrue(Files.readString(maildir.resolve("maildirsize")).startsWith("500000S,7C\n"));
    }

    @Test
    void setQuotaWritesTheDefinitionCourierEnforces() throws Exception {
        try (QuotaMail mail = open(null)) {
            assertEquals(new Quota("ROOT", 0, -1, 0, -1), mail.quota("ROOT"));
            mail.setQuota("ROOT", -1, 1);
            assertEquals(Reason.CANNOT, assertThrows(StoreException.class, () -> mail.setQuota("ROOT", 0, -1)).reason());
            assertEquals(Reason.NONEXISTENT, assertThrows(StoreException.class, () -> mail.setQuota("other", 1, 1)).reason());
            assertEquals(Reason.NONEXISTENT, assertThrows(StoreException.class, () -> mail.quota("other")).reason());
            assertEquals(Reason.NONEXISTENT, assertThrows(StoreException.class, () -> mail.quotaRoots("nope")).reason());
        }
        assertEquals(0, deliverquota(message("1", 10)).status());
        assertRefused(deliverquota(message("2", 10)));
    }

    @Test
    void brokenMaildirsizeIsRecalculatedNeverTrusted() throws Exception {
        try (QuotaMail mail = open(null); Mailbox box = mail.open("INBOX", false)) {
            box.append(new ByteArrayInputStream(message("a", 100)), Set.of(), null);
            long size = list(maildir.resolve("cur"), maildir.resolve("new")).stream().mapToLong(CourierQuotaTest::size).sum();
            Quota right = new Quota("ROOT", size, 100000, 1, 10);
            for (String body : List.of("abc def\n", "99999999999999999999999 1\n", "-5000 -9\n",
                    "9223372036854775807 1\n9223372036854775807 1\n", "1 2 3\n")) {
                Files.writeString(maildir.resolve("maildirsize"), "100000S,10C\n" + body);
                assertEquals(right, mail.quota("ROOT"), body);
            }
            // a 10 MB file is read no further than 5120 bytes, then recalculated
            byte[] big = new byte[10 << 20];
            java.util.Arrays.fill(big, (byte) '7');
            Files.write(maildir.resolve("maildirsize"), big);
            Files.writeString(maildir.resolve("maildirsize"), "100000S,10C\n", java.nio.file.StandardOpenOption.WRITE);
            assertEquals(right, mail.quota("ROOT"));
            assertTrue(Files.size(maildir.resolve("maildirsize")) < 100);
            // a first line that is not a quota is no quota; nothing refused
            Files.writeString(maildir.resolve("maildirsize"), "garbage\n1 1\n");
            assertEquals(-1, mail.quota("ROOT").storageLimitBytes());
            box.append(new ByteArrayInputStream(message("b", 100)), Set.of(), null);
        }
    }

    @Test
    void anUnparsableQuotaStringIsNoQuota() throws Exception {
        for (String bad : List.of("lots", "10000000X", "-5S", "S", "1000S,,", "99999999999999999999999S")) {
            try (QuotaMail mail = open(bad); Mailbox box = mail.open("INBOX", false)) {
                assertEquals(new Quota("ROOT", 0, -1, 0, -1).storageLimitBytes(), mail.quota("ROOT").storageLimitBytes(), bad);
                box.append(new ByteArrayInputStream(message("x", 10)), Set.of(), null);
            }
        }
        assertFalse(Files.exists(maildir.resolve("maildirsize")), "no file made for no quota");
    }

    @Test
    void overQuotaFileIsRecheckedWhenStaleOrLong() throws Exception {
        courier.tool("maildirmake.courier", null, "-q", "100000S,1C", maildir.toString());
        assertEquals(0, deliverquota(message("1", 10)).status());
        // someone removed the message behind the quota's back: the file still says 1 of 1
        for (Path p : list(maildir.resolve("new"), maildir.resolve("cur"))) {
            Files.delete(p);
        }
        Path file = maildir.resolve("maildirsize");
        String text = Files.readString(file);
        assertTrue(text.startsWith("100000S,1C\n"), text);
        try (QuotaMail mail = open(null); Mailbox box = mail.open("INBOX", false)) {
            assertEquals(1, mail.quota("ROOT").messagesUsed(), "at the limit, not over it: the file is trusted");
            // maildirmake's "0 0" and deliverquota's line are two deltas: a delivery that would go over
            // has the file recalculated first, finds the Maildir empty, and passes
            box.append(new ByteArrayInputStream(message("2", 10)), Set.of(), null);
            assertEquals(1, mail.quota("ROOT").messagesUsed());
        }
        // a fresh one-line file that says "full" is trusted, as Courier does; a 15-minute-old one is not
        for (Path p : list(maildir.resolve("new"), maildir.resolve("cur"))) {
            Files.delete(p);
        }
        Files.writeString(file, "100000S,1C\n" + "           0            1\n");
        try (QuotaMail mail = open(null); Mailbox box = mail.open("INBOX", false)) {
            assertEquals(Reason.OVERQUOTA, assertThrows(StoreException.class,
                    () -> box.append(new ByteArrayInputStream(message("3", 10)), Set.of(), null)).reason());
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().minusSeconds(16 * 60)));
            box.append(new ByteArrayInputStream(message("4", 10)), Set.of(), null);
            assertEquals(1, mail.quota("ROOT").messagesUsed(), "stale: recalculated, then the delivery counted");
        }
    }

    static long size(Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static List<Path> list(Path... dirs) throws Exception {
        List<Path> all = new java.util.ArrayList<>();
        for (Path d : dirs) {
            try (Stream<Path> s = Files.list(d)) {
                s.forEach(all::add);
            }
        }
        return all;
    }
}
