package posthorn.imapd;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A configuration file of config/ as the daemon's ConfigurationAdmin sees it: key=value lines
 * (java.util.Properties, as FileInstall reads .cfg files), with {@code $[env:NAME]} and
 * {@code $[secret:NAME]} placeholders filled in as Felix's interpolation plugin fills them (an
 * optional {@code ;default=VALUE}; a placeholder that names nothing and has no default stays as it
 * is, so that the check of its key refuses it by name).
 */
final class ConfigFile {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\[(env|secret):([^;\\]]+)(?:;default=([^\\]]*))?\\]");

    private ConfigFile() {
    }

    /**
     * The file's keys and values, or an empty map when there is no such file.
     *
     * @param env     the environment (System::getenv)
     * @param secrets the directory of $[secret:NAME] files
     */
    static Map<String, Object> read(Path file, Function<String, String> env, Path secrets) throws IOException {
        Map<String, Object> values = new HashMap<>();
        if (!Files.isRegularFile(file)) {
            return values;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        for (String key : p.stringPropertyNames()) {
            values.put(key, interpolate(p.getProperty(key), env, secrets));
        }
        return values;
    }

    static String interpolate(String value, Function<String, String> env, Path secrets) {
        Matcher m = PLACEHOLDER.matcher(value);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String found = m.group(1).equals("env") ? env.apply(m.group(2)) : secret(secrets, m.group(2));
            String v = found != null ? found : m.group(3) != null ? m.group(3) : m.group();
            m.appendReplacement(b, Matcher.quoteReplacement(v));
        }
        m.appendTail(b);
        return b.toString();
    }

    /** A secret's file, its content without the line end; null if there is none (or its name leaves the directory). */
    private static String secret(Path secrets, String name) {
        if (secrets == null || name.contains("/") || name.equals("..") || name.equals(".")) {
            return null;
        }
        try {
            return Files.readString(secrets.resolve(name), StandardCharsets.UTF_8).replaceAll("\\r?\\n$", "");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
