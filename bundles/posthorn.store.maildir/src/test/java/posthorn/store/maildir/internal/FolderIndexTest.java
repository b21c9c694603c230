package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.maildir.internal.FolderIndex.Facts;

/** posthorn.index on its own: the format, what makes it dirty, when it is due, MOVE's hand-over. */
class FolderIndexTest {
    static final Facts A = new Facts(12, Instant.ofEpochMilli(1000));
    static final Facts B = new Facts(3, Instant.ofEpochMilli(2000));

    @TempDir
    Path folder;
    Path file;

    @BeforeEach
    void folder() throws Exception {
        Files.createDirectory(folder.resolve("tmp"));
        file = folder.resolve(FolderIndex.FILE);
    }

    @Test
    void writesThePresentMessagesAndReadsThemBack() throws Exception {
        FolderIndex index = new FolderIndex(folder);
        index.load();
        index.putMeasured("a", A);
        index.putFacts("b", B);
        index.putFacts("gone", B);
        index.putFacts("x\ty", B);
        index.cache("a", "imap.envelope", new byte[] {1, 2, 3});
        index.cache("b", "bad=field", new byte[] {4});
        index.flush(List.of("a", "b", "x\ty"));
        assertEquals("posthorn-index 1\na\t12\t1000\timap.envelope=AQID\nb\t3\t2000\n", Files.readString(file),
                "present messages only; names that would break a line left out");
        assertFalse(index.dirty());

        FolderIndex again = new FolderIndex(folder);
        again.load();
        assertEquals(A, again.facts("a"));
        assertEquals(B, again.facts("b"));
        assertNull(again.facts("gone"));
        assertArrayEquals(new byte[] {1, 2, 3}, again.cached("a", "imap.envelope"));
        assertFalse(again.dirty(), "a good file is nothing to write");
    }

    @Test
    void whatMemoryKnowsWinsOverTheFile() throws Exception {
        Files.writeString(file, "posthorn-index 1\na\t3\t2000\n");
        FolderIndex index = new FolderIndex(folder);
        index.putFacts("a", A);
        index.load();
        assertEquals(A, index.facts("a"));
    }

    @Test
    void aDamagedFileIsWrittenAgainWhole() throws Exception {
        for (String junk : new String[] {"garbage", "posthorn-index 1\ntrunc", "posthorn-index 1\nb\tnot-a-number\t1\n",
                "posthorn-index 1\nb\t1\t1\tno-equals-sign\n"}) {
            Files.writeString(file, junk);
            FolderIndex index = new FolderIndex(folder);
            index.load();
            assertTrue(index.dirty(), junk);
            assertNull(index.cached("b", "no-equals-sign"));
        }
        FolderIndex none = new FolderIndex(folder);
        Files.delete(file);
        none.load();
        assertFalse(none.dirty(), "no file is no damage");
    }

    @Test
    void nothingIsWrittenBeforeTheFileWasRead() {
        FolderIndex index = new FolderIndex(folder);
        index.putMeasured("a", A);
        index.flush(List.of("a"));
        assertFalse(Files.exists(file), "writing now would drop what the file holds");
    }

    @Test
    void onlyWhatIsCostlyToLearnAgainMakesItDirtyAndScansWriteItAtMostEveryFiveSeconds() {
        long[] now = {100_000_000_000L};
        FolderIndex index = new FolderIndex(folder, () -> now[0]);
        index.load();
        index.putFacts("a", A);
        assertFalse(index.due(), "facts from the name and the date are cheap");
        index.putMeasured("a", A);
        assertTrue(index.due());
        index.flush(List.of("a"));
        assertFalse(index.due());
        index.cache("a", "f", new byte[] {1});
        assertFalse(index.due(), "written just now");
        now[0] += FolderIndex.WRITE_INTERVAL_NS + 1;
        assertTrue(index.due());
        index.cache("a", "f", null);
        assertNull(index.cached("a", "f"));
    }

    @Test
    void aMovedMessageTakesItsFactsAndDerivedValuesAlong() {
        FolderIndex source = new FolderIndex(folder);
        FolderIndex target = new FolderIndex(folder.resolve("other"));
        source.putFacts("a", A);
        source.cache("a", "f", new byte[] {7});
        source.moveTo(target, "a", "a2", A);
        assertEquals(A, target.facts("a2"));
        assertArrayEquals(new byte[] {7}, target.cached("a2", "f"));
        assertNull(source.facts("a"));
        assertNull(source.cached("a", "f"));
        source.putFacts("b", B);
        source.forget("b");
        assertNull(source.facts("b"));
    }

    /**
     * Field names get process-wide ids up to a bound (issue 14); past it values are still kept,
     * written, read back, moved and forgotten like the others.
     */
    @Test
    void moreFieldsThanTheTableHoldsAreKeptAllTheSame() throws Exception {
        FolderIndex index = new FolderIndex(folder);
        index.load();
        index.putMeasured("a", A);
        for (int i = 0; i < 100; i++) {
            index.cache("a", "many." + i, new byte[] {(byte) i});
        }
        index.flush(List.of("a"));
        FolderIndex again = new FolderIndex(folder);
        again.load();
        assertEquals(A, again.facts("a"));
        for (int i = 0; i < 100; i++) {
            assertArrayEquals(new byte[] {(byte) i}, again.cached("a", "many." + i), "field " + i);
        }
        FolderIndex target = new FolderIndex(folder.resolve("other"));
        again.moveTo(target, "a", "a2", A);
        for (int i = 0; i < 100; i++) {
            assertNull(again.cached("a", "many." + i));
            assertArrayEquals(new byte[] {(byte) i}, target.cached("a2", "many." + i), "moved field " + i);
        }
        target.forget("a2");
        assertNull(target.cached("a2", "many.0"));
        assertNull(target.cached("a2", "many.99"));
    }
}
