package posthorn.imap.server.internal.acl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import posthorn.auth.api.UserRecord;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.MemoryStore;
import posthorn.store.api.AclMail;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MailboxInfo;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;
import posthorn.store.api.StoreUser;

/**
 * Two users: ann's mail as bob may use it. Ann shares a folder read-only, then read-write, then
 * revokes it while bob has it open; a folder bob has no l on stays out of his LIST.
 */
class GuardedMailTest {
    final MemoryStore store = new MemoryStore();
    final UserRecord ann = UserRecord.of("ann", null);
    final UserRecord bob = UserRecord.of("bob", null);

    GuardedMail annOwn() throws StoreException {
        return new GuardedMail(store.open(new StoreUser("ann", null, null, null)), ann);
    }

    GuardedMail annAsBob() throws StoreException {
        AclMail m = store.open(new StoreUser("ann", null, null, null));
        return new GuardedMail(m, bob, "ann");
    }

    static ByteArrayInputStream msg(String s) {
        return new ByteArrayInputStream(("Subject: " + s + "\r\n\r\nx\r\n").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readOnlyThenReadWriteThenRevokedWhileOpen() throws Exception {
        GuardedMail owner = annOwn();
        owner.create("INBOX.Team");
        owner.create("INBOX.Private");
        try (Mailbox box = owner.open("INBOX.Team", false)) {
            box.append(msg("one"), Set.of(), null);
        }
        GuardedMail other = annAsBob();
        // Nothing shared yet: bob sees neither folder, and cannot tell that they exist.
        assertEquals(List.of(), other.list().stream().map(MailboxInfo::name).toList());
        assertEquals(Reason.NONEXISTENT,
                assertThrows(StoreException.class, () -> other.open("INBOX.Team", true)).reason());
        assertEquals(Reason.NONEXISTENT, assertThrows(StoreException.class, () -> other.myRights("INBOX.Team")).reason());

        owner.setAcl("INBOX.Team", Identifiers.stored("bob"), Rights.parse("lr"));
        assertEquals(List.of("INBOX.Team"), other.list().stream().map(MailboxInfo::name).toList(),
                "only the folder with l is listed");
        assertEquals("lr", other.myRights("INBOX.Team"));
        try (Mailbox box = other.open("INBOX.Team", false)) {
            box.sync();
            long uid = box.messages().get(0).uid();
            box.openMessage(uid).close();
            assertEquals(Reason.NOPERM, assertThrows(StoreException.class,
                    () -> box.store(List.of(uid), FlagMode.ADD, Set.of(Flags.SEEN))).reason());
            assertEquals(Reason.NOPERM, assertThrows(StoreException.class,
                    () -> box.append(msg("two"), Set.of(), null)).reason());
            assertEquals(Reason.NOPERM, assertThrows(StoreException.class, () -> box.expunge(List.of(uid))).reason());
            assertEquals(Reason.NOPERM, assertThrows(StoreException.class,
                    () -> other.setAcl("INBOX.Team", "user=bob", Rights.parse("lra"))).reason());
            assertEquals(Reason.NOPERM, assertThrows(StoreException.class, () -> other.getAcl("INBOX.Team")).reason());

            // Read-write: the same open handle may now change flags and add messages.
            owner.setAcl("INBOX.Team", Identifiers.stored("bob"), Rights.parse("+siet"));
            assertEquals(Set.of(Flags.SEEN, Flags.DELETED),
                    box.store(List.of(uid), FlagMode.ADD, Set.of(Flags.SEEN, Flags.DELETED)).get(uid));
            box.append(msg("two"), Set.of(Flags.FLAGGED), null);
            assertEquals(List.of(uid), box.expunge(List.of(uid)));

            // Revoked while open: the next operation that needs a right is refused.
            box.sync();
            owner.setAcl("INBOX.Team", Identifiers.stored("bob"), null);
            // Nothing more of the mailbox reaches bob: syncing needs r at every call.
            assertEquals(Reason.NONEXISTENT, assertThrows(StoreException.class, box::sync).reason());
            long second = box.messages().get(0).uid();
            assertEquals(Reason.NONEXISTENT,
                    assertThrows(StoreException.class, () -> box.openMessage(second)).reason());
            assertEquals(Reason.NONEXISTENT, assertThrows(StoreException.class,
                    () -> box.store(List.of(second), FlagMode.ADD, Set.of(Flags.SEEN))).reason());
        }
        assertEquals(List.of(), other.list().stream().map(MailboxInfo::name).toList());
        try (Mailbox box = owner.open("INBOX.Team", false)) {
            box.sync();
            assertEquals(1, box.messages().size());
            assertTrue(!box.messages().get(0).flags().contains(Flags.FLAGGED),
                    "bob had no w when he appended: \\Flagged dropped");
        }
    }

    /**
     * A command that holds the rights (FETCH) reads them once: a revocation by the owner during it counts
     * from the next command on; the rights are read anew once the hold is closed, and a hold taken
     * after the revocation refuses at once.
     */
    @Test
    void heldRightsAreReadOnceAndAgainAfterTheHold() throws Exception {
        GuardedMail owner = annOwn();
        owner.create("INBOX.Team");
        try (Mailbox box = owner.open("INBOX.Team", false)) {
            box.append(msg("one"), Set.of(), null);
        }
        owner.setAcl("INBOX.Team", Identifiers.stored("bob"), Rights.parse("lr"));
        GuardedMail other = annAsBob();
        try (Mailbox box = other.open("INBOX.Team", false)) {
            box.sync();
            long uid = box.messages().get(0).uid();
            GuardedMailbox guarded = (GuardedMailbox) box;
            try (GuardedMailbox.Held outer = guarded.holdRights()) {
                box.openMessage(uid).close();
                owner.setAcl("INBOX.Team", Identifiers.stored("bob"), Rights.parse("l"));
                box.openMessage(uid).close(); // held: the command goes on as it began
                try (GuardedMailbox.Held inner = guarded.holdRights()) {
                    assertEquals("lr", guarded.rights());
                }
                assertEquals("lr", guarded.rights(), "the outer hold still holds");
            }
            assertEquals("l", guarded.rights());
            assertEquals(Reason.NOPERM, assertThrows(StoreException.class, () -> box.openMessage(uid)).reason());
            try (GuardedMailbox.Held again = guarded.holdRights()) {
                assertEquals(Reason.NOPERM, assertThrows(StoreException.class, () -> box.openMessage(uid)).reason());
            }
        }
    }

    @Test
    void negativeRightsAndAnyone() throws Exception {
        GuardedMail owner = annOwn();
        owner.create("INBOX.Pub");
        owner.setAcl("INBOX.Pub", Identifiers.stored("anyone"), Rights.parse("lrs"));
        owner.setAcl("INBOX.Pub", Identifiers.stored("-bob"), Rights.parse("s"));
        assertEquals("lr", annAsBob().myRights("INBOX.Pub"), "ACL2=UNION: granted less revoked");
        // The owner's l and a cannot be taken, neither directly nor through anyone.
        assertEquals(Reason.CANNOT, assertThrows(StoreException.class,
                () -> owner.setAcl("INBOX.Pub", "owner", Rights.parse("-a"))).reason());
        assertEquals(Reason.CANNOT, assertThrows(StoreException.class,
                () -> owner.setAcl("INBOX.Pub", "-anyone", Rights.parse("a"))).reason());
        assertEquals(Reason.CANNOT, assertThrows(StoreException.class,
                () -> owner.setAcl("INBOX.Pub", Identifiers.stored("-ann"), Rights.parse("l"))).reason(),
                "not the owner's stored name either");
    }

    @Test
    void rightsGrammar() throws Exception {
        assertEquals("xte", Rights.parse("d").rights());
        assertEquals("k", Rights.parse("c").rights());
        assertEquals(Rights.Op.ADD, Rights.parse("+l").op());
        assertEquals(Rights.Op.REMOVE, Rights.parse("-").op());
        assertEquals("", Rights.parse("").rights());
        for (String bad : new String[] {"Z", "lr ", "0", "l\u00e4", "+-l", "L"}) {
            assertThrows(ProtocolException.class, () -> Rights.parse(bad), bad);
        }
        assertEquals("lrswikxteacd", Rights.wire("aeiklrstwx"));
        assertEquals("lrtd", Rights.wire("trl"));
        assertEquals("user=bob", Identifiers.stored("bob"));
        assertEquals("-user=bob", Identifiers.stored("-bob"));
        assertEquals("group=administrators", Identifiers.stored("administrators"));
        assertEquals("anyone", Identifiers.stored("anyone"));
        assertEquals("bob", Identifiers.wire("user=bob"));
        assertEquals(null, Identifiers.wire("group=staff"));
        assertThrows(ProtocolException.class, () -> Identifiers.stored("-"));
        for (String bad : new String[] {"a=b", "a b", "a\tb", "a\u0085"}) {
            assertEquals(Reason.CANNOT, assertThrows(StoreException.class, () -> Identifiers.stored(bad)).reason(), bad);
        }
    }
}
