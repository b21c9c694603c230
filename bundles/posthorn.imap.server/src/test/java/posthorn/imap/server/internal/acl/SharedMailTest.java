package posthorn.imap.server.internal.acl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.auth.api.UserRecord;
import posthorn.imap.server.internal.MemoryStore;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MailboxInfo;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;
import posthorn.store.api.StoreUser;

/**
 * The shared namespace over the memory store: names to owners (hostile ones never looked up), the
 * index LIST goes by, \Noselect levels, COPY across users, and one session's handles closed with it.
 */
class SharedMailTest {
    final MemoryStore store = new MemoryStore();
    final List<String> lookedUp = new ArrayList<>();
    final SharedIndex index = SharedIndex.inMemory();
    final Set<String> users = Set.of("ann", "bob", "carol", "john.doe");

    SharedMail session(String name) throws StoreException {
        UserRecord u = UserRecord.of(name, null);
        GuardedMail own = new GuardedMail(store.open(new StoreUser(name, null, null, null)), u);
        return new SharedMail(own, u, owner -> {
            lookedUp.add(owner);
            return users.contains(owner) ? store.openShared(new StoreUser(owner, null, null, null)) : null;
        }, index);
    }

    static ByteArrayInputStream msg(String s) {
        return new ByteArrayInputStream(("Subject: " + s + "\r\n\r\nx\r\n").getBytes(StandardCharsets.UTF_8));
    }

    void share(SharedMail owner, String folder, String who, String rights) throws Exception {
        SharedMail.Target t = owner.resolve(folder);
        t.mail().setAcl(t.name(), "user=" + who, Rights.parse(rights));
        owner.aclChanged(t);
    }

    @Test
    void hostileNamesAreNeverLookedUpAndAnswerAsMissing() throws Exception {
        session("ann").create("Projects");
        SharedMail bob = session("bob");
        for (String name : List.of("shared", "shared.", "shared.ann", "shared..INBOX", "shared.../x",
                "shared.a/b.INBOX", "shared.\u0001.INBOX", "shared.ann.Projects", "shared.nobody.INBOX")) {
            StoreException e = assertThrows(StoreException.class, () -> bob.open(name, true), name);
            assertEquals(Reason.NONEXISTENT, e.reason(), name);
        }
        // Only login-shaped names reach the auth chain; "nobody" once (then remembered).
        assertFalse(lookedUp.stream().anyMatch(n -> n.contains("/") || n.isEmpty() || n.equals("..")
                || n.chars().anyMatch(c -> c < 0x20)), lookedUp.toString());
        assertThrows(StoreException.class, () -> bob.open("shared.nobody.INBOX", true));
        assertEquals(1, lookedUp.stream().filter("nobody"::equals).count(), lookedUp.toString());
    }

    @Test
    void ownersWithTheSeparatorAndLevels() throws Exception {
        SharedMail john = session("john.doe");
        john.create("X");
        share(john, "X", "bob", "lr");
        SharedMail bob = session("bob");
        SharedMail.Target t = bob.resolve("shared.john.doe.X");
        assertEquals("john.doe", t.owner());
        assertEquals("X", t.name());
        assertEquals("INBOX", bob.resolve("shared.john.doe.inbox").name());
        assertEquals(List.of("shared", "shared.john.doe", "shared.john.doe.X"),
                bob.list().stream().map(MailboxInfo::name).filter(bob::shared).toList());
        assertEquals(Set.of("\\Noselect", "\\HasChildren"), bob.list().stream()
                .filter(i -> i.name().equals("shared.john.doe")).findFirst().orElseThrow().attributes());
        assertEquals(Reason.CANNOT, assertThrows(StoreException.class, () -> bob.create("shared.ann")).reason());
        // A user's own name in the shared namespace is their own mail.
        assertSame(bob.own(), bob.resolve("shared.bob.INBOX").mail());
    }

    @Test
    void listShowsOnlyWhatTheIndexAndTheRightsAllow() throws Exception {
        SharedMail ann = session("ann");
        ann.create("Projects");
        ann.create("Projects.Sub");
        ann.create("Private");
        share(ann, "Projects", "bob", "lr");
        SharedMail bob = session("bob");
        SharedMail carol = session("carol");
        List<MailboxInfo> list = bob.list();
        // The memory store's Projects.Sub has no ACL of its own, so it has its parent's (the Maildir
        // store writes the parent's list at CREATE instead, as Courier: e2e_shared.py sees that).
        assertEquals(List.of("INBOX", "shared", "shared.ann", "shared.ann.Projects", "shared.ann.Projects.Sub"),
                list.stream().map(MailboxInfo::name).toList());
        assertTrue(list.get(3).attributes().contains("\\HasChildren"), list.toString());
        assertTrue(list.get(4).attributes().contains("\\HasNoChildren"), list.toString());
        assertEquals(List.of("INBOX"), carol.list().stream().map(MailboxInfo::name).toList());
        // Revoked: gone from the index and from LIST.
        SharedMail.Target t = ann.resolve("Projects");
        t.mail().setAcl("Projects", "user=bob", null);
        ann.aclChanged(t);
        assertEquals(List.of("INBOX"), bob.list().stream().map(MailboxInfo::name).toList());
        assertEquals(List.of(), index.ownersFor(Set.of("user=bob"), "bob"));
    }

    @Test
    void copyAcrossUsersKeepsOnlyPermittedFlagsAndRenameStaysWithin() throws Exception {
        SharedMail ann = session("ann");
        ann.create("Drop");
        share(ann, "Drop", "bob", "li");
        SharedMail bob = session("bob");
        try (Mailbox inbox = bob.open("INBOX", false)) {
            inbox.append(msg("for ann"), Set.of("\\Seen", "\\Flagged"), null);
            inbox.sync();
            Map<Long, Long> map = inbox.copy(List.of(1L), "shared.ann.Drop");
            assertEquals(1, map.size());
        }
        try (Mailbox drop = ann.open("Drop", false)) {
            drop.sync();
            assertEquals(Set.of(), drop.messages().get(0).flags()); // bob has neither s nor w there
        }
        assertEquals(Reason.CANNOT, assertThrows(StoreException.class,
                () -> bob.rename("INBOX", "shared.ann.Drop.Mine")).reason());
        // bob may insert but not read: the target's status is not his (no COPYUID, no failure).
        assertEquals(Reason.NOPERM, assertThrows(StoreException.class, () -> bob.status("shared.ann.Drop")).reason());
    }

    @Test
    void indexFileIsOwnerOnlyAndReadBack(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("state/shared-index");
        SharedIndex a = SharedIndex.in(file);
        a.update("ann", Set.of("user=bob", "anyone", "bad\tid"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(List.of("ann\tanyone", "ann\tuser=bob"), Files.readAllLines(file));
        SharedIndex b = SharedIndex.in(file);
        assertEquals(List.of("ann"), b.ownersFor(Set.of("anyone"), "carol"));
        assertEquals(List.of(), b.ownersFor(Set.of("anyone"), "ann"));
        a.update("ann", Set.of());
        assertEquals(List.of(), Files.readAllLines(file));
    }
}
