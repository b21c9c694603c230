package posthorn.auth.cram.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import posthorn.auth.support.testing.DsConfig;
import posthorn.auth.support.testing.LogCapture;

/**
 * Issue 13: auth.cram.cfg's keys are checked before its values, once for the four mechanisms that
 * read it: a key within a slip of a setting's refuses the file in one line, and each mechanism keeps
 * what it had.
 */
class ConfigKeysWiringTest {

    @Test
    void aNearMissKeyIsRefusedOnceAndTheMechanismsKeepWhatTheyHad() {
        Map<String, Object> props = new HashMap<>(Map.of("mechanisms", "CRAM-MD5", "scram.iteration", "100",
                "service.pid", "auth.cram"));
        CramConfig config = DsConfig.of(CramConfig.class, "mechanisms", "CRAM-MD5");
        CramMd5 md5 = new CramMd5();
        CramSha1 sha1 = new CramSha1();
        try (LogCapture log = new LogCapture()) {
            md5.readConfig(config, props);
            sha1.readConfig(config, props);
            List<String> lines = log.text().lines().filter(l -> l.contains("auth.cram.cfg refused")).toList();
            assertEquals(1, lines.size(), log.text());
            assertTrue(lines.get(0).contains("scram.iteration: unknown key; did you mean scram.iterations?"), lines.get(0));
        }
        // CRAM-SHA1 keeps the default (on): the file that would turn it off was refused
        assertTrue(sha1.enabled());
    }
}
