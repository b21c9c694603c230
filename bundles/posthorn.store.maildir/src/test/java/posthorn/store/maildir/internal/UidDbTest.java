package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file side of {@link UidDb}: create, reread on change, save atomically, rebuild when damaged. */
class UidDbTest {
    @TempDir
    Path folder;
    Path file;

    @BeforeEach
    void folder() throws Exception {
        Files.createDirectory(folder.resolve("cur"));
        file = folder.resolve(UidDb.FILE);
    }

    @Test
    void aMissingFileStartsAnEmptyDatabaseThatSaveWrites() throws Exception {
        long before = Instant.now().getEpochSecond();
        UidDb db = new UidDb(folder);
        db.load();
        assertTrue(db.uidValidity() >= before, "UIDVALIDITY is a creation time");
        assertEquals(1, db.nextUid());
        assertTrue(db.save(), "a new table is written");
        assertEquals("1 " + db.uidValidity() + " 1\n", Files.readString(file));
        assertFalse(db.save(), "nothing changed since");
    }

    @Test
    void assignAndRemoveAreSavedAndUidsAreNeverReused() throws Exception {
        Files.writeString(file, "1 100 1\n");
        UidDb db = new UidDb(folder);
        db.load();
        assertEquals(1, db.assign("a"));
        assertEquals(2, db.assign("b"));
        assertEquals(1, db.assign("a"), "a known base keeps its UID");
        assertTrue(db.save());
        assertEquals("1 100 3\n1 a\n2 b\n", Files.readString(file));
        db.remove("b");
        db.remove("never-there");
        assertTrue(db.save());
        assertEquals("1 100 3\n1 a\n", Files.readString(file), "NEXTUID stays past the removed UID");
        db.remove("never-there");
        assertFalse(db.save(), "removing an unknown base changes nothing");
        try (var names = Files.list(folder)) {
            assertEquals(List.of(UidDb.FILE, "cur"), names.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file left");
        }
    }

    @Test
    void loadRereadsTheFileOnlyWhenItChanged() throws Exception {
        Files.writeString(file, "1 100 3\n1 a\n2 b\n");
        UidDb db = new UidDb(folder);
        db.load();
        assertEquals(2L, db.uidOf("b"));
        db.assign("unsaved");
        db.load();
        assertEquals(3L, db.uidOf("unsaved"), "an unchanged file is not read again");
        Files.writeString(file, "1 100 5\n1 a\n2 b\n4 c\n"); // another process (Courier) numbered c
        db.load();
        assertEquals(4L, db.uidOf("c"));
        assertNull(db.uidOf("unsaved"), "the file is the truth once it changed");
        assertEquals(5, db.nextUid());
        assertFalse(db.save(), "a table just read needs no write");
    }

    @Test
    void aCorruptFileIsKeptAsideAndRebuiltAboveItsOldUidValidity() throws Exception {
        Files.writeString(file, "1 4000000000 5\n1 a\n2 b"); // truncated: no line end
        UidDb db = new UidDb(folder);
        db.load();
        assertEquals(4000000001L, db.uidValidity(), "past the UIDVALIDITY still readable on line 1");
        assertEquals(1, db.nextUid());
        assertNull(db.uidOf("a"));
        assertEquals("1 4000000000 5\n1 a\n2 b", Files.readString(folder.resolve(UidDb.FILE + ".corrupt")));
        assertTrue(db.save());
        assertTrue(Files.readString(file).startsWith("1 4000000001 1\n"));
    }

    @Test
    void aCorruptFileWithoutAReadableUidValidityGoesPastItsDate() throws Exception {
        Files.writeString(file, "garbage\n");
        long future = Instant.now().getEpochSecond() + 86_400;
        Files.setLastModifiedTime(file, FileTime.from(Instant.ofEpochSecond(future)));
        UidDb db = new UidDb(folder);
        db.load();
        assertEquals(future + 1, db.uidValidity(), "the old UIDVALIDITY was at most the file's date");
    }

    @Test
    void aFileRemovedUnderTheStoreStartsOverAboveTheKnownUidValidity() throws Exception {
        Files.writeString(file, "1 4000000000 3\n1 a\n2 b\n");
        UidDb db = new UidDb(folder);
        db.load();
        Files.delete(file);
        db.load();
        assertEquals(4000000001L, db.uidValidity());
        assertNull(db.uidOf("a"));
        assertTrue(db.save());
    }

    @Test
    void aFolderWithoutCurIsGone() throws Exception {
        Files.delete(folder.resolve("cur"));
        assertThrows(NoSuchFileException.class, () -> new UidDb(folder).load());
    }

    /** The columns (issue 14): holes left by removals, their compaction and the hash stay consistent. */
    @Test
    void manyAssignsAndRemovesKeepEveryUidAndTheOrder() throws Exception {
        Files.writeString(file, "1 100 1\n");
        UidDb db = new UidDb(folder);
        db.load();
        java.util.TreeMap<Long, String> expected = new java.util.TreeMap<>();
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < 400; i++) {
                String base = "m" + round + "." + i;
                expected.put(db.assign(base), base);
            }
            int k = 0;
            for (var it = expected.entrySet().iterator(); it.hasNext(); k++) {
                var e = it.next();
                if (k % 3 != 0) {
                    db.remove(e.getValue());
                    it.remove();
                }
            }
        }
        assertEquals(expected, db.byUid());
        assertEquals(expected.size(), db.size());
        for (var e : expected.entrySet()) {
            assertEquals(e.getKey(), db.uidOf(e.getValue()));
            assertEquals(e.getKey(), db.assign(e.getValue()), "a known base keeps its UID");
        }
        assertNull(db.uidOf("m0.1"), "removed");
        assertEquals(2001, db.nextUid());
        db.save();
        StringBuilder text = new StringBuilder("1 100 2001\n");
        expected.forEach((uid, base) -> text.append(uid).append(' ').append(base).append('\n'));
        assertEquals(text.toString(), Files.readString(file), "ascending UIDs, as Courier writes them");
    }

    @Test
    void aFileOutOfOrderIsReadInUidOrderAndRepeatsAreRefused() throws Exception {
        UidDb db = UidDb.parse("1 7 10\n5 e\n2 b\n9 i\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(List.of(2L, 5L, 9L), db.uids());
        assertEquals("1 7 10\n2 b\n5 e\n9 i\n", new String(db.format(), java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(10, db.assign("j"));
        assertThrows(UidDb.CorruptException.class, () -> UidDb.parse("1 7 10\n5 e\n2 e\n".getBytes()));
        assertThrows(UidDb.CorruptException.class, () -> UidDb.parse("1 7 10\n5 e\n5 f\n".getBytes()));
    }
}
