package posthorn.imap.server.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import posthorn.store.api.Change;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MailboxInfo;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;
import posthorn.store.api.Watch;

/** The in-memory store keeps the store.api contract the server's tests rely on. */
class MemoryStoreTest {
    private final MemoryStore store = new MemoryStore();

    private UserMail mail() throws StoreException {
        return store.open(new StoreUser("ann", null, null, null));
    }

    @Test
    void recentGoesToTheFirstReadWriteHandleOnly() throws Exception {
        store.deliver("ann", "Subject: a\n\nx\n".getBytes(StandardCharsets.US_ASCII));
        try (UserMail mail = mail()) {
            Mailbox ro = mail.open("inbox", true);
            assertEquals(true, added(ro.sync()).get(0).recent(), "a read-only handle sees \\Recent and leaves it");
            assertEquals(1, mail.status("INBOX").recent());
            Mailbox first = mail.open("INBOX", false);
            Mailbox second = mail.open("INBOX", false);
            assertEquals(true, added(first.sync()).get(0).recent());
            assertEquals(false, added(second.sync()).get(0).recent());
            assertEquals(0, mail.status("INBOX").recent());
        }
    }

    @Test
    void textIsServedWithCrlfAndCountedSo() throws Exception {
        store.deliver("ann", "Subject: a\n\nx\r\n".getBytes(StandardCharsets.US_ASCII));
        try (UserMail mail = mail(); Mailbox box = mail.open("INBOX", true)) {
            MessageMeta m = added(box.sync()).get(0);
            byte[] text = "Subject: a\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII);
            assertEquals(text.length, m.size());
            try (InputStream in = box.openMessage(m.uid())) {
                assertArrayEquals(text, in.readAllBytes());
            }
        }
    }

    @Test
    void changesComeExpungesFirstThenFlagsThenAdditions() throws Exception {
        try (UserMail mail = mail(); Mailbox a = mail.open("INBOX", false); Mailbox b = mail.open("INBOX", false)) {
            long one = append(a, "1");
            long two = append(a, "2");
            a.sync();
            b.sync();
            a.store(List.of(one), FlagMode.ADD, Set.of(Flags.DELETED));
            a.store(List.of(two), FlagMode.ADD, Set.of(Flags.SEEN, Flags.RECENT, "$Work"));
            assertEquals(List.of(one), a.expunge(List.of(one, two)));
            long three = append(a, "3");
            List<Change> changes = b.sync();
            assertEquals(List.of(new Change.Expunged(one), new Change.FlagsChanged(two, Set.of(Flags.SEEN, "$Work"))),
                    changes.subList(0, 2));
            assertEquals(List.of(three), added(changes.subList(2, changes.size())).stream().map(MessageMeta::uid).toList());
            // b synced first, so the new message's \Recent is b's, though a appended it
            assertTrue(added(changes).get(0).recent());
            assertEquals(List.of(new Change.Expunged(one), new Change.FlagsChanged(two, Set.of(Flags.SEEN, "$Work"))),
                    a.sync().subList(0, 2));
            assertTrue(a.keywords().contains("$Work"));
            assertEquals(4, a.uidNext());
        }
    }

    @Test
    void moveLeavesEachMessageInOneMailbox() throws Exception {
        try (UserMail mail = mail(); Mailbox a = mail.open("INBOX", false)) {
            long one = append(a, "1");
            a.sync();
            assertEquals(StoreException.Reason.TRYCREATE,
                    assertThrows(StoreException.class, () -> a.move(List.of(one), "Nope")).reason());
            mail.create("Kept");
            Map<Long, Long> moved = a.move(List.of(one), "Kept");
            assertEquals(Map.of(one, 1L), moved);
            assertEquals(List.of(new Change.Expunged(one)), a.sync());
            assertEquals(1, mail.status("Kept").messages());
        }
    }

    @Test
    void namesAndHierarchyAreTheMaildirStores() throws Exception {
        try (UserMail mail = mail()) {
            // store.api 1.3: no namespace prefix; "INBOX.x" is a child of INBOX, the rest top-level.
            mail.create("Projects.Posthorn");
            mail.create("Sent.");
            assertEquals(StoreException.Reason.ALREADYEXISTS,
                    assertThrows(StoreException.class, () -> mail.create("INBOX")).reason());
            assertEquals(StoreException.Reason.CANNOT,
                    assertThrows(StoreException.class, () -> mail.create("INBOX/../../etc")).reason());
            assertEquals(StoreException.Reason.CANNOT,
                    assertThrows(StoreException.class, () -> mail.create("../x")).reason());
            assertEquals(StoreException.Reason.NONEXISTENT,
                    assertThrows(StoreException.class, () -> mail.open("Elsewhere", true)).reason());
            assertEquals(List.of(new MailboxInfo("INBOX", Set.of("\\HasNoChildren")),
                    new MailboxInfo("Projects", Set.of("\\HasChildren", "\\Noselect")),
                    new MailboxInfo("Projects.Posthorn", Set.of("\\HasNoChildren")),
                    new MailboxInfo("Sent", Set.of("\\HasNoChildren", "\\Sent"))), mail.list());
            mail.create("inbox.Kid");
            assertEquals(new MailboxInfo("INBOX", Set.of("\\HasChildren")), mail.list().get(0));
            mail.create("Sent.2024");
            mail.rename("Sent", "Archive");
            assertEquals(List.of("INBOX", "Archive", "Archive.2024", "INBOX.Kid", "Projects", "Projects.Posthorn"),
                    mail.list().stream().map(MailboxInfo::name).toList());
        }
    }

    @Test
    void renamingInboxMovesItsMessagesAndKeepsIt() throws Exception {
        store.deliver("ann", "Subject: a\n\nx\n".getBytes(StandardCharsets.US_ASCII));
        try (UserMail mail = mail()) {
            mail.rename("INBOX", "Old");
            assertEquals(0, mail.status("INBOX").messages());
            assertEquals(1, mail.status("Old").messages());
        }
    }

    @Test
    void watchesHearOfChangesUntilClosed() throws Exception {
        try (UserMail mail = mail(); Mailbox idle = mail.open("INBOX", false)) {
            AtomicInteger notices = new AtomicInteger();
            Watch w = idle.watch(notices::incrementAndGet);
            store.deliver("ann", "Subject: a\n\nx\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(notices.get() > 0);
            w.close();
            int before = notices.get();
            store.deliver("ann", "Subject: b\n\nx\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(before, notices.get());
        }
    }

    private static long append(Mailbox box, String text) throws Exception {
        return box.append(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)), Set.of(), null);
    }

    private static List<MessageMeta> added(List<Change> changes) {
        return changes.stream().filter(c -> c instanceof Change.Added).map(c -> ((Change.Added) c).message()).toList();
    }
}
