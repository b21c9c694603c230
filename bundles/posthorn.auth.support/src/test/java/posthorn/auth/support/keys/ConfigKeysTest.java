package posthorn.auth.support.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigKeysTest {

    @interface Config {
        String template();

        long poll_interval();

        boolean create();

        String max__odd();
    }

    static final Set<String> KNOWN = Set.of("max.per.ip", "max.connections", "chain.timeout", "port", "tls.port",
            "backends", "cache.ttl", "min.uid");

    @Test
    void keysAsDsSpellsThem() {
        assertEquals(Set.of("template", "poll.interval", "create", "max_odd"), ConfigKeys.of(Config.class));
    }

    @ParameterizedTest
    @CsvSource({
        "max.per.ipp, max.per.ip",
        "max_per_ip, max.per.ip",
        "MAX.PER.IP, max.per.ip",
        "max-per-ip, max.per.ip",
        "chain.timout, chain.timeout",
        "chian.timeout, chain.timeout",
        "backend, backends",
        "cache.tll, cache.ttl",
        "max.connection, max.connections",
        "min.uidd, min.uid",
    })
    void nearMissesNameTheKeyMeant(String typo, String meant) {
        assertEquals(meant, ConfigKeys.closest(typo, KNOWN));
    }

    @ParameterizedTest
    @CsvSource({"colour", "xyz", "timeout", "maximum", "prt.x"})
    void distantKeysAreNoNearMiss(String key) {
        assertNull(ConfigKeys.closest(key, KNOWN));
    }

    @Test
    void shortKeysNeedACloserMatch() {
        // "port" is 4 letters: one edit at most, so "pots" (two) is no slip for it
        assertEquals("port", ConfigKeys.closest("prot", KNOWN));
        assertNull(ConfigKeys.closest("pots", KNOWN));
    }

    @Test
    void checkRefusesNearMissesAndBadBooleansAndNotesTheRest() {
        Map<String, Object> props = Map.of("template", "%h/Maildir", "poll.intervall", "5", "create", "yes",
                "colour", "blue", "service.pid", "maildir", "felix.fileinstall.filename", "file:/x",
                "component.name", "x", "posthorn.auth.backend", "passwd");
        List<ConfigKeys.Problem> problems = ConfigKeys.check(props, Config.class);
        assertEquals(List.of(
                new ConfigKeys.Problem("create", "must be true or false", true),
                new ConfigKeys.Problem("poll.intervall", "unknown key; did you mean poll.interval?", true),
                new ConfigKeys.Problem("colour", "unknown key, ignored", false)), problems);
    }

    @Test
    void booleansInAnyCaseAndTypedValuesPass() {
        assertEquals(List.of(), ConfigKeys.check(Map.of("create", " TRUE "), Config.class));
        assertEquals(List.of(), ConfigKeys.check(Map.of("create", "false"), Config.class));
        assertEquals(List.of(), ConfigKeys.check(Map.of("create", Boolean.TRUE), Config.class));
    }
}
