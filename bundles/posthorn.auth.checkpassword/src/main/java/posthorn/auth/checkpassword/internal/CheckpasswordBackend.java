package posthorn.auth.checkpassword.internal;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.api.AuthBackend;
import posthorn.auth.api.PasswordDatabase;
import posthorn.auth.api.Secret;
import posthorn.auth.api.Verdict;
import posthorn.auth.support.config.BadSetting;
import posthorn.auth.support.config.ConfigFile;

/**
 * Any program speaking D. J. Bernstein's checkpassword interface (checkpw, checkvpw, vchkpw, a
 * site's own script) as an auth backend named {@code checkpassword}: a password database whose
 * successes carry the account the program switched to (home, uid, gid). It cannot look a user up
 * without a password, so it is no user database; the Maildir follows the store's template.
 *
 * <p>Each check is one process, at most {@code max.concurrent} at a time, killed after
 * {@code timeout} (a wait for a free slot, at most half of it, included); the password reaches it only on descriptor 3 (see {@link CheckpasswordRun}).
 * Exit 1 is a wrong password (the interface cannot tell an unknown user from a bad password, so
 * by default the chain stops there: put this backend last, or set auth.cfg's
 * {@code stop.on.wrong.password=false}); exit 3 (Dovecot's extension) is an unknown user; 2, 111,
 * anything else, a timeout or a program that cannot start are Unavailable, logged in one line.
 *
 * <p>Thread-safe: the settings and their semaphore are replaced together, as one immutable pair.
 */
@Component(configurationPid = "auth.checkpassword", configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = PasswordDatabase.class, property = AuthBackend.NAME + "=checkpassword")
@Designate(ocd = CheckpasswordBackend.Config.class)
public class CheckpasswordBackend implements PasswordDatabase {

    @ObjectClassDefinition(name = "Posthorn checkpassword backend",
            description = "A program speaking djb's checkpassword interface")
    @interface Config {
        @AttributeDefinition(description = "The checkpassword program and its own arguments, e.g. /usr/bin/checkpw")
        String program();

        @AttributeDefinition(description = "Seconds one check may take before the program is killed")
        String timeout() default "5";

        @AttributeDefinition(description = "Checks that may run at once; another waits for a free one up to half of timeout")
        String max_concurrent() default "4";

        @AttributeDefinition(description = "The program's environment: NAME=value pairs, comma-separated"
                + " (PATH defaults to /usr/local/bin:/usr/bin:/bin)")
        String env() default "";

        @AttributeDefinition(description = "Lowest uid an accepted account may have; 1 keeps root out")
        String min_uid() default "1";
    }

    private record Active(CheckpasswordSettings settings, Semaphore slots) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(CheckpasswordBackend.class);
    private final ConfigFile file = new ConfigFile("auth.checkpassword.cfg", LOG);
    private volatile Active active;

    /**
     * What DS calls with the file's contents: the keys are checked first (a near-miss key or a bad
     * boolean refuses the file, as a bad value does), then the values.
     */
    @Activate
    @Modified
    void configure(Config config, Map<String, Object> properties) {
        if (file.keysTaken(properties, Config.class, active != null)) {
            activate(config);
        }
    }

    void activate(Config config) {
        try {
            activate(CheckpasswordSettings.of(BadSetting.read("program", config::program),
                    BadSetting.read("timeout", config::timeout),
                    BadSetting.read("max.concurrent", config::max_concurrent),
                    BadSetting.read("env", config::env),
                    BadSetting.read("min.uid", config::min_uid)));
        } catch (BadSetting e) {
            file.refused(e, active != null);
        }
    }

    void activate(CheckpasswordSettings settings) {
        active = new Active(settings, new Semaphore(settings.maxConcurrent(), true));
        file.taken();
        LOG.info("checkpassword backend: program={} timeout={}ms max.concurrent={} min.uid={}",
                settings.program().get(0), settings.timeout().toMillis(), settings.maxConcurrent(), settings.minUid());
    }

    @Override
    public Verdict verify(String user, Secret password) {
        Active a = active;
        if (a == null) {
            return file.unavailable("checkpassword: not configured");
        }
        if (user == null) {
            return Verdict.NO_SUCH_USER;
        }
        // A check waits for a free slot at most half its timeout, and the wait counts against the
        // timeout: a login through this backend never takes longer than timeout, and a check that
        // would be left with too little time to run is refused as busy instead.
        long budget = a.settings().timeout().toNanos();
        long t0 = System.nanoTime();
        try {
            if (!a.slots().tryAcquire(budget / 2, TimeUnit.NANOSECONDS)) {
                LOG.warn("checkpassword: all {} slots (max.concurrent) busy for {} ms; login refused as unavailable",
                        a.settings().maxConcurrent(), budget / 2_000_000);
                return new Verdict.Unavailable("checkpassword: max.concurrent checks busy");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Verdict.Unavailable("interrupted");
        }
        try {
            Duration left = Duration.ofNanos(budget - (System.nanoTime() - t0));
            CheckpasswordRun.Result r = CheckpasswordRun.run(a.settings(), left, user, password);
            if (r.problem() != null) {
                LOG.warn("checkpassword: {}", r.problem());
            }
            return r.verdict();
        } finally {
            a.slots().release();
        }
    }
}
