package posthorn.auth.passwd.internal;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;

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
import posthorn.auth.api.UserDatabase;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.auth.support.config.BadSetting;
import posthorn.auth.support.config.ConfigFile;
import posthorn.auth.support.crypt.CryptHash;

/**
 * The system's accounts, from /etc/passwd and /etc/shadow (Courier's authpwd/authshadow), as an auth
 * backend named {@code passwd}: a password database and a user database. The user's home comes
 * from passwd; the Maildir is left to the store's template ({@code %h/Maildir} by default).
 *
 * <p>Only accounts with a uid in [{@code min.uid}, {@code max.uid}] exist for IMAP: root and the
 * system accounts are "no such user", never a login. Accounts whose shadow entry says expired or
 * inactive (shadow-utils' rules), locked ({@code !}) or passwordless ({@code *}, empty) cannot log
 * in. Needs read access to the shadow file (root, or group shadow). Hashes are checked by the
 * shared {@link CryptHash}, with its rules for those markers and for bcrypt's 72 bytes; an empty
 * password is refused by the server's auth chain before any backend is asked.
 *
 * <p>A configuration it cannot use is refused whole, in one log line naming the key: the settings
 * from before keep serving, or, if there were none, logins answer Unavailable with that reason.
 *
 * <p>Thread-safe: all state is in the immutable snapshot of a {@link PasswdFiles}.
 */
@Component(configurationPid = "auth.passwd", configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {PasswordDatabase.class, UserDatabase.class},
        property = AuthBackend.NAME + "=passwd")
@Designate(ocd = PasswdBackend.Config.class)
public class PasswdBackend implements PasswordDatabase, UserDatabase {

    @ObjectClassDefinition(name = "Posthorn passwd backend",
            description = "System accounts from /etc/passwd and /etc/shadow")
    @interface Config {
        @AttributeDefinition(description = "The passwd(5) file")
        String passwd_file() default "/etc/passwd";

        @AttributeDefinition(description = "The shadow(5) file; empty if the hashes are in the passwd file")
        String shadow_file() default "/etc/shadow";

        @AttributeDefinition(description = "Lowest uid that may log in (root and system accounts may not)")
        long min_uid() default 1000;

        @AttributeDefinition(description = "Highest uid that may log in (nobody is 65534)")
        long max_uid() default 60000;
    }

    private static final Logger LOG = LoggerFactory.getLogger(PasswdBackend.class);
    private static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);
    /**
     * A SHA-512 crypt hash of nothing anyone types (24 random bytes, forgotten): unknown users are
     * checked against it, so that "no such user" takes about as long as a wrong password and does
     * not tell who exists.
     */
    private static final String DUMMY_HASH =
            "$6$PosthornDummy$6hSQprwvfAv3vEsV91qlB0UIQmoAzPXpsWpsLDwGy5KOpu5X8gkdw8yhep4NgvD8yXyJHkLtgRTqBxwCr9U/u/";

    private final ConfigFile file = new ConfigFile("auth.passwd.cfg", LOG);
    private volatile PasswdFiles files;
    private volatile long minUid;
    private volatile long maxUid;
    private Clock clock = Clock.systemUTC();

    /**
     * What DS calls with the file's contents: the keys are checked first (a near-miss key or a bad
     * boolean refuses the file, as a bad value does), then the values.
     */
    @Activate
    @Modified
    void configure(Config config, Map<String, Object> properties) {
        if (file.keysTaken(properties, Config.class, files != null)) {
            activate(config);
        }
    }

    void activate(Config config) {
        try {
            Path passwd = BadSetting.path("passwd.file", config.passwd_file());
            String shadow = config.shadow_file();
            long min = BadSetting.read("min.uid", config::min_uid);
            long max = BadSetting.read("max.uid", config::max_uid);
            if (max < Math.max(1, min)) {
                throw new BadSetting("max.uid", "below min.uid (" + Math.max(1, min) + ")");
            }
            activate(passwd, shadow == null || shadow.isBlank() ? null : BadSetting.path("shadow.file", shadow),
                    min, max, CHECK_INTERVAL);
        } catch (BadSetting e) {
            file.refused(e, files != null);
        }
    }

    /** Activation with plain values, for tests without a framework. */
    void activate(Path passwd, Path shadow, long minUid, long maxUid, Duration checkInterval) {
        if (minUid < 1) {
            LOG.warn("passwd: min.uid {} would let root log in; using 1", minUid);
            minUid = 1;
        }
        this.minUid = minUid;
        this.maxUid = maxUid;
        this.files = new PasswdFiles(passwd, shadow, checkInterval, System::nanoTime);
        file.taken();
        LOG.info("passwd backend: {} and {}, uids {} to {}", passwd, shadow == null ? "no shadow file" : shadow,
                minUid, maxUid);
    }

    void clock(Clock clock) {
        this.clock = clock;
    }

    @Override
    public Verdict verify(String user, Secret password) {
        PasswdFiles f = files;
        if (f == null) {
            return file.unavailable("passwd: not configured");
        }
        PasswdFiles.Snapshot s = f.current();
        if (!s.available()) {
            return new Verdict.Unavailable(s.problem());
        }
        PasswdEntry pw = user == null ? null : s.passwd().get(user);
        if (pw == null || !inRange(pw)) {
            burnTime(password);
            return Verdict.NO_SUCH_USER;
        }
        String hash = pw.password();
        ShadowEntry sh = null;
        if ("x".equals(hash)) {
            sh = s.shadow().get(user);
            if (sh == null) {
                if (s.shadowProblem() != null) {
                    return new Verdict.Unavailable("shadow file unreadable");
                }
                return new Verdict.WrongPassword("no shadow entry");
            }
            hash = sh.hash();
        }
        return switch (CryptHash.check(hash, password)) {
            case MATCH -> {
                ShadowEntry.Status status = sh == null ? ShadowEntry.Status.VALID : sh.status(today());
                yield switch (status) {
                    case VALID, PASSWORD_EXPIRED -> new Verdict.Success(record(pw));
                    case INACTIVE -> new Verdict.WrongPassword("account inactive (password expired too long ago)");
                    case ACCOUNT_EXPIRED -> new Verdict.WrongPassword("account expired");
                };
            }
            case MISMATCH -> new Verdict.WrongPassword("wrong password");
            case LOCKED -> new Verdict.WrongPassword("account locked");
            case NO_PASSWORD -> new Verdict.WrongPassword("account has no password");
            case UNSUPPORTED -> {
                String scheme = CryptHash.scheme(hash);
                if (s.firstReport("scheme " + user)) {
                    if (scheme.equals("$y$") || scheme.equals("$gy$")) {
                        LOG.warn("passwd: user {} has a yescrypt ({}) hash, which Posthorn cannot check (there is"
                                + " no maintained Java implementation); the account cannot log in until its password"
                                + " is set again as SHA-512 (e.g. chpasswd -c SHA512, or ENCRYPT_METHOD SHA512 in"
                                + " /etc/login.defs)", user, scheme);
                    } else {
                        LOG.warn("passwd: user {} has a password hash in unsupported scheme {}; the account cannot"
                                + " log in", user, scheme);
                    }
                }
                yield new Verdict.WrongPassword("unsupported hash scheme " + scheme);
            }
            case MALFORMED -> {
                if (s.firstReport("malformed " + user)) {
                    LOG.warn("passwd: user {} has a malformed password hash", user);
                }
                yield new Verdict.WrongPassword("malformed password hash");
            }
        };
    }

    @Override
    public Optional<UserRecord> lookup(String user) {
        PasswdFiles f = files;
        if (f == null) {
            return Optional.empty();
        }
        PasswdFiles.Snapshot s = f.current();
        PasswdEntry pw = user == null ? null : s.passwd().get(user);
        return pw == null || !inRange(pw) ? Optional.empty() : Optional.of(record(pw));
    }

    private boolean inRange(PasswdEntry pw) {
        return pw.uid() >= minUid && pw.uid() <= maxUid;
    }

    private long today() {
        return LocalDate.now(clock.withZone(ZoneOffset.UTC)).toEpochDay();
    }

    private static UserRecord record(PasswdEntry pw) {
        // maildir null: the store's template (%h/Maildir) applies, as for Courier's authpwd
        return new UserRecord(pw.name(), pw.home(), null, pw.uid(), pw.gid(), null,
                pw.shell().isEmpty() ? Map.of() : Map.of("shell", pw.shell()));
    }

    private static void burnTime(Secret password) {
        CryptHash.check(DUMMY_HASH, password);
    }
}
