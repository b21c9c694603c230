package posthorn.store.fts.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongPredicate;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.search.TextTerm;
import posthorn.store.api.search.TextTerm.Where;

class LuceneTextIndexTest {
    @TempDir
    Path dir;
    LuceneTextIndex index;

    LuceneTextIndex index() {
        if (index == null) {
            index = new LuceneTextIndex(dir.resolve("fts"), MessageTextTest.LIMITS);
        }
        return index;
    }

    @AfterEach
    void close() {
        if (index != null) {
            index.deactivate();
        }
    }

    static String message(String subject, String from, String body) {
        return "From: " + from + "\nTo: demo@example.org\nSubject: " + subject + "\n\n" + body + "\n";
    }

    /** The UIDs of the mailbox the predicate lets through. */
    static List<Long> pass(MemoryMailbox box, LongPredicate p) {
        List<Long> out = new ArrayList<>();
        for (long uid : box.messages.keySet()) {
            if (p.test(uid)) {
                out.add(uid);
            }
        }
        return out;
    }

    List<Long> search(MemoryMailbox box, Where where, String text) {
        LongPredicate p = index().candidates("demo", box, List.of(new TextTerm(where, text)));
        assertNotNull(p, "the index should narrow " + where + " " + text);
        return pass(box, p);
    }

    MemoryMailbox corpus() {
        MemoryMailbox box = new MemoryMailbox("INBOX", 7);
        box.add(message("Weekly report", "Anna <anna@example.org>", "Numbers are up."));
        box.add(message("Lunch", "Ben <ben@example.org>", "Our quuxfrobnicator is broken."));
        box.add(message("QUUXFROBNICATOR news", "Clara <clara@example.org>", "See subject."));
        box.add(message("Re: Lunch", "\"Smith, J\" <j.smith@example.org>", "Fine by me."));
        return box;
    }

    /**
     * I18NLEVEL=1 (RFC 5255): the index normalises as the server's matcher does (i;unicode-casemap,
     * posthorn.text.support), so what only the casemap makes a match (the long s, a decomposed accent)
     * is a candidate, not missed.
     */
    @Test
    void whatTheCasemapMatchesTheIndexFinds() {
        MemoryMailbox box = new MemoryMailbox("INBOX", 7);
        box.add("From: a@example.org\nSubject: x\nContent-Type: text/plain; charset=utf-8\n\nMeet at the \u017ftation\n");
        box.add("From: b@example.org\nSubject: y\nContent-Type: text/plain; charset=utf-8\n\nCafe\u0301 cre\u0300me\n");
        box.add(message("Other", "c@example.org", "nothing of the kind"));
        assertEquals(List.of(1L), search(box, Where.BODY, "STATION"));
        assertEquals(List.of(2L), search(box, Where.BODY, "caf\u00e9 cr\u00e8me"));
    }

    @Test
    void aSubstringInsideAWordIsFound() {
        MemoryMailbox box = corpus();
        assertEquals(List.of(2L), search(box, Where.BODY, "obnic"));
        assertEquals(List.of(2L, 3L), search(box, Where.TEXT, "ObNiC"));
        assertEquals(List.of(3L), search(box, Where.HEADER, "frobnicator news"));
        assertEquals(List.of(), search(box, Where.BODY, "nothing like it"));
    }

    @Test
    void anAddressAsEnvelopeWritesItIsACandidate() {
        MemoryMailbox box = corpus();
        assertEquals(List.of(4L), search(box, Where.HEADER, "\"Smith, J\" <j.smith@"));
        assertEquals(List.of(1L), search(box, Where.HEADER, "<anna@example.org>"));
    }

    @Test
    void termsTooShortToNarrowGiveNoAnswer() {
        MemoryMailbox box = corpus();
        assertNull(index().candidates("demo", box, List.of(new TextTerm(Where.TEXT, "ob"))));
        assertNull(index().candidates("demo", box, List.of(new TextTerm(Where.HEADER, "a.b@c"))));
        // One term that narrows is enough; the short one is left to the server's check.
        LongPredicate p = index().candidates("demo", box,
                List.of(new TextTerm(Where.TEXT, "ob"), new TextTerm(Where.BODY, "broken")));
        assertEquals(List.of(2L), pass(box, p));
    }

    @Test
    void arrivalsAndExpungesAreFollowedAndOnlyNewMessagesAreRead() {
        MemoryMailbox box = corpus();
        assertEquals(List.of(2L), search(box, Where.BODY, "broken"));
        assertEquals(4, box.opened.get());
        long late = box.add(message("Late", "x@example.org", "also broken"));
        box.messages.remove(2L);
        assertEquals(List.of(late), search(box, Where.BODY, "broken"));
        assertEquals(5, box.opened.get(), "only the new message is read");
    }

    @Test
    void aNewUidValidityStartsTheMailboxAfresh() {
        MemoryMailbox box = corpus();
        assertEquals(List.of(2L), search(box, Where.BODY, "broken"));
        box.messages.clear();
        box.uidValidity = 8;
        box.add(message("Other", "x@example.org", "nothing"));
        long b = box.add(message("Other", "x@example.org", "broken again"));
        assertEquals(List.of(b), search(box, Where.BODY, "broken"));
    }

    @Test
    void aMessageArrivedSinceOrTooBigIsAlwaysACandidate() {
        MemoryMailbox box = corpus();
        StringBuilder huge = new StringBuilder();
        while (huge.length() < 5_000_000) {
            huge.append("filler text without the word\n");
        }
        long big = box.add(message("Big", "x@example.org", huge + "quuxfrobnicator at the end"));
        assertEquals(List.of(2L, big), search(box, Where.BODY, "quuxfrob"));
        LongPredicate p = index().candidates("demo", box, List.of(new TextTerm(Where.BODY, "zzzzzz")));
        assertTrue(p.test(999), "a UID the index has not seen");
        assertFalse(p.test(1));
    }

    @Test
    void filesAreOwnerOnlyAndADamagedIndexIsRebuilt() throws IOException {
        MemoryMailbox box = corpus();
        assertEquals(List.of(2L), search(box, Where.BODY, "broken"));
        index().closeAll();
        Path user = dir.resolve("fts").resolve("demo");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(user)));
        List<Path> files;
        try (Stream<Path> s = Files.list(user)) {
            files = s.toList();
        }
        assertFalse(files.isEmpty());
        for (Path f : files) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
            if (!f.getFileName().toString().equals("write.lock")) {
                // Truncate every file to half and fill it with garbage.
                long size = Files.size(f);
                byte[] junk = new byte[(int) (size / 2)];
                java.util.Arrays.fill(junk, (byte) 0x5a);
                Files.write(f, junk, StandardOpenOption.TRUNCATE_EXISTING);
            }
        }
        int opened = box.opened.get();
        // Damaged: no answer (the server reads every message), and the index is thrown away ...
        assertNull(index().candidates("demo", box, List.of(new TextTerm(Where.BODY, "broken"))));
        // ... and built again by the next search, which answers.
        assertEquals(List.of(2L), search(box, Where.BODY, "broken"));
        assertEquals(opened + 4, box.opened.get(), "rebuilt from the mailbox");
    }

    @Test
    void aMissingIndexIsRebuilt() throws IOException {
        MemoryMailbox box = corpus();
        assertEquals(List.of(2L), search(box, Where.BODY, "broken"));
        index().closeAll();
        Path user = dir.resolve("fts").resolve("demo");
        try (Stream<Path> s = Files.list(user)) {
            for (Path f : s.toList()) {
                Files.delete(f);
            }
        }
        assertEquals(List.of(2L), search(box, Where.BODY, "broken"));
    }

    @Test
    void twoSessionsSearchWhileMailArrives() throws Exception {
        MemoryMailbox a = corpus();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> runs = new ArrayList<>();
            runs.add(pool.submit(() -> {
                for (int i = 0; i < 200; i++) {
                    a.add(message("n" + i, "x@example.org", i % 10 == 0 ? "broken " + i : "fine"));
                }
                return null;
            }));
            for (int s = 0; s < 2; s++) {
                runs.add(pool.submit(() -> {
                    for (int i = 0; i < 30; i++) {
                        // Each session's handle sees a snapshot; every message in it holding the word passes.
                        MemoryMailbox view = new MemoryMailbox("INBOX", 7);
                        view.messages.putAll(a.messages);
                        LongPredicate p = index().candidates("demo", view,
                                List.of(new TextTerm(Where.BODY, "broken")));
                        for (var e : view.messages.entrySet()) {
                            if (new String(e.getValue()).contains("broken")) {
                                assertTrue(p.test(e.getKey()), "uid " + e.getKey());
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void pastTheIndexingBudgetNewMessagesStayCandidates() {
        MemoryMailbox box = corpus();
        LuceneTextIndex none = new LuceneTextIndex(dir.resolve("budget0"), MessageTextTest.LIMITS, 0);
        try {
            LongPredicate p = none.candidates("demo", box, List.of(new TextTerm(Where.BODY, "broken")));
            assertEquals(List.of(1L, 2L, 3L, 4L), pass(box, p), "nothing indexed: every message is read");
            assertEquals(0, box.opened.get());
        } finally {
            none.deactivate();
        }
    }

    @Test
    void userNamesCannotLeaveTheDirectory() {
        assertEquals("demo", LuceneTextIndex.directoryName("demo"));
        assertEquals("anna@example.org", LuceneTextIndex.directoryName("anna@example.org"));
        assertTrue(LuceneTextIndex.directoryName("../etc").startsWith("~"));
        assertTrue(LuceneTextIndex.directoryName("..").startsWith("~"));
        assertTrue(LuceneTextIndex.directoryName(".hidden").startsWith("~"));
    }
}
