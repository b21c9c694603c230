package posthorn.imap.server.internal.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import posthorn.store.api.MessageMeta;

/**
 * THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256) on small mailboxes with known answers, and
 * on threads as deep as a mailbox can make them (issue 10, item 4: no recursion down a thread).
 */
class ThreadsTest {

    static SortData msg(int seq, String subject, String date, String id, String refs) {
        StringBuilder h = new StringBuilder("Subject: " + subject + "\r\nDate: " + date + "\r\n");
        if (id != null) {
            h.append("Message-ID: ").append(id).append("\r\n");
        }
        if (refs != null) {
            h.append("References: ").append(refs).append("\r\n");
        }
        byte[] b = h.append("\r\n").toString().getBytes();
        return SortData.of(seq, seq * 10L, new MessageMeta(seq * 10L, Set.of(), b.length, Instant.ofEpochSecond(seq), false),
                posthorn.imap.server.internal.mime.MimePart.parseHeader(b, b.length));
    }

    /**
     * A hostile message (hostile2): one References header of 300,000 ids nobody has seen. Linking each
     * fresh id below the previous one checked for a loop by walking up to the root, so the work grew
     * with the square of the count (billions of steps: a THREAD took minutes of CPU). A node made just
     * now has no children and cannot be anyone's ancestor, so no walk is needed. The bound is generous
     * (linear work takes well under a second); the quadratic one took far longer.
     */
    @Test
    void aHugeReferencesHeaderThreadsInLinearTime() {
        StringBuilder refs = new StringBuilder();
        for (int i = 0; i < 300_000; i++) {
            refs.append("<r").append(i).append("@x> ");
        }
        List<SortData> m = List.of(msg(1, "a", "1 Jan 2026 10:00 +0000", "<top@x>", refs.toString()),
                msg(2, "b", "1 Jan 2026 11:00 +0000", "<b@x>", "<r5@x> <top@x>"));
        String[] out = new String[2];
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60), () -> {
            out[0] = Threads.format(Threads.references(m), SortData::seq);
            out[1] = Threads.format(Threads.refs(m), SortData::seq);
        });
        assertEquals("(1 2)", out[0]);
        assertEquals("(1 2)", out[1]);
    }

    @Test
    void referencesBuildsTreesAndOrdersByDate() {
        List<SortData> m = new ArrayList<>();
        m.add(msg(1, "A", "1 Jan 2026 10:00 +0000", "<a@x>", null));
        m.add(msg(2, "Re: A", "1 Jan 2026 11:00 +0000", "<b@x>", "<a@x>"));
        m.add(msg(3, "B", "1 Jan 2026 09:00 +0000", "<c@x>", null));
        m.add(msg(4, "Re: A", "1 Jan 2026 12:00 +0000", "<d@x>", "<a@x> <b@x>"));
        m.add(msg(5, "Re: A", "1 Jan 2026 10:30 +0000", "<e@x>", "<a@x>"));
        // a reply whose parent is missing: a dummy that is pruned; joins A's thread by subject
        m.add(msg(6, "Re: A", "1 Jan 2026 13:00 +0000", "<f@x>", "<missing@x>"));
        assertEquals("(3)(1 (5)(2 4)(6))", Threads.format(Threads.references(m), SortData::seq));
    }

    /**
     * THREAD=REFS: Dovecot 2.3's answer to the same eight messages (sortsearch.imapc, ss-thread-refs):
     * no grouping by subject (1 and 4 share "x" but stay apart), threads by their latest sent date.
     */
    @Test
    void refsAsDovecotThreadsThem() {
        List<SortData> m = new ArrayList<>();
        m.add(msg(1, "x", "Mon, 01 Jan 2024 10:00:00 +0000", "<a@x>", null));
        m.add(msg(2, "Re: x", "Fri, 05 Jan 2024 10:00:00 +0000", "<b@x>", "<a@x>"));
        m.add(msg(3, "y", "Wed, 03 Jan 2024 10:00:00 +0000", "<c@x>", null));
        m.add(msg(4, "x", "Thu, 04 Jan 2024 10:00:00 +0000", "<d@x>", null));
        m.add(msg(5, "z", "Tue, 02 Jan 2024 10:00:00 +0000", "<e@x>", "<zz@x>"));
        m.add(msg(6, "z2", "Sat, 06 Jan 2024 10:00:00 +0000", "<f@x>", "<zz@x>"));
        m.add(msg(7, "Re: y", "Mon, 01 Jan 2024 09:00:00 +0000", "<g@x>", "<c@x>"));
        m.add(msg(8, "w", "Sun, 07 Jan 2024 10:00:00 +0000", "<h@x>", "<q@x>"));
        assertEquals("(3 7)(4)(1 2)((5)(6))(8)", Threads.format(Threads.refs(m), SortData::seq));
        assertEquals("((1 2)(4))((5)(6))(3 7)(8)", Threads.format(Threads.references(m), SortData::seq));
        m.remove(0);
        assertEquals("(3 7)(4)(2)((5)(6))(8)", Threads.format(Threads.refs(m), SortData::seq));
    }

    @Test
    void referencesSurvivesLoopsAndDuplicates() {
        List<SortData> m = new ArrayList<>();
        m.add(msg(1, "x", "1 Jan 2026 10:00 +0000", "<a@x>", "<b@x>"));
        m.add(msg(2, "y", "1 Jan 2026 11:00 +0000", "<b@x>", "<a@x>"));
        m.add(msg(3, "z", "1 Jan 2026 12:00 +0000", "<a@x>", null));
        m.add(msg(4, "w", "garbage", null, null));
        String t = Threads.format(Threads.references(m), SortData::seq);
        for (String n : new String[] {"1", "2", "3", "4"}) {
            assertEquals(true, t.contains(n), t);
        }
    }

    @Test
    void orderedSubjectGroupsBySubjectThenDate() {
        List<SortData> m = new ArrayList<>();
        m.add(msg(1, "A", "1 Jan 2026 10:00 +0000", null, null));
        m.add(msg(2, "B", "1 Jan 2026 09:00 +0000", null, null));
        m.add(msg(3, "Re: A", "1 Jan 2026 11:00 +0000", null, null));
        m.add(msg(4, "re: b", "1 Jan 2026 12:00 +0000", null, null));
        m.add(msg(5, "A", "1 Jan 2026 13:00 +0000", null, null));
        assertEquals("(2 4)(1 (3)(5))", Threads.format(Threads.orderedSubject(m), SortData::seq));
    }

    /** A chain of 30,000 replies, each to the one before: one thread, written flat. */
    @Test
    void aChainAsLongAsTheMailboxIsThreaded() {
        int n = 30_000;
        List<SortData> m = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            m.add(msg(i, "Re: chain", "1 Jan 2026 10:00 +0000", "<" + i + "@x>", i == 1 ? null : "<" + (i - 1) + "@x>"));
        }
        long t0 = System.nanoTime();
        String t = Threads.format(Threads.references(m), SortData::seq);
        assertTrue(t.startsWith("(1 2 3 ") && t.endsWith(" 29999 30000)"), t.substring(0, 20));
        assertTrue(Threads.format(Threads.orderedSubject(m), SortData::seq).startsWith("(1 (2)(3)(4)"));
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
    }

    /** Every message has two replies, one of which has two replies, ...: 20,000 levels of parentheses. */
    @Test
    void aThreadBranchingAtEveryLevelIsThreaded() {
        int n = 20_000;
        List<SortData> m = new ArrayList<>();
        m.add(msg(1, "deep", "1 Jan 2026 10:00 +0000", "<1@x>", null));
        for (int i = 1; i < n; i++) {
            // the leaf reply is older than the one that goes on, so it comes first
            m.add(msg(2 * i, "Re: deep", "1 Jan 2026 10:00 +0000", "<leaf" + i + "@x>", "<" + i + "@x>"));
            m.add(msg(2 * i + 1, "Re: deep", "1 Jan 2026 11:00 +0000", "<" + (i + 1) + "@x>", "<" + i + "@x>"));
        }
        String t = Threads.format(Threads.references(m), SortData::seq);
        assertTrue(t.startsWith("(1 (2)(3 (4)(5 (6)(7 "), t.substring(0, 30));
        assertEquals(n, t.chars().filter(c -> c == '(').count() / 2 + 1);
    }
}
