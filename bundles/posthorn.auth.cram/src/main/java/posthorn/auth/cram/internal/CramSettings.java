package posthorn.auth.cram.internal;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.slf4j.LoggerFactory;

import posthorn.auth.support.config.BadSetting;
import posthorn.auth.support.config.ConfigFile;

/**
 * config/auth.cram.cfg, checked. All four mechanism components read the same file, so a file they
 * cannot use would be refused four times: {@link #of} logs each refusal once, and every component
 * keeps the settings it had (the defaults, until a good file came). Immutable.
 *
 * @param mechanisms       the mechanisms that may be offered, upper case
 * @param scramIterations  SCRAM-SHA-256's PBKDF2 iteration count
 */
record CramSettings(Set<String> mechanisms, int scramIterations) {

    static final List<String> KNOWN = List.of("CRAM-MD5", "CRAM-SHA1", "CRAM-SHA256", "SCRAM-SHA-256");
    /** RFC 7677 section 4: at least 4096. */
    static final int MIN_ITERATIONS = 4096;

    /** One for the four components: it logs a refusal once, not once per component. */
    private static final ConfigFile FILE = new ConfigFile("auth.cram.cfg", LoggerFactory.getLogger(CramSettings.class));

    /**
     * The settings the file gives, or empty if it is refused (logged once; the caller keeps what it had).
     */
    static Optional<CramSettings> of(CramConfig config) {
        return of(config, Map.of());
    }

    /**
     * The settings the file gives, its keys checked first (a near-miss key or a bad boolean refuses
     * it), or empty if it is refused (logged once; the caller keeps what it had).
     */
    static Optional<CramSettings> of(CramConfig config, Map<String, ?> properties) {
        try {
            FILE.checkKeys(properties, CramConfig.class);
            CramSettings s = check(config);
            FILE.taken();
            return Optional.of(s);
        } catch (BadSetting e) {
            FILE.refused(e, true); // each component keeps what it had: the defaults, or a file taken before
            return Optional.empty();
        }
    }

    /** @throws BadSetting naming the key */
    static CramSettings check(CramConfig config) {
        Set<String> mechanisms = new LinkedHashSet<>();
        for (String entry : BadSetting.read("mechanisms", config::mechanisms)) {
            for (String part : entry.split("[,\\s]+")) {
                String name = part.strip().toUpperCase(Locale.ROOT);
                if (name.isEmpty()) {
                    continue;
                }
                if (!KNOWN.contains(name)) {
                    throw new BadSetting("mechanisms", "unknown mechanism " + part.strip() + " (known: "
                            + String.join(", ", KNOWN) + ")");
                }
                mechanisms.add(name);
            }
        }
        int iterations = BadSetting.read("scram.iterations", config::scram_iterations);
        if (iterations < MIN_ITERATIONS) {
            throw new BadSetting("scram.iterations", "must be at least " + MIN_ITERATIONS + " (RFC 7677)");
        }
        return new CramSettings(Set.copyOf(mechanisms), iterations);
    }

    boolean enabled(String mechanism) {
        return mechanisms.contains(mechanism);
    }
}
