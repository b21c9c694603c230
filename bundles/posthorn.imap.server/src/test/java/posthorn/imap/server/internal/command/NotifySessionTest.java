package posthorn.imap.server.internal.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.server.internal.command.NotifySpec.Event;
import posthorn.imap.server.internal.mime.MimeLimits;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.MailListener;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MailboxInfo;
import posthorn.store.api.MailboxStatus;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.Quota;
import posthorn.store.api.StoreException;
import posthorn.store.api.Watch;
import posthorn.store.api.WatchMail;

/**
 * NOTIFY's event rules (RFC 5465 5, 6), table-like: which mailboxes each filter takes in and for which
 * events, the first matching group deciding; STATUS only when counts change; MailboxName and
 * SubscriptionChange LIST responses only where asked; NOTIFICATIONOVERFLOW at SET and later (3.1, 5.8).
 * The user's mail is a small fake (list, subscriptions, status, the watched set); the real store's
 * watching is WatchMailTest's, the whole path e2e_notify.py's.
 */
class NotifySessionTest {

    /** A user's mail as far as NOTIFY reads it. */
    static final class FakeMail implements WatchMail {
        final Map<String, MailboxStatus> boxes = new LinkedHashMap<>();
        final Set<String> subscribed = new TreeSet<>();
        final List<Set<String>> watches = new ArrayList<>();
        int open;
        /** Run once at the start or the end of the next listing: what another session does meanwhile. */
        Runnable beforeList;
        Runnable afterList;

        FakeMail(String... names) {
            for (String n : names) {
                boxes.put(n, new MailboxStatus(0, 0, 1, 7, 0, 0));
            }
        }

        @Override
        public Watch watchMail(Set<String> mailboxes, MailListener listener) {
            watches.add(Set.copyOf(mailboxes));
            open++;
            return () -> open--;
        }

        @Override
        public char separator() {
            return '.';
        }

        @Override
        public List<MailboxInfo> list() {
            Runnable r = beforeList;
            beforeList = null;
            if (r != null) {
                r.run();
            }
            List<MailboxInfo> out = new ArrayList<>();
            boxes.keySet().forEach(n -> out.add(new MailboxInfo(n, Set.of("\\HasNoChildren"))));
            r = afterList;
            afterList = null;
            if (r != null) {
                r.run();
            }
            return out;
        }

        @Override
        public List<String> subscriptions() {
            return List.copyOf(subscribed);
        }

        @Override
        public void subscribe(String name, boolean on) {
            if (on) {
                subscribed.add(name);
            } else {
                subscribed.remove(name);
            }
        }

        @Override
        public Mailbox open(String name, boolean readOnly) throws StoreException {
            throw new StoreException(StoreException.Reason.CANNOT, "not in this fake");
        }

        @Override
        public MailboxStatus status(String name) throws StoreException {
            MailboxStatus s = boxes.get(name);
            if (s == null) {
                throw new StoreException(StoreException.Reason.NONEXISTENT, name);
            }
            return s;
        }

        @Override
        public void create(String name) {
            boxes.put(name, new MailboxStatus(0, 0, 1, 7, 0, 0));
        }

        @Override
        public void delete(String name) {
            boxes.remove(name);
        }

        @Override
        public void rename(String from, String to) {
            boxes.put(to, boxes.remove(from));
        }

        @Override
        public List<Quota> quota() {
            return List.of();
        }

        @Override
        public MessageUpload upload() throws StoreException {
            throw new StoreException(StoreException.Reason.CANNOT, "not in this fake");
        }

        @Override
        public void close() {
        }
    }

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final ResponseWriter out = new ResponseWriter(bytes);
    private final SessionState.Authenticated state = new SessionState.Authenticated(null, null);
    private int wakes;

    private NotifySession session(FakeMail mail, String args, int max) throws Exception {
        NotifySpec spec = NotifySpec.parse(new ArgReader(args.getBytes(StandardCharsets.UTF_8)));
        return new NotifySession(spec, new ClientNames(MailboxNameCodec.MODIFIED_UTF7, PersonalNamespace.of("")),
                mail, mail, max, new MimeLimits(100, 10_000), () -> wakes++);
    }

    /** CONDSTORE on or off for the session (RFC 7162 3.1), and each mailbox's HIGHESTMODSEQ. */
    private boolean condStore;
    private final Map<String, Long> modSeqs = new LinkedHashMap<>();

    private NotifySession flagSession(FakeMail mail, String args) throws Exception {
        NotifySession n = session(mail, args, 100);
        n.condStore(() -> condStore, name -> modSeqs.getOrDefault(name, 1L));
        return n;
    }

    private String written() throws IOException {
        out.flush();
        String s = bytes.toString(StandardCharsets.UTF_8);
        bytes.reset();
        return s;
    }

    private String deliver(NotifySession n) throws Exception {
        assertTrue(n.deliver(out, state, false, (s, allow) -> { }));
        return written();
    }

    @Test
    void eachFilterTakesInItsMailboxesAndTheFirstGroupDecides() throws Exception {
        FakeMail mail = new FakeMail("INBOX", "Lists", "Work", "Work.a", "Workshop", "Other");
        mail.subscribed.add("Workshop");
        NotifySession n = session(mail, "SET (selected (MessageNew MessageExpunge)) "
                + "(mailboxes (INBOX Lists Nowhere) (MessageNew MessageExpunge)) "
                + "(subtree Work (MessageNew MessageExpunge FlagChange)) "
                + "(subscribed (MessageNew MessageExpunge)) (personal NONE)", 100);
        n.start(out, state);
        Map<String, Set<Event>> w = n.resolve();
        assertEquals(Set.of("INBOX", "Lists", "Work", "Work.a", "Workshop"), w.keySet(), "Other: personal NONE");
        assertEquals(Set.of(Event.MESSAGE_NEW, Event.MESSAGE_EXPUNGE, Event.FLAG_CHANGE), w.get("Work.a"));
        assertEquals(Set.of(Event.MESSAGE_NEW, Event.MESSAGE_EXPUNGE), w.get("Workshop"));
        assertEquals(List.of(Set.of("INBOX", "Lists", "Work", "Work.a", "Workshop")), mail.watches);
        assertEquals("", written(), "no STATUS without the STATUS indicator");
    }

    @Test
    void inboxesIsInboxAndStatusIndicatorReportsEachWatchedMailbox() throws Exception {
        FakeMail mail = new FakeMail("INBOX", "Lists");
        NotifySession n = session(mail, "SET STATUS (inboxes (MessageNew MessageExpunge))", 100);
        n.start(out, state);
        assertEquals("* STATUS INBOX (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 7 UNSEEN 0)\r\n", written());
    }

    @Test
    void statusOnlyWhenMessagesCameOrWent() throws Exception {
        FakeMail mail = new FakeMail("INBOX", "Lists");
        NotifySession n = session(mail, "SET (personal (MessageNew MessageExpunge))", 100);
        n.start(out, state);
        n.messagesChanged("Lists");
        assertTrue(n.pending());
        assertEquals("", deliver(n), "a notice with nothing changed says nothing");
        mail.boxes.put("Lists", new MailboxStatus(1, 1, 2, 7, 1, 10));
        n.messagesChanged("Lists");
        assertEquals("* STATUS Lists (UIDNEXT 2 MESSAGES 1)\r\n", deliver(n));
        mail.boxes.put("Lists", new MailboxStatus(1, 0, 2, 7, 0, 10)); // a flag change only
        n.messagesChanged("Lists");
        assertEquals("", deliver(n), "no FlagChange asked");
        mail.boxes.put("Lists", new MailboxStatus(0, 0, 5, 9, 0, 0));
        n.messagesChanged("Lists");
        assertEquals("* STATUS Lists (UIDVALIDITY 9 UIDNEXT 5 MESSAGES 0)\r\n", deliver(n));
        assertFalse(n.pending());
    }

    /**
     * RFC 5465 5.1, FlagChange in a mailbox not selected, with CONDSTORE on: STATUS with UIDVALIDITY and
     * HIGHESTMODSEQ when that moved, UNSEEN when the unseen count changed too; HIGHESTMODSEQ in the
     * STATUS indicator's answer (3.1) and in the STATUS of new mail; nothing while it stands still.
     */
    @Test
    void flagChangeElsewhereIsHighestModSeqWithCondStore() throws Exception {
        FakeMail mail = new FakeMail("INBOX", "Lists", "Quiet");
        condStore = true;
        modSeqs.put("Lists", 4L);
        NotifySession n = flagSession(mail, "SET STATUS (mailboxes Lists (MessageNew MessageExpunge FlagChange)) "
                + "(mailboxes Quiet (MessageNew MessageExpunge))");
        n.start(out, state);
        assertEquals("* STATUS Lists (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 7 UNSEEN 0 HIGHESTMODSEQ 4)\r\n"
                + "* STATUS Quiet (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 7 UNSEEN 0)\r\n", written());
        record Step(String what, MailboxStatus status, long modSeq, String told) {
        }
        List<Step> steps = List.of(
                new Step("a notice, nothing moved", new MailboxStatus(0, 0, 1, 7, 0, 0), 4, ""),
                new Step("a message came", new MailboxStatus(1, 1, 2, 7, 1, 10), 5,
                        "* STATUS Lists (UIDNEXT 2 MESSAGES 1 UNSEEN 1 HIGHESTMODSEQ 5)\r\n"),
                new Step("\\Flagged set: HIGHESTMODSEQ only", new MailboxStatus(1, 0, 2, 7, 1, 10), 6,
                        "* STATUS Lists (UIDVALIDITY 7 HIGHESTMODSEQ 6)\r\n"),
                new Step("\\Seen set: UNSEEN too", new MailboxStatus(1, 0, 2, 7, 0, 10), 7,
                        "* STATUS Lists (UIDVALIDITY 7 HIGHESTMODSEQ 7 UNSEEN 0)\r\n"),
                new Step("a spurious notice", new MailboxStatus(1, 0, 2, 7, 0, 10), 7, ""));
        for (Step step : steps) {
            mail.boxes.put("Lists", step.status());
            modSeqs.put("Lists", step.modSeq());
            n.messagesChanged("Lists");
            assertEquals(step.told(), deliver(n), step.what());
        }
        mail.boxes.put("Quiet", new MailboxStatus(0, 0, 1, 7, 3, 0));
        modSeqs.put("Quiet", 9L);
        n.messagesChanged("Quiet");
        assertEquals("", deliver(n), "Quiet's group asks no FlagChange");
        assertFalse(n.pending());
    }

    /**
     * RFC 5465 5.1 without CONDSTORE: a change of the unseen count is told with UNSEEN (the server "MAY
     * also include the UNSEEN data item"), any other flag change is not ("the server does not notify").
     * CONDSTORE turned on after NOTIFY SET (a CONDSTORE enabling command) brings HIGHESTMODSEQ in; a
     * mailbox without MODSEQs (NOMODSEQ, 0) stays with UNSEEN.
     */
    @Test
    void flagChangeElsewhereWithoutCondStoreIsUnseenOnly() throws Exception {
        FakeMail mail = new FakeMail("INBOX", "Lists", "NoModSeq");
        modSeqs.put("NoModSeq", 0L);
        NotifySession n = flagSession(mail, "SET (personal (MessageNew MessageExpunge FlagChange))");
        n.start(out, state);
        mail.boxes.put("Lists", new MailboxStatus(2, 0, 3, 7, 0, 0)); // two messages came, seen already
        n.messagesChanged("Lists");
        assertEquals("* STATUS Lists (UIDNEXT 3 MESSAGES 2 UNSEEN 0)\r\n", deliver(n), "no HIGHESTMODSEQ without CONDSTORE");
        mail.boxes.put("Lists", new MailboxStatus(2, 0, 3, 7, 1, 0)); // \Seen cleared
        n.messagesChanged("Lists");
        assertEquals("* STATUS Lists (UIDVALIDITY 7 UNSEEN 1)\r\n", deliver(n));
        n.messagesChanged("Lists"); // \Flagged set: nothing a client without CONDSTORE can be told
        assertEquals("", deliver(n));

        condStore = true;
        modSeqs.put("Lists", 12L);
        n.messagesChanged("Lists");
        assertEquals("* STATUS Lists (UIDVALIDITY 7 HIGHESTMODSEQ 12)\r\n", deliver(n), "the first with CONDSTORE on");
        n.messagesChanged("Lists");
        assertEquals("", deliver(n));

        n.messagesChanged("NoModSeq");
        assertEquals("", deliver(n), "NOMODSEQ: only UNSEEN can tell, and it stood still");
        mail.boxes.put("NoModSeq", new MailboxStatus(0, 0, 1, 7, 1, 0));
        n.messagesChanged("NoModSeq");
        assertEquals("* STATUS NoModSeq (UIDVALIDITY 7 UNSEEN 1)\r\n", deliver(n), "NOMODSEQ: UNSEEN tells");
    }

    /**
     * RFC 5465 5.6 and 5.7 with RFC 5464 4.4.2: an unsolicited METADATA response naming the changed
     * entries, for a mailbox only where its (first matching) group asks MailboxMetadataChange, for the
     * server ("") where any group asks ServerMetadataChange; changes coalesce by entry between rounds;
     * NOTIFY NONE (close) stops listening.
     */
    @Test
    void metadataChangesAreToldWhereAsked() throws Exception {
        FakeMail mail = new FakeMail("INBOX", "Work", "Other", "Sp ace");
        MetadataNotices notices = new MetadataNotices();
        NotifySession n = session(mail, "SET (mailboxes Other (MessageNew MessageExpunge)) "
                + "(personal (MailboxMetadataChange ServerMetadataChange))", 100);
        n.metadata(notices, "alice");
        n.start(out, state);
        assertEquals("", written());
        record Step(String user, String mailbox, List<String> entries, String told) {
        }
        List<Step> steps = List.of(
                new Step("alice", "INBOX", List.of("/private/comment"), "* METADATA INBOX /private/comment\r\n"),
                new Step("alice", null, List.of("/private/vendor/x/motd"), "* METADATA \"\" /private/vendor/x/motd\r\n"),
                new Step("alice", "Sp ace", List.of("/shared/comment", "/private/comment"),
                        "* METADATA \"Sp ace\" /shared/comment /private/comment\r\n"),
                new Step("alice", "Other", List.of("/shared/comment"), ""), // Other's group asks no metadata
                new Step("alice", "Nowhere", List.of("/shared/comment"), ""), // no such mailbox (deleted since)
                new Step("bob", "INBOX", List.of("/private/comment"), "")); // another user's entries
        for (Step step : steps) {
            notices.changed(step.user(), step.mailbox(), step.entries());
            assertEquals(!step.user().equals("bob"), n.pending(), step.toString());
            assertEquals(step.told(), deliver(n), step.toString());
        }
        notices.changed("alice", "Work", List.of("/private/a"));
        notices.changed("alice", "Work", List.of("/private/b", "/private/a"));
        notices.changed("alice", null, List.of("/private/c"));
        assertEquals("* METADATA Work /private/a /private/b\r\n* METADATA \"\" /private/c\r\n", deliver(n),
                "coalesced by entry, in the order first told");
        assertEquals(1, notices.users());
        n.close();
        assertEquals(0, notices.users(), "NOTIFY NONE leaves no listener behind");
        notices.changed("alice", "INBOX", List.of("/private/comment"));
        assertFalse(n.pending());
    }

    /** RFC 5465 5.8: a session that falls too far behind on METADATA changes gets NOTIFICATIONOVERFLOW. */
    @Test
    void tooManyPendingMetadataChangesEndTheNotifications() throws Exception {
        FakeMail mail = new FakeMail("INBOX");
        MetadataNotices notices = new MetadataNotices();
        NotifySession n = session(mail, "SET (personal (MailboxMetadataChange))", 100);
        n.metadata(notices, "alice");
        n.start(out, state);
        for (int i = 0; i < NotifySession.MAX_PENDING_METADATA; i++) {
            notices.changed("alice", "INBOX", List.of("/private/same"));  // coalesced: one pending
        }
        for (int i = 0; i <= NotifySession.MAX_PENDING_METADATA; i++) {
            notices.changed("alice", "INBOX", List.of("/private/e" + i));
        }
        assertTrue(n.pending());
        assertFalse(n.deliver(out, state, false, (s, allow) -> { }), "NOTIFY ends (5.8)");
        assertEquals("* OK [NOTIFICATIONOVERFLOW] Too many METADATA changes; notifications are off\r\n", written());
        assertEquals(0, notices.users(), "no listener left behind");
        assertEquals(0, mail.open, "every watch closed");
    }

    @Test
    void serverMetadataChangeOnlyWhenAsked() throws Exception {
        FakeMail mail = new FakeMail("INBOX");
        MetadataNotices notices = new MetadataNotices();
        NotifySession n = session(mail, "SET (subtree Nothing (ServerMetadataChange)) (personal (MailboxMetadataChange))", 100);
        n.metadata(notices, "alice");
        n.start(out, state);
        notices.changed("alice", null, List.of("/private/x"));
        notices.changed("alice", "INBOX", List.of("/private/y"));
        assertEquals("* METADATA \"\" /private/x\r\n* METADATA INBOX /private/y\r\n", deliver(n),
                "ServerMetadataChange is about no mailbox: any group that asks it has it");
        NotifySession m = session(mail, "SET (personal (MailboxMetadataChange))", 100);
        m.metadata(notices, "alice");
        m.start(out, state);
        notices.changed("alice", null, List.of("/private/x"));
        assertEquals("", deliver(m), "no group asks ServerMetadataChange");
        m.close();
        n.close();
    }

    @Test
    void mailboxNameAndSubscriptionChangeOnlyWhereAsked() throws Exception {
        FakeMail mail = new FakeMail("INBOX", "Work");
        NotifySession n = session(mail, "SET (subtree Work (MessageNew MessageExpunge MailboxName)) "
                + "(personal (SubscriptionChange))", 100);
        n.start(out, state);
        mail.create("Work.new");
        mail.create("Elsewhere");
        n.mailboxesChanged();
        assertEquals("* LIST (\\HasNoChildren) \".\" Work.new\r\n", deliver(n), "Elsewhere: not under Work");
        assertTrue(mail.watches.get(mail.watches.size() - 1).contains("Work.new"), "the new one is watched too");
        assertEquals(1, mail.open, "the old watch was closed");
        mail.rename("Work.new", "Work.newer");
        n.mailboxRenamed("Work.new", "Work.newer");
        assertEquals("* LIST (\\HasNoChildren) \".\" Work.newer (\"OLDNAME\" (Work.new))\r\n", deliver(n));
        mail.delete("Work.newer");
        n.mailboxesChanged();
        assertEquals("* LIST (\\NonExistent) \".\" Work.newer\r\n", deliver(n));
        mail.subscribe("Elsewhere", true);
        n.subscriptionsChanged();
        assertEquals("* LIST (\\HasNoChildren \\Subscribed) \".\" Elsewhere\r\n", deliver(n));
        mail.subscribe("Work", true);
        n.subscriptionsChanged();
        assertEquals("", deliver(n), "Work's group asks no SubscriptionChange, and it decides for Work");
    }

    /**
     * A rename told while the session lists the hierarchy (another session renames meanwhile) is one
     * LIST with OLDNAME, never a \\NonExistent and a creation: whether the listing already shows it
     * (the store tells a rename before any listing shows it) or was taken just before it.
     */
    @Test
    void aRenameToldWhileListingIsOneEvent() throws Exception {
        FakeMail mail = new FakeMail("INBOX", "Fresh", "Other");
        NotifySession n = session(mail, "SET (personal (MailboxName))", 100);
        n.start(out, state);
        String renamed = "* LIST (\\HasNoChildren) \".\" Renamed (\"OLDNAME\" (Fresh))\r\n";

        // the listing shows the rename, whose notice came in while it ran
        mail.create("Other.new");
        n.mailboxesChanged();
        mail.beforeList = () -> {
            mail.rename("Fresh", "Renamed");
            n.mailboxRenamed("Fresh", "Renamed");
        };
        assertEquals("* LIST (\\HasNoChildren) \".\" Other.new\r\n" + renamed, sortLines(deliver(n)));
        assertEquals("", deliver(n));

        // the listing was taken just before the rename: it is told after the next listing
        mail.create("Third");
        n.mailboxesChanged();
        mail.afterList = () -> {
            mail.rename("Renamed", "Again");
            n.mailboxRenamed("Renamed", "Again");
            n.mailboxesChanged();
        };
        assertEquals("* LIST (\\HasNoChildren) \".\" Third\r\n", deliver(n));
        assertEquals("* LIST (\\HasNoChildren) \".\" Again (\"OLDNAME\" (Renamed))\r\n", deliver(n));
        assertEquals("", deliver(n));

        // renamed back and forth before a listing: both renames, in order, nothing else
        mail.afterList = () -> {
            mail.rename("Again", "Back");
            n.mailboxRenamed("Again", "Back");
            mail.rename("Back", "Again");
            n.mailboxRenamed("Back", "Again");
        };
        n.mailboxesChanged();
        assertEquals("", deliver(n), "the listing came before both");
        assertEquals("* LIST (\\HasNoChildren) \".\" Back (\"OLDNAME\" (Again))\r\n"
                + "* LIST (\\HasNoChildren) \".\" Again (\"OLDNAME\" (Back))\r\n", deliver(n));
        assertEquals("", deliver(n));
    }

    private static String sortLines(String s) {
        return String.join("", new TreeSet<>(List.of(s.split("(?<=\r\n)"))));
    }

    @Test
    void overflowRefusesTheSetAndLaterEndsTheNotifications() throws Exception {
        FakeMail mail = new FakeMail("INBOX", "A", "B");
        assertThrows(NotifySession.Overflow.class,
                () -> session(mail, "SET (personal (MessageNew MessageExpunge))", 2).start(out, state));
        NotifySession n = session(mail, "SET (subtree A (MessageNew MessageExpunge))", 2);
        n.start(out, state);
        mail.create("A.1");
        mail.create("A.2");
        n.mailboxesChanged();
        assertFalse(n.deliver(out, state, false, (s, allow) -> { }), "NOTIFY ends (5.8)");
        assertEquals("* OK [NOTIFICATIONOVERFLOW] Too many mailboxes to watch; notifications are off\r\n", written());
        assertEquals(0, mail.open, "every watch closed");
    }
}
