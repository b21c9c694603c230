package posthorn.imap.server.internal.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import posthorn.imap.protocol.SequenceSet;
import posthorn.imap.server.internal.state.ScriptedMailbox;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SelectedMailbox.BadSequenceException;
import posthorn.store.api.MessageMeta;

/**
 * {@link Selection} finds ranges by binary search; what it selects must be exactly what
 * {@link SelectedMailbox#select} (which tests every message) selects, for UID and number sets, with
 * '*', ranges written backwards, ranges beyond the last UID and gaps in the UIDs.
 */
class SelectionTest {

    private static SelectedMailbox view(long... uids) throws Exception {
        List<MessageMeta> messages = new ArrayList<>();
        for (long u : uids) {
            messages.add(ScriptedMailbox.message(u, false));
        }
        return SelectedMailbox.open(new ScriptedMailbox("INBOX", false).holding(messages.toArray(MessageMeta[]::new)));
    }

    @Test
    void selectsWhatTestingEveryMessageSelects() throws Exception {
        SplittableRandom rnd = new SplittableRandom(14);
        List<Long> uids = new ArrayList<>();
        long u = 0;
        for (int i = 0; i < 300; i++) {
            u += 1 + (rnd.nextInt(4) == 0 ? rnd.nextInt(20) : 0);
            uids.add(u);
        }
        SelectedMailbox view = view(uids.stream().mapToLong(Long::longValue).toArray());
        List<String> sets = new ArrayList<>(List.of("1", "*", "1:*", "*:1", "5:3", String.valueOf(u), u + ":*",
                (u + 50) + ":*", "*:" + (u + 50), String.valueOf(u + 1), "1,3,5:9,7:12,*", "2:4,4:2,100:*"));
        for (int i = 0; i < 500; i++) {
            StringBuilder s = new StringBuilder();
            int parts = 1 + rnd.nextInt(4);
            for (int p = 0; p < parts; p++) {
                if (p > 0) {
                    s.append(',');
                }
                long a = 1 + rnd.nextLong(u + 30);
                s.append(rnd.nextInt(6) == 0 ? "*" : Long.toString(a));
                if (rnd.nextBoolean()) {
                    s.append(':').append(rnd.nextInt(6) == 0 ? "*" : Long.toString(1 + rnd.nextLong(u + 30)));
                }
            }
            sets.add(s.toString());
        }
        int checked = 0;
        for (String text : sets) {
            SequenceSet set = SequenceSet.parse(text);
            assertEquals(view.select(set, true), Selection.seqs(view, set, true), "UID " + text);
            List<Integer> expected;
            try {
                expected = view.select(set, false);
            } catch (BadSequenceException e) {
                assertThrows(BadSequenceException.class, () -> Selection.seqs(view, set, false), text);
                continue;
            }
            assertEquals(expected, Selection.seqs(view, set, false), text);
            checked++;
        }
        assertEquals(true, checked > 50, "number sets within the mailbox: " + checked);
    }

    @Test
    void anEmptyMailboxIsAnsweredAsBefore() throws Exception {
        SelectedMailbox view = view();
        assertEquals(List.of(), Selection.seqs(view, SequenceSet.parse("1:*"), true));
        assertThrows(BadSequenceException.class, () -> Selection.seqs(view, SequenceSet.parse("1"), false));
    }
}
