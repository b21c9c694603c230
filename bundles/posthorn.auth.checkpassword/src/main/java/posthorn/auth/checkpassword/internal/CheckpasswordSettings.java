package posthorn.auth.checkpassword.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import posthorn.auth.support.config.BadSetting;

/**
 * The checked settings of auth.checkpassword.cfg.
 *
 * @param program       the checkpassword program and its own arguments, e.g. {@code [/usr/bin/checkpw]};
 *                      the program it is to run on success is added by the backend
 * @param timeout       how long one check may take before the program is killed
 * @param maxConcurrent how many checks may run at once; more wait up to {@code timeout}
 * @param env           the program's whole environment (besides {@code PATH}, which has a default)
 * @param minUid        the lowest uid an accepted account may have (1: root never logs in)
 */
record CheckpasswordSettings(List<String> program, Duration timeout, int maxConcurrent, Map<String, String> env,
        long minUid) {

    static final double DEFAULT_TIMEOUT_SECONDS = 5;
    static final int DEFAULT_MAX_CONCURRENT = 4;
    static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    CheckpasswordSettings {
        program = List.copyOf(program);
        env = Map.copyOf(env);
    }

    /**
     * Checks the values as written in the file.
     *
     * @throws BadSetting naming the first key whose value cannot be used
     */
    static CheckpasswordSettings of(String program, String timeoutSeconds, String maxConcurrent, String env,
            String minUid) {
        if (program == null || program.isBlank()) {
            throw new BadSetting("program", "required (the checkpassword program, e.g. /usr/bin/checkpw)");
        }
        List<String> words = Arrays.asList(program.trim().split("\\s+"));
        Path exe = BadSetting.path("program", words.get(0));
        if (!exe.isAbsolute()) {
            throw new BadSetting("program", "not an absolute path: " + words.get(0));
        }
        if (!Files.isRegularFile(exe) || !Files.isExecutable(exe)) {
            throw new BadSetting("program", "not an executable file: " + exe);
        }
        double seconds = number("timeout", timeoutSeconds, DEFAULT_TIMEOUT_SECONDS);
        if (!(seconds >= 0.1 && seconds <= 300)) {
            throw new BadSetting("timeout", "must be between 0.1 and 300 seconds");
        }
        double max = number("max.concurrent", maxConcurrent, DEFAULT_MAX_CONCURRENT);
        if (max != Math.rint(max) || max < 1 || max > 1024) {
            throw new BadSetting("max.concurrent", "must be a whole number from 1 to 1024");
        }
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("PATH", DEFAULT_PATH);
        if (env != null && !env.isBlank()) {
            for (String pair : env.split(",", -1)) {
                String p = pair.trim();
                int eq = p.indexOf('=');
                if (eq <= 0 || !ENV_NAME.matcher(p.substring(0, eq)).matches()) {
                    throw new BadSetting("env", "not NAME=value: " + (eq <= 0 ? p : p.substring(0, eq)));
                }
                vars.put(p.substring(0, eq), p.substring(eq + 1));
            }
        }
        double min = number("min.uid", minUid, 1);
        if (min != Math.rint(min) || min < 0 || min > 4294967295d) {
            throw new BadSetting("min.uid", "must be a whole number from 0 to 4294967295");
        }
        return new CheckpasswordSettings(words, Duration.ofMillis(Math.round(seconds * 1000)), (int) max, vars,
                (long) min);
    }

    private static double number(String key, String value, double otherwise) {
        if (value == null || value.isBlank()) {
            return otherwise;
        }
        try {
            double d = Double.parseDouble(value.trim());
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new BadSetting(key, "not a number: " + value.trim());
        }
    }
}
