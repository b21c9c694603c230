package posthorn.imap.server.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rules file in force: read again when it changes or when asked, the last good rules kept. */
class RulesFileTest {

    @Test
    void aChangeIsReadAndAnUnchangedFileIsNot(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rules");
        Files.writeString(f, "127.:allow\n:deny\n");
        RulesFile rules = new RulesFile();
        assertTrue(rules.refresh(f.toString(), false).changed());
        AccessRules first = rules.current();
        assertEquals(2, first.rules().size());
        assertFalse(rules.refresh(f.toString(), false).changed(), "unchanged: not read again");
        assertSame(first, rules.current());
        RulesFile.Outcome forced = rules.refresh(f.toString(), true);
        assertFalse(forced.changed(), "read again, the same rules");
        assertTrue(forced.text().endsWith("as before"), forced.text());

        Files.writeString(f, "127.:allow\n10.:allow\n:deny\n"); // another size: seen without waiting for the clock
        assertTrue(rules.refresh(f.toString(), false).changed());
        assertEquals(3, rules.current().rules().size());

        Files.writeString(f, "127.:allow\n10.:allow,max.per.ip=\"x\"\n:deny\n");
        RulesFile.Outcome refused = rules.refresh(f.toString(), false);
        assertTrue(refused.refused());
        assertTrue(refused.text().contains("line 2"), refused.text());
        assertEquals(3, rules.current().rules().size(), "the previous rules stay");
        assertFalse(rules.refresh(f.toString(), false).refused(), "a refused file is not read again until it changes");

        Files.delete(f);
        assertTrue(rules.refresh(f.toString(), false).refused());
        assertEquals(3, rules.current().rules().size(), "a file that is gone leaves the rules as they were");

        assertTrue(rules.refresh("", false).changed());
        assertSame(AccessRules.NONE, rules.current());
    }

    @Test
    void hostNamesAreCheckedBothWaysWithinTheTime() throws Exception {
        assertNull(RulesFile.hostName(InetAddress.getByName("127.0.0.1"), 0), "0: never looked up");
        String name = RulesFile.hostName(InetAddress.getByName("127.0.0.1"), 5000);
        // the loopback address has a name on any usual host (/etc/hosts), and it maps back
        assertTrue(name != null && InetAddress.getByName(name).isLoopbackAddress(), String.valueOf(name));
        // an address of the documentation range has no name that maps back to it (or none at all)
        long t0 = System.nanoTime();
        String none = RulesFile.hostName(InetAddress.getByName("192.0.2.77"), 300);
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "bounded by the timeout");
        assertTrue(none == null || InetAddress.getByName(none).getHostAddress().equals("192.0.2.77"), none);
    }
}
