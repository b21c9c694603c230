package posthorn.auth.support.config;

import java.lang.annotation.Annotation;
import java.util.Map;
import java.util.Objects;

import org.slf4j.Logger;

import posthorn.auth.api.Verdict;
import posthorn.auth.support.keys.ConfigKeys;

/**
 * A backend's configuration file as the operator sees it when an edit is refused: one log line
 * naming the file, the key and the reason ({@link BadSetting#refusal}), and, while no settings from
 * it were ever taken, that line as the reason every login is Unavailable. The same refusal is not
 * logged twice in a row (several components may read one file); a taken file resets that.
 * Thread-safe.
 */
public final class ConfigFile {

    private final String name;
    private final Logger log;
    private volatile String lastLogged;
    private volatile String refusedFirst;

    /**
     * @param name the file's name as the operator knows it, e.g. {@code auth.sql.cfg}
     * @param log  the backend's logger, so the line carries its name
     */
    public ConfigFile(String name, Logger log) {
        this.name = name;
        this.log = log;
    }

    /**
     * The file was refused: one line, WARN when the settings from before keep serving, ERROR when
     * there are none and the backend answers Unavailable until the file is fixed.
     */
    public void refused(BadSetting e, boolean previousInForce) {
        String line = e.refusal(name, previousInForce);
        if (!previousInForce) {
            refusedFirst = line;
        }
        if (Objects.equals(line, lastLogged)) {
            return;
        }
        lastLogged = line;
        if (previousInForce) {
            log.warn("{}", line);
        } else {
            log.error("{}", line);
        }
    }

    /**
     * What Declarative Services does not check ({@link ConfigKeys}): a key within a slip of a known
     * one, or a boolean that is neither true nor false, refuses the file; any other unknown key is
     * logged, one line each, and ignored.
     *
     * @param properties the configuration as ConfigurationAdmin hands it to the component
     * @param config     the component's configuration annotation
     * @throws BadSetting for the first refusal
     */
    public void checkKeys(Map<String, ?> properties, Class<? extends Annotation> config) {
        for (ConfigKeys.Problem p : ConfigKeys.check(properties, config)) {
            if (p.refuse()) {
                throw new BadSetting(p.key(), p.reason());
            }
            log.warn("{}: {}: {}", name, p.key(), p.reason());
        }
    }

    /**
     * {@link #checkKeys} for a component's DS entry point: true if the keys pass and the values may
     * be read; false if the file was refused (logged as {@link #refused} says).
     */
    public boolean keysTaken(Map<String, ?> properties, Class<? extends Annotation> config, boolean previousInForce) {
        try {
            checkKeys(properties, config);
            return true;
        } catch (BadSetting e) {
            refused(e, previousInForce);
            return false;
        }
    }

    /** Settings from the file are in force now. */
    public void taken() {
        refusedFirst = null;
        lastLogged = null;
    }

    /** What a login is answered while the backend has no settings: the refusal if that is why, else {@code otherwise}. */
    public Verdict.Unavailable unavailable(String otherwise) {
        String why = refusedFirst;
        return new Verdict.Unavailable(why != null ? why : otherwise);
    }
}
