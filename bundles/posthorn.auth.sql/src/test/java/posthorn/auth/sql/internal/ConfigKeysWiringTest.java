package posthorn.auth.sql.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import posthorn.auth.api.Secret;
import posthorn.auth.api.Verdict;
import posthorn.auth.support.testing.DsConfig;
import posthorn.auth.support.testing.LogCapture;

/**
 * Issue 13: auth.sql.cfg is checked for what DS does not see before its values are read. A key within a
 * slip of a setting's, or a boolean that is neither true nor false, refuses the file in one line,
 * as a bad value does; DS alone would ignore the first and read the second as false.
 */
class ConfigKeysWiringTest {

    /** What DS hands the component for a .cfg file: its lines as strings, and ConfigAdmin's own keys. */
    private static Map<String, Object> props(String... kv) {
        Map<String, Object> m = new HashMap<>(DsConfig.map(kv));
        m.put("service.pid", "auth.sql");
        m.put("felix.fileinstall.filename", "file:/etc/posthorn/auth.sql.cfg");
        return m;
    }

    private static void refused(String[] kv, String line) {
        SqlBackend backend = new SqlBackend();
        try (LogCapture log = new LogCapture()) {
            backend.configure(DsConfig.of(SqlBackend.Config.class, kv), props(kv));
            List<String> lines = log.text().lines().filter(l -> l.contains("auth.sql.cfg refused")).toList();
            assertEquals(1, lines.size(), log.text());
            assertTrue(lines.get(0).contains("auth.sql.cfg refused: " + line), lines.get(0));
        }
        Verdict v = backend.verify("someone", Secret.of("pw"));
        assertTrue(assertInstanceOf(Verdict.Unavailable.class, v).reason().contains("auth.sql.cfg refused"), v.toString());
    }

    @Test
    void aNearMissKeyIsRefusedNamingTheKeyMeant() {
        refused(new String[] {"url", "jdbc:h2:mem:x", "pool.sise", "1"}, "pool.sise: unknown key; did you mean pool.size?");
    }
}
