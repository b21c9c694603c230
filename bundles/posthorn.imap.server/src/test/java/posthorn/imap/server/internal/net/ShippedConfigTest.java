package posthorn.imap.server.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import posthorn.imap.server.internal.auth.AuthConfig;

/**
 * Every key the server reads is in the config file it ships (config/, with its default and a comment)
 * and in README.md's table of keys: an operator reading either sees every setting there is. The key of
 * an attribute method is its name with {@code _} read as {@code .}, as Declarative Services maps it.
 */
class ShippedConfigTest {
    private static final Path TOP = Path.of("../..");

    @Test
    void imapdCfgAndTheReadmeNameEveryImapdKey() throws IOException {
        assertEquals(List.of(), missing(ImapdConfig.class, TOP.resolve("config/imapd.cfg")));
    }

    @Test
    void authCfgAndTheReadmeNameEveryAuthChainKey() throws IOException {
        assertEquals(List.of(), missing(AuthConfig.class, TOP.resolve("config/auth.cfg")));
    }

    private static List<String> missing(Class<?> config, Path cfg) throws IOException {
        String file = Files.readString(cfg);
        String readme = Files.readString(TOP.resolve("README.md"));
        List<String> missing = new ArrayList<>();
        for (Method m : config.getDeclaredMethods()) {
            String key = m.getName().replace('_', '.');
            if (!Pattern.compile("(?m)^#? ?" + Pattern.quote(key) + "=").matcher(file).find()) {
                missing.add(key + " not in " + cfg.getFileName());
            }
            if (!readme.contains("| `" + key + "` |")) {
                missing.add(key + " not in README.md's table");
            }
        }
        missing.sort(null);
        return missing;
    }
}
