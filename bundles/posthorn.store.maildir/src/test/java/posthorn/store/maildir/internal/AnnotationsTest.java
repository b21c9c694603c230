package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.MailboxInfo;
import posthorn.store.api.MetadataMail;
import posthorn.store.api.ObjectIdMail;
import posthorn.store.api.ObjectIdMailbox;
import posthorn.store.api.SaveDateMailbox;
import posthorn.store.api.SpecialUseMail;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * The store.api 1.6.0 parts on Maildir: METADATA entries, MAILBOXID, special uses, EMAILID and save
 * dates, across a new store instance (a restart), RENAME and DELETE, in owner-only files; and a folder
 * carrying them still read by Courier's own imapd.
 */
class AnnotationsTest {
    @TempDir
    Path home;
    Path maildir;

    @BeforeEach
    void setUp() throws Exception {
        maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
    }

    private UserMail open() throws StoreException {
        return MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(new StoreUser("alice", home, null, null));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, byte[]> change(Object... kv) {
        Map<String, byte[]> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (byte[]) kv[i + 1]);
        }
        return m;
    }

    @Test
    void metadataSurvivesRestartFollowsRenameGoesWithDelete() throws Exception {
        try (UserMail mail = open()) {
            MetadataMail md = (MetadataMail) mail;
            mail.create("Work");
            md.setMetadata("Work", change("/private/comment", b("mine"), "/shared/comment", new byte[] {0, 1, '\n', 2}));
            md.setMetadata(null, change("/shared/motd", b("hello")));
            md.setMetadata("INBOX", change("/private/x", b("inbox")));
        }
        Path file = maildir.resolve(".Work").resolve(MetadataFile.FOLDER_FILE);
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(file));
        try (UserMail mail = open()) { // a new store: what is on disk
            MetadataMail md = (MetadataMail) mail;
            assertArrayEquals(new byte[] {0, 1, '\n', 2}, md.metadata("Work").get("/shared/comment"));
            assertArrayEquals(b("hello"), md.metadata(null).get("/shared/motd"));
            assertArrayEquals(b("inbox"), md.metadata("INBOX").get("/private/x"));
            md.setMetadata("Work", change("/private/comment", null));
            assertEquals(Set.of("/shared/comment"), md.metadata("Work").keySet());
            mail.rename("Work", "Play");
            assertEquals(Set.of("/shared/comment"), md.metadata("Play").keySet());
            assertThrows(StoreException.class, () -> md.metadata("Work"));
            mail.delete("Play");
            mail.create("Play");
            assertTrue(md.metadata("Play").isEmpty());
            assertThrows(StoreException.class, () -> md.setMetadata("Nope", change("/private/a", b("b"))));
        }
    }

    @Test
    void aTornLineIsSkippedTheRestKept() throws Exception {
        Files.writeString(maildir.resolve(MetadataFile.FOLDER_FILE),
                "posthorn-metadata 1\n/private/a\tYQ==\nbroken line\n/private/b\t!!!\n/private/c\tYw==\n");
        try (UserMail mail = open()) {
            assertEquals(Set.of("/private/a", "/private/c"), ((MetadataMail) mail).metadata("INBOX").keySet());
        }
    }

    @Test
    void mailboxIdIsKeptAcrossRenameAndNewAfterDelete() throws Exception {
        String id;
        try (UserMail mail = open()) {
            mail.create("Lists");
            id = ((ObjectIdMail) mail).mailboxId("Lists");
            assertTrue(FolderAttributes.validId(id), id);
            assertEquals(id, ((ObjectIdMail) mail).mailboxId("Lists"));
            assertNotEquals(id, ((ObjectIdMail) mail).mailboxId("INBOX"));
        }
        try (UserMail mail = open()) {
            assertEquals(id, ((ObjectIdMail) mail).mailboxId("Lists"));
            mail.rename("Lists", "Lists2");
            assertEquals(id, ((ObjectIdMail) mail).mailboxId("Lists2"));
            mail.delete("Lists2");
            mail.create("Lists2");
            assertNotEquals(id, ((ObjectIdMail) mail).mailboxId("Lists2"));
        }
    }

    @Test
    void specialUsesAreListedAndKeptAcrossRename() throws Exception {
        try (UserMail mail = open()) {
            ((SpecialUseMail) mail).create("Entwürfe", Set.of("\\Drafts"));
            ((SpecialUseMail) mail).create("Stuff", Set.of("\\Archive", "\\Flagged"));
            assertThrows(StoreException.class, () -> ((SpecialUseMail) mail).create("Bad", Set.of("\\Important")));
            assertTrue(mail.list().stream().noneMatch(i -> i.name().equals("Bad")));
            mail.rename("Stuff", "Stuff2");
        }
        try (UserMail mail = open()) {
            Map<String, Set<String>> attrs = new HashMap<>();
            for (MailboxInfo i : mail.list()) {
                attrs.put(i.name(), i.attributes());
            }
            assertTrue(attrs.get("Entwürfe").contains("\\Drafts"), attrs.toString());
            assertTrue(attrs.get("Stuff2").containsAll(Set.of("\\Archive", "\\Flagged")), attrs.toString());
        }
    }

    @Test
    void emailIdFollowsMoveNotCopyAndSaveDateIsWhenSaved() throws Exception {
        Instant old = Instant.parse("2020-01-01T10:00:00Z");
        String id;
        long before = Instant.now().getEpochSecond();
        try (UserMail mail = open()) {
            mail.create("Archive");
            try (var box = mail.open("INBOX", false)) {
                long uid = box.append(new ByteArrayInputStream(b("Subject: x\r\n\r\nbody\r\n")), Set.of(), old);
                box.sync();
                id = ((ObjectIdMailbox) box).emailId(uid);
                assertTrue(FolderAttributes.validId(id), id);
                assertNull(((ObjectIdMailbox) box).threadId(uid));
                Instant saved = ((SaveDateMailbox) box).saveDates(List.of(uid)).get(uid);
                assertTrue(saved.getEpochSecond() >= before && saved.isAfter(old), saved.toString());
                Map<Long, Long> copied = box.copy(List.of(uid), "Archive");
                box.move(List.of(uid), "Archive");
                try (var arch = mail.open("Archive", false)) {
                    arch.sync();
                    long copy = copied.get(uid);
                    long moved = arch.messages().stream().mapToLong(m -> m.uid()).filter(u -> u != copy).findFirst()
                            .orElseThrow();
                    assertEquals(id, ((ObjectIdMailbox) arch).emailId(moved));
                    assertNotEquals(id, ((ObjectIdMailbox) arch).emailId(copy));
                }
            }
        }
        try (UserMail mail = open(); var arch = mail.open("Archive", false)) { // after a restart
            arch.sync();
            assertTrue(arch.messages().stream().anyMatch(m -> id.equals(((ObjectIdMailbox) arch).emailId(m.uid()))));
        }
    }

    /** Courier's imapd still reads a folder that carries every one of these files. */
    @Test
    void courierStillReadsTheFolder() throws Exception {
        CourierImapd courier = CourierImapd.find();
        try (UserMail mail = open()) {
            ((SpecialUseMail) mail).create("Sent", Set.of("\\Sent"));
            ((MetadataMail) mail).setMetadata("Sent", change("/private/comment", b("c")));
            ((MetadataMail) mail).setMetadata(null, change("/private/comment", b("c")));
            ((MetadataMail) mail).setMetadata("INBOX", change("/private/comment", b("c")));
            ((ObjectIdMail) mail).mailboxId("INBOX");
            try (var box = mail.open("INBOX", false)) {
                box.append(new ByteArrayInputStream(b("Subject: a\r\n\r\na\r\n")), Set.of(), Instant.now());
                box.sync();
                box.move(List.of(box.messages().get(0).uid()), "Sent");
            }
        }
        String out = courier.session(maildir, Map.of(), "LIST \"\" \"*\"", "SELECT INBOX.Sent", "FETCH 1:* (UID FLAGS)");
        assertTrue(out.contains("INBOX.Sent"), out);
        assertEquals(1, CourierImapd.selections(out).size(), out);
        assertEquals(1, CourierImapd.selections(out).get(0).flags().size(), out);
        assertTrue(!out.contains("posthorn"), out); // none of the files is taken for a folder or a message
    }
}
