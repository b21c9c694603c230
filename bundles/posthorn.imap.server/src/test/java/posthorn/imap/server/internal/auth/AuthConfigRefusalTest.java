package posthorn.imap.server.internal.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import posthorn.imap.server.internal.Configurations;
import posthorn.imap.server.internal.LogCapture;

/**
 * auth.cfg with a value that cannot be used, key by key (issue 13: every config value is validated
 * when read): the file is refused in one line naming the key, and the chain keeps what it had.
 */
class AuthConfigRefusalTest {

    private static Map<String, Object> good() {
        Map<String, Object> m = new HashMap<>();
        m.put("backends", new String[] {"userdb, ldap"});
        m.put("chain.timeout", 3.0);
        return m;
    }

    /** What DS hands over from a .cfg file: strings, with FileInstall's and ConfigAdmin's own keys. */
    private static void configureFromFile(AuthChain chain, Map<String, Object> typed, Map<String, Object> raw) {
        Map<String, Object> props = new HashMap<>(raw);
        props.put("service.pid", "auth");
        props.put("felix.fileinstall.filename", "file:/etc/posthorn/auth.cfg");
        chain.configure(Configurations.of(AuthConfig.class, typed), props);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // key as typed             | value given to the annotation       | what the line names
        "backends                   | ''                                  | backends: at least one backend is needed",
        "backends                   | 'userdb; rm -rf'                    | backends: not a backend name: userdb;",
        "backends                   | '../x'                              | backends: not a backend name: ../x",
        "chain.timeout              | 0                                   | chain.timeout: must be more than 0",
        "chain.timeout              | -1                                  | chain.timeout: must be more than 0",
        "chain.timeout              | 1e9                                 | chain.timeout: must be more than 0",
        "chain.timeout              | NaN                                 | chain.timeout: must be more than 0",
        "chain.timeout              | soon                                | chain.timeout: not a valid value",
        "backend.retry              | -5                                  | backend.retry: must be from 0",
        "backend.retry              | later                               | backend.retry: not a valid value",
        "cache.ttl                  | -1                                  | cache.ttl: must be from 0",
        "cache.ttl                  | 999999                              | cache.ttl: must be from 0",
        "cache.ttl                  | long                                | cache.ttl: not a valid value",
        "stop.on.wrong.password     | maybe                               | stop.on.wrong.password: not a valid value",
    })
    void aBadValueRefusesTheFileAndTheChainKeepsWhatItHad(String key, String value, String named) {
        AuthChain chain = new AuthChain();
        chain.configure(Configurations.of(AuthConfig.class, good()));
        Map<String, Object> bad = good();
        Object typed = switch (key) {
            case "backends" -> new String[] {value};
            case "chain.timeout", "backend.retry" -> parse(value, Double::valueOf);
            case "cache.ttl" -> parse(value, Long::valueOf);
            default -> value; // a string where a boolean belongs: DS could not convert it either
        };
        bad.put(key, typed);
        try (LogCapture log = new LogCapture()) {
            chain.configure(Configurations.of(AuthConfig.class, bad));
            List<String> lines = log.lines("auth.cfg refused");
            assertEquals(1, lines.size(), log.lines().toString());
            assertTrue(lines.get(0).contains(named), lines.get(0));
            assertTrue(lines.get(0).contains("the previous settings stay in force"), lines.get(0));
        }
        assertEquals(List.of("userdb", "ldap"), chain.order(), "the chain from before stays");
    }

    /** A number DS could not convert reaches the method as an exception when read: here, a string. */
    private static Object parse(String v, java.util.function.Function<String, Object> f) {
        try {
            return f.apply(v);
        } catch (NumberFormatException e) {
            return v;
        }
    }

    @ParameterizedTest
    @CsvSource({"backend, backends", "chain.timout, chain.timeout", "cache_ttl, cache.ttl",
        "stop.on.wrong.passwd, stop.on.wrong.password", "Backend.Retry, backend.retry"})
    void aNearMissKeyRefusesTheFileNamingTheKeyMeant(String typo, String meant) {
        AuthChain chain = new AuthChain();
        chain.configure(Configurations.of(AuthConfig.class, good()));
        Map<String, Object> raw = new HashMap<>(Map.of("backends", "passwd", typo, "5"));
        try (LogCapture log = new LogCapture()) {
            configureFromFile(chain, Map.of("backends", new String[] {"passwd"}), raw);
            List<String> lines = log.lines("auth.cfg refused");
            assertEquals(1, lines.size(), log.lines().toString());
            assertTrue(lines.get(0).contains(typo + ": unknown key; did you mean " + meant + "?"), lines.get(0));
        }
        assertEquals(List.of("userdb", "ldap"), chain.order(), "the file with the slip is not taken");
    }

    @Test
    void aBooleanThatIsNeitherTrueNorFalseRefusesTheFile() {
        AuthChain chain = new AuthChain();
        chain.configure(Configurations.of(AuthConfig.class, good()));
        try (LogCapture log = new LogCapture()) {
            // DS would read "yes" as false and silently let a wrong password fall through to the next backend
            configureFromFile(chain, Map.of("backends", new String[] {"passwd"}, "stop.on.wrong.password", false),
                    Map.of("backends", "passwd", "stop.on.wrong.password", "yes"));
            assertEquals(1, log.lines("auth.cfg refused: stop.on.wrong.password: must be true or false").size(),
                    log.lines().toString());
        }
        assertEquals(List.of("userdb", "ldap"), chain.order());
    }

    @Test
    void anUnknownKeyFarFromAnyIsLoggedAndIgnored() {
        AuthChain chain = new AuthChain();
        try (LogCapture log = new LogCapture()) {
            configureFromFile(chain, Map.of("backends", new String[] {"passwd"}),
                    Map.of("backends", "passwd", "colour", "blue"));
            assertEquals(1, log.lines("auth.cfg: colour: unknown key, ignored").size(), log.lines().toString());
            assertEquals(0, log.lines("refused").size(), log.lines().toString());
        }
        assertEquals(List.of("passwd"), chain.order());
    }
}
