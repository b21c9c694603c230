package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

/**
 * The same Maildir under Courier-IMAP's own imapd and under this store, both ways: UIDVALIDITY, UIDs,
 * flags, keywords, folder names, subscriptions, ACLs and quota must agree.
 */
class CourierCompatibilityTest {
    static final String ENTWUERFE = "\"INBOX.Entw&APw-rfe\"";

    @TempDir
    Path home;
    Path maildir;
    CourierImapd courier;

    @BeforeEach
    void setUp() throws Exception {
        courier = CourierImapd.find();
        maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
    }

    @AfterEach
    void resetMerge() {
        CourierKeywords.mergeAt = 64;
    }

    static String msg(String subject) {
        return "From: a@example.org\r\nSubject: " + subject + "\r\n\r\nbody of " + subject + "\r\n";
    }

    static Map<Long, Set<String>> ours(Mailbox box) {
        Map<Long, Set<String>> m = new TreeMap<>();
        for (MessageMeta meta : box.messages()) {
            m.put(meta.uid(), new TreeSet<>(meta.flags()));
        }
        return m;
    }

    @Test
    void whatCourierWroteReadsTheSameHere() throws Exception {
        courier.session(maildir, Map.of(),
                "CREATE INBOX.Sent",
                "CREATE " + ENTWUERFE,
                CourierImapd.append("INBOX", "\\Seen", msg("one")),
                CourierImapd.append("INBOX", "", msg("two")),
                CourierImapd.append("INBOX", "\\Flagged", msg("three")),
                CourierImapd.append(ENTWUERFE, "\\Draft", msg("draft")),
                "SELECT INBOX",
                "STORE 1 +FLAGS (foo $Junk)",
                "STORE 2 +FLAGS (\\Answered bar)",
                "STORE 3 +FLAGS (\\Deleted)",
                "EXPUNGE",
                "COPY 1 " + ENTWUERFE,
                "SUBSCRIBE " + ENTWUERFE,
                "SETACL INBOX.Sent bob lr");
        // An MDA delivers; Courier numbers it on its next SELECT.
        Files.writeString(maildir.resolve("tmp/1700000000.M1P1.mda"), "Subject: delivered\n\nhi\n");
        Files.move(maildir.resolve("tmp/1700000000.M1P1.mda"), maildir.resolve("new/1700000000.M1P1.mda"));
        String out = courier.session(maildir, Map.of(),
                "SELECT INBOX", "FETCH 1:* (UID FLAGS)", "SELECT " + ENTWUERFE, "FETCH 1:* (UID FLAGS)");
        List<CourierImapd.Selected> seen = CourierImapd.selections(out);
        assertEquals(2, seen.size(), out);
        assertEquals(Set.of(1L, 2L, 4L), seen.get(0).flags().keySet(), out);
        assertEquals(Set.of("\\Seen", "$Junk", "foo"), seen.get(0).flags().get(1L), out);

        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        try (UserMail mail = store.open(new StoreUser("alice", home, null, null))) {
            assertEquals(List.of("INBOX", "Entwürfe", "Sent"),
                    mail.list().stream().map(MailboxInfo::name).toList());
            assertEquals(List.of("Entwürfe"), mail.subscriptions());
            assertEquals("lr", CourierAcl.read(maildir.resolve(".Sent")).get("user=bob"));
            String[] names = {"INBOX", "Entwürfe"};
            for (int i = 0; i < names.length; i++) {
                try (Mailbox box = mail.open(names[i], false)) {
                    box.sync();
                    assertEquals(seen.get(i).uidValidity(), box.uidValidity(), names[i]);
                    assertEquals(seen.get(i).flags(), ours(box), names[i]);
                }
            }
            try (Mailbox box = mail.open("INBOX", false)) {
                box.sync();
                assertTrue(box.keywords().containsAll(Set.of("foo", "$Junk", "bar")), box.keywords().toString());
                assertEquals(5, box.uidNext());
            }
        }
    }

    @Test
    void whatThisStoreWroteReadsTheSameInCourier() throws Exception {
        CourierKeywords.mergeAt = 2; // also write Courier's :list, not only update files
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        Map<Long, Set<String>> inbox;
        Map<Long, Set<String>> sent;
        Map<Long, Set<String>> drafts;
        long[] validity = new long[3];
        long inboxNext;
        try (UserMail mail = store.open(new StoreUser("alice", home, null, null))) {
            mail.create("Entwürfe");
            mail.create("Sent");
            try (Mailbox box = mail.open("INBOX", false)) {
                Instant t = Instant.parse("2024-05-06T07:08:09Z");
                long a = box.append(in(msg("a")), Set.of(Flags.SEEN), t);
                long b = box.append(in(msg("b")), Set.of("Work", "$Label1"), t);
                long c = box.append(in(msg("c")), Set.of(Flags.FLAGGED), t);
                long d = box.append(in(msg("d")), Set.of(), t);
                box.sync();
                box.store(List.of(a), FlagMode.ADD, Set.of("Later", Flags.ANSWERED));
                box.store(List.of(c), FlagMode.ADD, Set.of(Flags.DELETED));
                box.expunge(List.of(c));
                box.copy(List.of(b), "Entwürfe");
                box.move(List.of(a), "Sent");
                box.store(List.of(d), FlagMode.REPLACE, Set.of("Only"));
                Files.writeString(maildir.resolve("tmp/1700000000.M1P1.mda"), "Subject: delivered\n\nhi\n");
                Files.move(maildir.resolve("tmp/1700000000.M1P1.mda"), maildir.resolve("new/1700000000.M1P1.mda"));
                box.sync();
                box.sync();
                inbox = ours(box);
                validity[0] = box.uidValidity();
                inboxNext = box.uidNext();
            }
            try (Mailbox box = mail.open("Sent", false)) {
                box.sync();
                sent = ours(box);
                validity[1] = box.uidValidity();
            }
            try (Mailbox box = mail.open("Entwürfe", false)) {
                box.sync();
                drafts = ours(box);
                validity[2] = box.uidValidity();
            }
            mail.subscribe("Entwürfe", true);
            CourierAcl.write(maildir, maildir.resolve(".Sent"),
                    Map.of("owner", "aceilrstwx", "administrators", "aceilrstwx", "user=carol", "lrs"));
        }
        assertTrue(Files.exists(maildir.resolve("courierimapkeywords/:list")), "a merged :list was written");
        assertEquals(Set.of("Only"), inbox.get(4L));
        String out = courier.session(maildir, Map.of(),
                "SELECT INBOX", "FETCH 1:* (UID FLAGS)",
                "SELECT INBOX.Sent", "FETCH 1:* (UID FLAGS)",
                "SELECT " + ENTWUERFE, "FETCH 1:* (UID FLAGS)",
                "LSUB \"\" \"*\"", "GETACL INBOX.Sent",
                CourierImapd.append("INBOX", "", msg("after")));
        List<CourierImapd.Selected> seen = CourierImapd.selections(out);
        assertEquals(3, seen.size(), out);
        assertEquals(validity[0], seen.get(0).uidValidity(), out);
        assertEquals(inbox, seen.get(0).flags(), out);
        assertEquals(validity[1], seen.get(1).uidValidity(), out);
        assertEquals(sent, seen.get(1).flags(), out);
        assertEquals(validity[2], seen.get(2).uidValidity(), out);
        assertEquals(drafts, seen.get(2).flags(), out);
        assertTrue(out.contains("* LSUB (") && out.contains("\"INBOX.Entw&APw-rfe\""), out);
        assertTrue(out.contains("\"carol\" \"lrs\""), out);
        Matcher m = Pattern.compile("APPENDUID (\\d+) (\\d+)").matcher(out);
        assertTrue(m.find(), out);
        assertEquals(validity[0], Long.parseLong(m.group(1)));
        assertEquals(inboxNext, Long.parseLong(m.group(2)), "Courier continues our UIDs");
    }

    @Test
    void aclsAgreeWithCourierBothWays() throws Exception {
        courier.session(maildir, Map.of(), "CREATE INBOX.Sent", "SETACL INBOX.Sent bob lrswd",
                "SETACL INBOX.Sent -eve r");
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        try (posthorn.store.api.AclMail mail = store.open(new StoreUser("alice", home, null, null))) {
            List<posthorn.store.api.AclEntry> acl = mail.acl("Sent");
            assertTrue(acl.contains(new posthorn.store.api.AclEntry("user=bob", "elrstwx")), acl.toString());
            assertTrue(acl.contains(new posthorn.store.api.AclEntry("-user=eve", "r")), acl.toString());
            assertTrue(acl.contains(new posthorn.store.api.AclEntry("owner", CourierAcl.ALL)), acl.toString());
            mail.setAcl("Sent", "user=carol", "klr");
            mail.setAcl("Sent", "-user=eve", null);
            assertEquals(Set.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE),
                    Files.getPosixFilePermissions(maildir.resolve(".Sent/" + CourierAcl.FILE)));
            mail.create("Sent.Old");
        }
        String out = courier.session(maildir, Map.of(), "GETACL INBOX.Sent", "GETACL INBOX.Sent.Old",
                "MYRIGHTS INBOX.Sent");
        assertTrue(out.contains("\"carol\" \"clr\""), out);
        assertTrue(out.contains("\"bob\" \"dlrsw\""), out);
        assertTrue(!out.contains("eve"), out);
        assertTrue(out.contains("* ACL \"INBOX.Sent.Old\" \"owner\" \"acdilrsw\" \"administrators\" \"acdilrsw\" \"bob\""),
                "a new folder inherits its parent's ACL, as Courier's CREATE does: " + out);
    }

    @Test
    void garbageInAclFilesIsSkipped() throws Exception {
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        try (posthorn.store.api.AclMail mail = store.open(new StoreUser("alice", home, null, null))) {
            mail.create("G");
            Path file = maildir.resolve(".G/" + CourierAcl.FILE);
            Files.write(file, new byte[] {(byte) 0xff, (byte) 0xfe, ' ', 'l', '\n', '\n', ' ', 'r', '\n', 1, 2, '\n',
                    'o', 'w', 'n', 'e', 'r', ' ', 'a', 'l', 'r', '\r', '\n', 'u', 's', 'e', 'r', '=', 'x', '\n'});
            assertEquals(List.of(new posthorn.store.api.AclEntry("owner", "alr"),
                    new posthorn.store.api.AclEntry("user=x", ""),
                    new posthorn.store.api.AclEntry("administrators", CourierAcl.ALL)), mail.acl("G"));
            Files.write(file, new byte[] {0, 0, (byte) 0xc3, '\n', '\t', 'x'});
            assertEquals(mail.acl("INBOX"), mail.acl("G"), "nothing valid: as if there were no file");
            assertThrows(StoreException.class, () -> mail.setAcl("G", "a b", "l"));
            assertThrows(StoreException.class, () -> mail.setAcl("G", "", "l"));
            assertEquals(Reason.NONEXISTENT,
                    assertThrows(StoreException.class, () -> mail.acl("Nope")).reason());
        }
    }

    @Test
    void quotaIsSharedWithCourier() throws Exception {
        String quota = "1000000S,4C";
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        StoreUser user = new StoreUser("alice", home, null, quota);
        try (UserMail mail = store.open(user); Mailbox box = mail.open("INBOX", false)) {
            box.append(in(msg("1")), Set.of(), null);
            box.append(in(msg("2")), Set.of(), null);
            assertEquals(2, mail.quota().get(0).messagesUsed());
        }
        String out = courier.session(maildir, Map.of("MAILDIRQUOTA", quota),
                CourierImapd.append("INBOX", "", msg("3")), "GETQUOTAROOT INBOX");
        assertTrue(out.contains("MESSAGE 3 4"), out);
        try (UserMail mail = store.open(user); Mailbox box = mail.open("INBOX", false)) {
            Quota q = mail.quota().get(0);
            assertEquals(3, q.messagesUsed());
            assertEquals(4, q.messagesLimit());
            box.append(in(msg("4")), Set.of(), null);
            StoreException e = assertThrows(StoreException.class, () -> box.append(in(msg("5")), Set.of(), null));
            assertEquals(Reason.OVERQUOTA, e.reason());
            box.sync();
            assertEquals(4, box.messages().size(), "the refused message is not in the mailbox");
            box.store(List.of(box.messages().get(0).uid()), FlagMode.ADD, Set.of(Flags.DELETED));
            box.expunge(List.of(box.messages().get(0).uid()));
            assertEquals(3, mail.quota().get(0).messagesUsed());
        }
        String after = courier.session(maildir, Map.of("MAILDIRQUOTA", quota), "GETQUOTAROOT INBOX");
        assertTrue(after.contains("MESSAGE 3 4"), after);
    }

    static ByteArrayInputStream in(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }
}
