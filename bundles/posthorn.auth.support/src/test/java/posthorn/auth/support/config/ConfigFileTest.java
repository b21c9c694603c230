package posthorn.auth.support.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import posthorn.auth.support.testing.LogCapture;

class ConfigFileTest {

    private final ConfigFile file = new ConfigFile("auth.test.cfg", LoggerFactory.getLogger("posthorn.test.ConfigFile"));

    @Test
    void aRefusedFirstFileIsWhyLoginsAreUnavailableUntilOneIsTaken() {
        assertEquals("not configured", file.unavailable("not configured").reason());
        try (LogCapture log = new LogCapture()) {
            file.refused(new BadSetting("pool.size", "not a valid value"), false);
            assertEquals(List.of("auth.test.cfg refused: pool.size: not a valid value; the backend is unavailable until"
                    + " the file is fixed"), messages(log.lines("ERROR", "posthorn.test")));
        }
        assertTrue(file.unavailable("not configured").reason().startsWith("auth.test.cfg refused: pool.size"));
        file.taken();
        assertEquals("not configured", file.unavailable("not configured").reason());
    }

    @Test
    void theSameRefusalIsLoggedOnceUntilAFileIsTaken() {
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 4; i++) {
                file.refused(new BadSetting("mechanisms", "unknown mechanism X"), true);
            }
            file.refused(new BadSetting("scram.iterations", "must be at least 4096"), true);
            file.taken();
            file.refused(new BadSetting("mechanisms", "unknown mechanism X"), true);
            assertEquals(List.of(
                    "auth.test.cfg refused: mechanisms: unknown mechanism X; the previous settings stay in force",
                    "auth.test.cfg refused: scram.iterations: must be at least 4096; the previous settings stay in force",
                    "auth.test.cfg refused: mechanisms: unknown mechanism X; the previous settings stay in force"),
                    messages(log.lines("WARN", "posthorn.test")));
            assertEquals(3, log.text().lines().count());
        }
    }

    private static List<String> messages(List<String> lines) {
        return lines.stream().map(l -> l.substring(l.indexOf(" - ") + 3)).toList();
    }
}
