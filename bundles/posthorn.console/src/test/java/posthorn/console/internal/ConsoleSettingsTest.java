package posthorn.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ConsoleSettingsTest {

    @Test
    void defaultsTakeTheSocketFromTheVarDirectory() {
        ConsoleSettings s = ConsoleSettings.from(Map.of(), "/var/lib/posthorn");
        assertEquals(Path.of("/var/lib/posthorn/admin.sock"), s.socket());
        assertEquals(8, s.maxSessions());
        assertEquals(65536, s.lineMax());
        assertNull(ConsoleSettings.from(Map.of(), null).socket(), "no POSTHORN_VAR, no socket");
        assertNull(ConsoleSettings.from(Map.of("socket", " "), "/v").socket(), "empty: off");
    }

    @Test
    void everyBadValueNamesItsKey() {
        assertBad("socket: not an absolute path", Map.of("socket", "var/admin.sock"));
        assertBad("socket: longer than the 107 bytes", Map.of("socket", "/" + "x".repeat(120)));
        assertBad("max.sessions: not a whole number", Map.of("max.sessions", "lots"));
        assertBad("max.sessions: 0 is not between 1 and 1000", Map.of("max.sessions", "0"));
        assertBad("line.max: 100 is not between 256", Map.of("line.max", "100"));
        assertBad("line.max: not a whole number", Map.of("line.max", "1e9"));
    }

    private static void assertBad(String start, Map<String, ?> props) {
        ConsoleSettings.BadValue e = assertThrows(ConsoleSettings.BadValue.class, () -> ConsoleSettings.from(props, "/v"));
        assertEquals(true, e.getMessage().startsWith(start), e.getMessage());
    }
}
