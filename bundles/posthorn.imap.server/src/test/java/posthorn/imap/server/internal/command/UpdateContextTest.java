package posthorn.imap.server.internal.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static posthorn.imap.server.internal.state.ScriptedMailbox.message;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.server.internal.mime.MimeLimits;
import posthorn.imap.server.internal.search.SearchKey;
import posthorn.imap.server.internal.state.ScriptedMailbox;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.store.api.Change;
import posthorn.store.api.Flags;

/**
 * SEARCH RETURN (UPDATE) contexts (RFC 5267 4.2, 4.3) fed by the view's sync: the order of the
 * responses as Dovecot 2.3 sends them (sortsearch.imapc, ss-context-search-updates): REMOVEFROM with
 * the sequence numbers before the EXPUNGEs, ADDTO after EXISTS, position 0, and the client's own
 * STORE counted as a change.
 */
class UpdateContextTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final ResponseWriter out = new ResponseWriter(bytes);

    private List<String> responses() throws IOException {
        out.flush();
        List<String> lines = new String(bytes.toByteArray(), StandardCharsets.US_ASCII).lines().toList();
        bytes.reset();
        return lines;
    }

    /** UIDs 10..50; 10 seen. The context: UNSEEN, so 20, 30, 40, 50. */
    private SelectedMailbox view(ScriptedMailbox box, boolean uid) throws Exception {
        SelectedMailbox view = SelectedMailbox.open(box);
        view.watch(new UpdateContext("c", uid, new SearchKey.Flag(Flags.SEEN, false), null, MimeLimits.DEFAULTS,
                0, new long[] {20, 30, 40, 50}));
        return view;
    }

    private static ScriptedMailbox box() {
        return new ScriptedMailbox("INBOX", false).holding(message(10, false, Flags.SEEN), message(20, false),
                message(30, false), message(40, false), message(50, false));
    }

    @Test
    void flagChangesFromElsewhereMoveMessagesInAndOut() throws Exception {
        ScriptedMailbox box = box().then(new Change.FlagsChanged(10, Set.of()),
                new Change.FlagsChanged(30, Set.of(Flags.SEEN)), new Change.FlagsChanged(40, Set.of(Flags.SEEN)));
        SelectedMailbox view = view(box, false);
        view.sync(out, true);
        assertEquals(List.of("* 1 FETCH (FLAGS ())", "* 3 FETCH (FLAGS (\\Seen))", "* 4 FETCH (FLAGS (\\Seen))",
                "* ESEARCH (TAG \"c\") REMOVEFROM (0 3:4)", "* ESEARCH (TAG \"c\") ADDTO (0 1)"), responses());
    }

    @Test
    void expungedMembersAreRemovedBeforeTheExpunge() throws Exception {
        ScriptedMailbox box = box().then(new Change.Expunged(10), new Change.Expunged(40));
        SelectedMailbox view = view(box, true);
        view.sync(out, true);
        assertEquals(List.of("* ESEARCH (TAG \"c\") UID REMOVEFROM (0 40)", "* 1 EXPUNGE", "* 3 EXPUNGE"), responses());
    }

    @Test
    void heldExpungesWaitForTheirEXPUNGE() throws Exception {
        ScriptedMailbox box = box().then(new Change.Expunged(20)).then();
        SelectedMailbox view = view(box, false);
        view.sync(out, false);
        assertEquals(List.of(), responses(), "nothing while a command uses sequence numbers");
        view.sync(out, true);
        assertEquals(List.of("* ESEARCH (TAG \"c\") REMOVEFROM (0 2)", "* 2 EXPUNGE"), responses());
    }

    @Test
    void newMessagesAreAddedAfterExists() throws Exception {
        ScriptedMailbox box = box().then(new Change.Added(message(60, true)),
                new Change.Added(message(70, true, Flags.SEEN)));
        SelectedMailbox view = view(box, true);
        view.sync(out, true);
        assertEquals(List.of("* 7 EXISTS", "* 2 RECENT", "* ESEARCH (TAG \"c\") UID ADDTO (0 60)"), responses());
    }

    @Test
    void theSessionsOwnStoreCountsAndCancelledContextsAreQuiet() throws Exception {
        ScriptedMailbox box = box().then().then();
        SelectedMailbox view = view(box, true);
        view.reported(20, Set.of(Flags.SEEN)); // as STORE's own FETCH reports it
        view.sync(out, true);
        assertEquals(List.of("* ESEARCH (TAG \"c\") UID REMOVEFROM (0 20)"), responses());
        assertEquals(true, view.unwatch("c"));
        view.reported(30, Set.of(Flags.SEEN));
        view.sync(out, true);
        assertEquals(List.of(), responses());
    }
}
