package posthorn.imap.server.internal.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static posthorn.imap.server.internal.state.ScriptedMailbox.message;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.SequenceSet;
import posthorn.store.api.Change;
import posthorn.store.api.Flags;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;

/**
 * The session's view of its selected mailbox: sequence numbers to UIDs, EXPUNGE held back while a
 * command uses sequence numbers (RFC 3501 7.4.1), EXISTS/RECENT/EXPUNGE numbering, and the saved
 * search result "$" (RFC 5182).
 */
class SelectedMailboxTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final ResponseWriter out = new ResponseWriter(bytes);

    /** UIDs 10, 20, 30, 40, 50; 40 and 50 recent, 10 seen. */
    private final ScriptedMailbox box = new ScriptedMailbox("INBOX", false).holding(
            message(10, false, Flags.SEEN), message(20, false), message(30, false), message(40, true),
            message(50, true));

    private List<String> responses() throws IOException {
        out.flush();
        List<String> lines = new String(bytes.toByteArray(), StandardCharsets.US_ASCII).lines().toList();
        bytes.reset();
        return lines;
    }

    private static SequenceSet set(String text) throws ProtocolException {
        return SequenceSet.parse(text);
    }

    @Test
    void theFirstViewNumbersTheMessagesInUidOrderAndReportsNothing() throws Exception {
        SelectedMailbox view = SelectedMailbox.open(box);
        assertEquals(5, view.exists());
        assertEquals(2, view.recentCount());
        assertEquals(10, view.uidAt(1));
        assertEquals(50, view.uidAt(5));
        assertEquals(3, view.seqOf(30));
        assertEquals(0, view.seqOf(35));
        assertEquals(2, view.firstUnseen());
        assertTrue(view.isRecent(40));
        view.sync(out, true);
        assertEquals(List.of(), responses(), "nothing changed since the view was read");
    }

    @Test
    void newMessagesAreReportedAsExistsWithRecent() throws Exception {
        box.then(new Change.Added(message(60, true)), new Change.Added(message(70, false)));
        SelectedMailbox view = SelectedMailbox.open(box);
        view.sync(out, true);
        assertEquals(List.of("* 7 EXISTS", "* 3 RECENT"), responses());
        assertEquals(7, view.seqOf(70));
    }

    @Test
    void noRecentForAnImap4rev2Client() throws Exception {
        box.then(new Change.Added(message(60, true)));
        SelectedMailbox view = SelectedMailbox.open(box);
        view.recentResponses(false);
        view.sync(out, true);
        assertEquals(List.of("* 6 EXISTS"), responses());
        assertFalse(view.isRecent(60));
    }

    @Test
    void expungesRenumberTheMessagesAfterThem() throws Exception {
        box.then(new Change.Expunged(20), new Change.Expunged(40));
        SelectedMailbox view = SelectedMailbox.open(box);
        view.sync(out, true);
        // 20 was number 2; then 40, once number 4, is number 3. Of the two \Recent messages one
        // went: RECENT follows (RFC 3501 7.3.2, as Dovecot sends it)
        assertEquals(List.of("* 2 EXPUNGE", "* 3 EXPUNGE", "* 1 RECENT"), responses());
        assertEquals(3, view.exists());
        assertEquals(2, view.seqOf(30));
        assertEquals(3, view.seqOf(50));
        assertEquals(1, view.recentCount());
    }

    @Test
    void expungesAreHeldWhileACommandUsesSequenceNumbers() throws Exception {
        box.then(new Change.Expunged(20), new Change.Added(message(60, false)));
        SelectedMailbox view = SelectedMailbox.open(box);
        view.sync(out, false); // FETCH, STORE, SEARCH ... completing
        assertEquals(List.of("* 6 EXISTS"), responses(), "the held message still counts");
        assertEquals(6, view.exists());
        assertEquals(20, view.uidAt(2), "numbers do not move under the client");
        assertTrue(view.isExpunged(20));
        assertEquals(List.of(2, 3), view.select(set("2:3"), false), "it can still be named");
        assertEquals(List.of(30L), view.liveUids(set("2:3"), false), "but not changed or copied");

        view.sync(out, true); // the next command that allows EXPUNGE
        assertEquals(List.of("* 2 EXPUNGE"), responses(), "no EXISTS: the client counts the expunge itself");
        assertEquals(5, view.exists());
        assertEquals(5, view.seqOf(60));
        assertFalse(view.isExpunged(20));
    }

    @Test
    void flagChangesFromElsewhereAreReportedAsFetch() throws Exception {
        box.then(new Change.FlagsChanged(30, Set.of(Flags.FLAGGED)), new Change.FlagsChanged(40, Set.of(Flags.SEEN)),
                new Change.FlagsChanged(50, Set.of()));
        SelectedMailbox view = SelectedMailbox.open(box);
        view.sync(out, true);
        assertEquals(List.of("* 3 FETCH (FLAGS (\\Flagged))", "* 4 FETCH (FLAGS (\\Seen \\Recent))"), responses(),
                "50's flags did not change");
    }

    @Test
    void flagsTheClientWasToldOfAreNotReportedAgain() throws Exception {
        box.then(new Change.FlagsChanged(30, Set.of(Flags.DELETED)));
        SelectedMailbox view = SelectedMailbox.open(box);
        view.reported(30, Set.of(Flags.DELETED)); // STORE's own FETCH response said so
        view.sync(out, true);
        assertEquals(List.of(), responses());
    }

    @Test
    void sequenceNumbersBeyondExistsAreAnErrorUidsBeyondAreNot() throws Exception {
        SelectedMailbox view = SelectedMailbox.open(box);
        assertEquals(List.of(4, 5), view.select(set("4:*"), false));
        assertThrows(SelectedMailbox.BadSequenceException.class, () -> view.select(set("6"), false));
        assertEquals(List.of(2, 3), view.select(set("15:35"), true), "UIDs not in the view are passed over");
        assertEquals(List.of(5), view.select(set("*"), true), "'*' is the highest UID");
        assertEquals(List.of(5), view.select(set("900:*"), true), "a range beyond the highest still matches it");
        assertEquals(List.of(), view.select(set("60:70"), true));
    }

    @Test
    void theSavedResultFollowsExpungesAndIsNeverAnError() throws Exception {
        box.then(new Change.Expunged(20));
        SelectedMailbox view = SelectedMailbox.open(box);
        assertEquals(List.of(), view.select(SequenceSet.saved(), false), "empty in a new view");
        view.saveResult(List.of(20L, 40L));
        assertEquals(List.of(2, 4), view.select(SequenceSet.saved(), false));
        assertEquals(List.of(2, 4), view.select(SequenceSet.saved(), true), "by number or UID alike");
        assertTrue(view.inSavedResult(40));

        view.sync(out, false);
        assertEquals(List.of(2, 4), view.select(SequenceSet.saved(), false), "held: still there");
        assertEquals(List.of(), responses());
        view.sync(out, true);
        assertEquals(List.of("* 2 EXPUNGE"), responses());
        assertEquals(List.of(40L), view.savedResult(), "an expunged message drops out of $");
        assertEquals(List.of(3), view.select(SequenceSet.saved(), false));
    }

    @Test
    void aChangedUidValidityEndsTheView() throws Exception {
        box.then(new Change.UidValidityChanged(7));
        SelectedMailbox view = SelectedMailbox.open(box);
        assertThrows(SelectedMailbox.UidValidityChangedException.class, () -> view.sync(out, true));
    }

    @Test
    void aDeletedMailboxEndsTheViewWithoutSayingWhereItWas() throws Exception {
        SelectedMailbox view = SelectedMailbox.open(box);
        box.thenFails(new StoreException(StoreException.Reason.NONEXISTENT, "gone: /var/mail/u/Maildir/.x"));
        SelectedMailbox.UidValidityChangedException e =
                assertThrows(SelectedMailbox.UidValidityChangedException.class, () -> view.sync(out, true));
        assertEquals("Selected mailbox was deleted, have to disconnect", e.getMessage());
    }

    @Test
    void otherStoreFailuresOfASyncStayStoreFailures() throws Exception {
        SelectedMailbox view = SelectedMailbox.open(box);
        box.thenFails(new StoreException(StoreException.Reason.SERVERBUG, "disk on fire"));
        assertThrows(StoreException.class, () -> view.sync(out, true));
    }

    @Test
    void closingTheViewClosesTheStoreHandle() throws StoreException {
        SelectedMailbox view = SelectedMailbox.open(box);
        view.close();
        assertTrue(box.closed);
    }

    @Test
    void aKeywordAnotherSessionBringsIsAnnouncedBeforeTheFetchThatUsesIt() throws Exception {
        box.then(new Change.FlagsChanged(30, Set.of("$foo")), new Change.FlagsChanged(40, Set.of("$foo", Flags.SEEN)));
        SelectedMailbox view = SelectedMailbox.open(box);
        view.sync(out, true);
        assertEquals(List.of("* FLAGS ($foo \\Answered \\Deleted \\Draft \\Flagged \\Seen)",
                "* OK [PERMANENTFLAGS ($foo \\Answered \\Deleted \\Draft \\Flagged \\Seen \\*)] Flags permitted",
                "* 3 FETCH (FLAGS ($foo))", "* 4 FETCH (FLAGS ($foo \\Seen \\Recent))"), responses());
    }

    @Test
    void manyExpungesInOneSyncAreNumberedAfterTheOnesReportedBeforeThem() throws Exception {
        MessageMeta[] many = new MessageMeta[10];
        for (int i = 0; i < many.length; i++) {
            many[i] = message(i + 1, i >= 8, i % 2 == 0 ? Flags.SEEN : Flags.DELETED);
        }
        ScriptedMailbox ten = new ScriptedMailbox("INBOX", false).holding(many)
                .then(new Change.Expunged(2), new Change.Expunged(3), new Change.Expunged(4), new Change.Expunged(7),
                        new Change.Expunged(10));
        SelectedMailbox view = SelectedMailbox.open(ten);
        view.saveResult(List.of(3L, 5L, 10L));
        view.sync(out, true);
        assertEquals(List.of("* 2 EXPUNGE", "* 2 EXPUNGE", "* 2 EXPUNGE", "* 4 EXPUNGE", "* 6 EXPUNGE", "* 1 RECENT"),
                responses());
        assertEquals(5, view.exists());
        assertEquals(List.of(1L, 5L, 6L, 8L, 9L), List.of(view.uidAt(1), view.uidAt(2), view.uidAt(3), view.uidAt(4),
                view.uidAt(5)));
        assertEquals(List.of(5L), view.savedResult(), "expunged messages leave $");
        assertTrue(view.isSeen(5) && !view.isDeleted(5));
        assertTrue(view.isDeleted(6) && !view.isSeen(6));
        assertTrue(view.isRecent(9));
        assertEquals(1, view.recentCount());
        assertEquals(null, view.meta(7), "no meta for a message gone");
    }

    @Test
    void aMessageKeepsItsSizeDateAndFlagsThroughTheCompactView() throws Exception {
        java.time.Instant date = java.time.Instant.parse("2026-11-24T10:15:30.123Z");
        ScriptedMailbox one = new ScriptedMailbox("INBOX", false).holding(
                new MessageMeta(7, Set.of(Flags.SEEN, "$Label1"), 3_000_000_000L, date, true));
        SelectedMailbox view = SelectedMailbox.open(one);
        MessageMeta meta = view.meta(7);
        assertEquals(new MessageMeta(7, Set.of(Flags.SEEN, "$Label1"), 3_000_000_000L, date, true), meta);
        view.reported(7, Set.of(Flags.FLAGGED));
        assertEquals(Set.of(Flags.FLAGGED), view.meta(7).flags());
        assertTrue(view.meta(7).recent(), "\\Recent stays with the message when its flags change");
    }

    @Test
    void viewsOfOneMailboxShareTheirFlagSets() throws Exception {
        SelectedMailbox a = SelectedMailbox.open(new ScriptedMailbox("INBOX", false).holding(message(1, false, Flags.SEEN,
                Flags.ANSWERED)));
        SelectedMailbox b = SelectedMailbox.open(new ScriptedMailbox("INBOX", false).holding(message(1, false, Flags.ANSWERED,
                Flags.SEEN)));
        assertTrue(a.flags(1) == b.flags(1), "one set instance for equal flag sets, whichever session holds it");
    }

    /** What the general path writes for a message's FLAGS: the reference the view's rendering must match. */
    private static byte[] written(Set<String> flags, boolean recent) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ResponseWriter w = new ResponseWriter(b);
        SelectedMailbox.writeFlags(w, flags, recent);
        w.flush();
        return b.toByteArray();
    }

    @Test
    void theRenderedFlagListIsWhatWriteFlagsWritesForEveryMessage() throws Exception {
        SelectedMailbox view = SelectedMailbox.open(new ScriptedMailbox("INBOX", false).holding(
                message(1, false), message(2, true), message(3, false, Flags.SEEN, Flags.ANSWERED, "$Junk"),
                message(4, true, Flags.SEEN, Flags.ANSWERED, "$Junk"), message(5, false, "Zeta", "alpha", "\\Draft"),
                message(6, true, "Ärger"), message(7, false, Flags.SEEN, Flags.ANSWERED, "$Junk")));
        for (boolean rev1 : new boolean[] {true, false}) {
            view.recentResponses(rev1);
            for (int seq = 1; seq <= view.exists(); seq++) {
                long uid = view.uidAt(seq);
                assertEquals(new String(written(view.flags(uid), view.isRecent(uid)), StandardCharsets.UTF_8),
                        new String(view.flagListAt(seq), StandardCharsets.UTF_8), "message " + seq + ", recent responses " + rev1);
                assertEquals(view.meta(uid), view.metaAt(seq));
                assertEquals(view.isRecent(uid), view.recentAt(seq));
            }
        }
        view.recentResponses(true);
        assertEquals("($Junk \\Answered \\Seen \\Recent)", new String(view.flagListAt(4), StandardCharsets.UTF_8));
        assertEquals("(\\Recent)", new String(view.flagListAt(2), StandardCharsets.UTF_8));
        assertEquals("()", new String(view.flagListAt(1), StandardCharsets.UTF_8));
    }

    @Test
    void aFlagSetChangedInPlaceByItsOwnerIsNumberedByItsContent() throws Exception {
        // The view remembers the last set it numbered to skip hashing a run of one instance; a set the
        // caller may change (not immutable) must never be taken by its identity.
        SelectedMailbox view = SelectedMailbox.open(new ScriptedMailbox("INBOX", false).holding(message(1, false),
                message(2, false)));
        Set<String> mine = new java.util.HashSet<>(Set.of(Flags.SEEN));
        view.reported(1, mine);
        mine.clear();
        mine.add(Flags.FLAGGED);
        view.reported(2, mine);
        assertEquals(Set.of(Flags.SEEN), view.flags(1));
        assertEquals(Set.of(Flags.FLAGGED), view.flags(2));
        assertEquals("(\\Flagged)", new String(view.flagListAt(2), StandardCharsets.UTF_8));
    }
}
