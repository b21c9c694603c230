package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file system side of a scan, with a clock the test sets instead of waiting. */
class DirectoryScanTest {
    @TempDir
    Path folder;
    long now = 1_800_000_000_000L;
    DirectoryScan scan;

    @BeforeEach
    void folder() throws Exception {
        DirectoryScan.ensureSubdirectories(folder);
        scan = new DirectoryScan(folder, () -> now);
    }

    private void file(String path) throws Exception {
        Files.writeString(folder.resolve(path), "x\n");
    }

    private static UidDb numbered(String... bases) throws Exception {
        StringBuilder text = new StringBuilder("1 100 1\n");
        for (int i = 0; i < bases.length; i++) {
            text.append(i + 1).append(' ').append(bases[i]).append('\n');
        }
        return UidDb.parse(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void listsCurAndNewByBaseName() throws Exception {
        file("cur/1.M1.h:2,S");
        file("cur/2.M1.h");
        file("cur/.hidden");
        file("new/3.M1.h");
        Map<String, MessageFile> listing = scan.list(false, numbered());
        assertEquals(Map.of("1.M1.h", new MessageFile(false, "1.M1.h:2,S"), "2.M1.h", new MessageFile(false, "2.M1.h"),
                "3.M1.h", new MessageFile(true, "3.M1.h")), listing);
        assertEquals(folder.resolve("new/3.M1.h"), scan.path(listing.get("3.M1.h")));
    }

    @Test
    void aClaimingListingLeavesArrivalsInNewForTheNextScan() throws Exception {
        file("new/3.M1.h");
        file("new/4.M1.h");
        Map<String, MessageFile> listing = scan.list(true, numbered("3.M1.h"));
        assertEquals(Set.of("3.M1.h"), listing.keySet(), "numbered stays, unnumbered waits to be claimed");
    }

    @Test
    void claimNewMovesNewToCurButNeverOverwrites() throws Exception {
        file("new/5.M1.h");
        file("new/6.M1.h:2,S");
        file("new/7.M1.h");
        file("cur/7.M1.h:2,");
        assertEquals(Set.of("5.M1.h", "6.M1.h"), scan.claimNew());
        assertTrue(Files.exists(folder.resolve("cur/5.M1.h:2,")));
        assertTrue(Files.exists(folder.resolve("cur/6.M1.h:2,S")));
        assertTrue(Files.exists(folder.resolve("new/7.M1.h")), "a name taken in cur/ stays in new/");
    }

    @Test
    void findLooksUpARenamedMessage() throws Exception {
        file("cur/1.M1.h:2,FS");
        file("new/2.M1.h");
        assertEquals(new MessageFile(false, "1.M1.h:2,FS"), scan.find("1.M1.h"));
        assertEquals(new MessageFile(true, "2.M1.h"), scan.find("2.M1.h"));
        assertNull(scan.find("3.M1.h"));
        Files.delete(folder.resolve("cur/1.M1.h:2,FS"));
        Files.delete(folder.resolve("cur"));
        assertThrows(NoSuchFileException.class, () -> scan.find("1.M1.h"), "the folder is gone");
    }

    @Test
    void regularFileRefusesWhatIsNotAMessage() throws Exception {
        file("cur/1.M1.h:2,");
        Files.createDirectory(folder.resolve("cur/2.dir"));
        assertNotNull(scan.regularFile(new MessageFile(false, "1.M1.h:2,")));
        assertNull(scan.regularFile(new MessageFile(false, "2.dir")));
        assertNull(scan.regularFile(new MessageFile(false, "3.gone")));
    }

    @Test
    void onlySettledUnchangedTimesAreTrusted() throws Exception {
        assertNull(scan.stamp(), "no UID database yet: nothing to compare");
        file(UidDb.FILE);
        FileTime t = FileTime.fromMillis(now - 60_000);
        for (String p : new String[] {"cur", "new", UidDb.FILE}) {
            Files.setLastModifiedTime(folder.resolve(p), t);
        }
        DirectoryScan.Stamp last = scan.stamp();
        assertTrue(scan.unchanged(last, scan.stamp()));
        assertFalse(scan.unchanged(null, scan.stamp()), "no earlier scan");
        assertFalse(scan.unchanged(last, null), "times unreadable");

        Files.setLastModifiedTime(folder.resolve("new"), FileTime.fromMillis(now - 30_000)); // a delivery
        assertFalse(scan.unchanged(last, scan.stamp()));

        last = scan.stamp();
        Files.setLastModifiedTime(folder.resolve("cur"), FileTime.fromMillis(now - 1_000));
        DirectoryScan.Stamp fresh = scan.stamp();
        assertFalse(scan.unchanged(fresh, scan.stamp()), "within the settle time another change could hide");
        now += DirectoryScan.SETTLE_MILLIS;
        assertTrue(scan.unchanged(fresh, scan.stamp()), "settled");
        assertFalse(scan.unchanged(last, fresh));
    }

    @Test
    void cleanTmpRemovesOnlyAbandonedDeliveries() throws Exception {
        file("tmp/old");
        file("tmp/recent");
        Files.setLastModifiedTime(folder.resolve("tmp/old"), FileTime.fromMillis(now - 37 * 3600_000L));
        Files.setLastModifiedTime(folder.resolve("tmp/recent"), FileTime.fromMillis(now - 35 * 3600_000L));
        scan.cleanTmp();
        assertFalse(Files.exists(folder.resolve("tmp/old")));
        assertTrue(Files.exists(folder.resolve("tmp/recent")));
    }

    @Test
    void cleanTmpSparesADeliveryInProgressThatCarriesAnOldInternalDate() throws Exception {
        String appending = now / 1000 + ".M1P1Q1.h"; // APPEND ... "01-Jan-2010": tmp/ file dated 2010
        String abandoned = (now / 1000 - 37 * 3600) + ".M1P1Q1.h";
        file("tmp/" + appending);
        file("tmp/" + abandoned);
        FileTime internalDate = FileTime.fromMillis(now - 16L * 365 * 24 * 3600_000L);
        Files.setLastModifiedTime(folder.resolve("tmp/" + appending), internalDate);
        Files.setLastModifiedTime(folder.resolve("tmp/" + abandoned), internalDate);
        scan.cleanTmp();
        assertTrue(Files.exists(folder.resolve("tmp/" + appending)), "its name says it began now");
        assertFalse(Files.exists(folder.resolve("tmp/" + abandoned)));
    }

    @Test
    void tmpIsLookedAtOncePerInterval() throws Exception {
        scan.cleanTmpIfDue();
        file("tmp/old");
        Files.setLastModifiedTime(folder.resolve("tmp/old"), FileTime.fromMillis(now - 37 * 3600_000L));
        now += DirectoryScan.TMP_CLEAN_INTERVAL_MILLIS - 1;
        scan.cleanTmpIfDue();
        assertTrue(Files.exists(folder.resolve("tmp/old")), "cleaned less than an interval ago");
        now += 1;
        scan.cleanTmpIfDue();
        assertFalse(Files.exists(folder.resolve("tmp/old")));
    }

    /** The listing reads names without a Path each; a folder gone still says so precisely. */
    @Test
    void aListingOfAFolderWhoseCurIsGoneThrowsNoSuchFile() throws Exception {
        file("new/1.M1.h");
        assertEquals(Set.of("1.M1.h"), scan.list(false, numbered()).keySet());
        Files.delete(folder.resolve("new/1.M1.h"));
        Files.delete(folder.resolve("new"));
        assertEquals(Map.of(), scan.list(false, numbered()), "new/ missing is an empty new/");
        Files.delete(folder.resolve("cur"));
        assertThrows(NoSuchFileException.class, () -> scan.list(false, numbered()), "the folder is gone");
    }
}
