package posthorn.auth.userdb.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
import posthorn.auth.api.CredentialSource;
import posthorn.auth.api.PasswordDatabase;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserDatabase;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.auth.support.config.BadSetting;
import posthorn.auth.support.config.ConfigFile;
import posthorn.auth.support.crypt.CryptHash;

/**
 * Courier's userdb text file as an auth backend: one object registered as password database, user
 * database and credential source (HMAC-MD5 states for CRAM-MD5), named {@code userdb}.
 *
 * <p>LOGIN checks {@code imappw} if the account has one, else {@code systempw}, with the shared
 * {@link CryptHash} (its rules for locked accounts and bcrypt's 72 bytes); an empty password is
 * refused by the server's auth chain before any backend is asked. The file is
 * re-read when it changes (checked at most once a second, on lookup). A configuration it cannot
 * use is refused whole, in one log line naming the key: the file from before keeps serving, or, if
 * there was none, logins answer Unavailable with that reason. Thread-safe: all state is in the
 * immutable snapshot of a {@link UserdbFile}, swapped atomically.
 */
@Component(configurationPid = "auth.userdb", configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {PasswordDatabase.class, UserDatabase.class, CredentialSource.class},
        property = AuthBackend.NAME + "=userdb")
@Designate(ocd = UserdbBackend.Config.class)
public class UserdbBackend implements PasswordDatabase, UserDatabase, CredentialSource {

    @ObjectClassDefinition(name = "Posthorn userdb backend",
            description = "Courier userdb text file (name<TAB>field=value|...) as an auth backend")
    @interface Config {
        @AttributeDefinition(description = "The userdb file, or a directory of userdb files")
        String file();

        @AttributeDefinition(description = "Create the file with a demo account if it does not exist")
        boolean demo() default false;
    }

    private static final Logger LOG = LoggerFactory.getLogger(UserdbBackend.class);
    private static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

    private final ConfigFile configFile = new ConfigFile("auth.userdb.cfg", LOG);
    private volatile UserdbFile file;

    /**
     * What DS calls with the file's contents: the keys are checked first (a near-miss key or a bad
     * boolean refuses the file, as a bad value does), then the values.
     */
    @Activate
    @Modified
    void configure(Config config, Map<String, Object> properties) throws IOException {
        if (configFile.keysTaken(properties, Config.class, file != null)) {
            activate(config);
        }
    }

    void activate(Config config) throws IOException {
        Path userdb;
        try {
            userdb = BadSetting.path("file", config.file());
        } catch (BadSetting e) {
            configFile.refused(e, file != null);
            return;
        }
        activate(userdb, config.demo(), DemoAccount.Mode.of(System.getProperty(DemoAccount.MODE_PROPERTY)), System.out,
                CHECK_INTERVAL);
    }

    /** Activation with plain values, for tests without a framework: the demo account as on a terminal. */
    void activate(Path userdb, boolean demo, PrintStream out, Duration checkInterval) throws IOException {
        activate(userdb, demo, DemoAccount.Mode.TERMINAL, out, checkInterval);
    }

    /**
     * Activation with plain values.
     *
     * @param mode whether and how the demo account may be made (the launcher says: on a terminal or not)
     * @param out where the demo account's one-time password banner goes (a terminal)
     */
    void activate(Path userdb, boolean demo, DemoAccount.Mode mode, PrintStream out, Duration checkInterval)
            throws IOException {
        if (demo) {
            DemoAccount.createIfMissing(userdb, mode, out);
        }
        file = new UserdbFile(userdb, checkInterval);
        configFile.taken();
    }

    @Override
    public Verdict verify(String user, Secret password) {
        UserdbFile f = file;
        if (f == null) {
            return configFile.unavailable("userdb: not configured");
        }
        UserdbFile.Snapshot s = f.current();
        if (!s.available()) {
            return new Verdict.Unavailable(s.reason());
        }
        UserdbEntry e = s.find(user);
        if (e == null) {
            return Verdict.NO_SUCH_USER;
        }
        String hash = e.imapPasswordHash();
        if (hash == null) {
            return new Verdict.WrongPassword("no password field");
        }
        return switch (CryptHash.check(hash, password)) {
            case MATCH -> new Verdict.Success(e.record());
            case MISMATCH -> new Verdict.WrongPassword("wrong password");
            case LOCKED -> new Verdict.WrongPassword("account locked");
            case NO_PASSWORD -> new Verdict.WrongPassword("account has no password");
            case UNSUPPORTED -> {
                String scheme = CryptHash.scheme(hash);
                if (s.firstReport("scheme " + e.name())) {
                    LOG.warn("userdb: user {} has a password hash in unsupported scheme {}", e.name(), scheme);
                }
                yield new Verdict.WrongPassword("unsupported hash scheme");
            }
            case MALFORMED -> {
                if (s.firstReport("malformed " + e.name())) {
                    LOG.warn("userdb: user {} has a malformed password hash", e.name());
                }
                yield new Verdict.WrongPassword("malformed password hash");
            }
        };
    }

    @Override
    public Optional<UserRecord> lookup(String user) {
        UserdbFile f = file;
        UserdbEntry e = f == null ? null : f.current().find(user);
        return e == null ? Optional.empty() : Optional.of(e.record());
    }

    @Override
    public Set<String> schemes() {
        UserdbFile f = file;
        return f != null && f.current().hasHmac() ? Set.of(HMAC_MD5) : Set.of();
    }

    @Override
    public Optional<Secret> credential(String user, String scheme) {
        if (!HMAC_MD5.equals(scheme)) {
            return Optional.empty();
        }
        UserdbFile f = file;
        UserdbEntry e = f == null ? null : f.current().find(user);
        byte[] state = e == null ? null : e.hmacMd5State();
        if (state == null) {
            return Optional.empty();
        }
        // Secret has no raw-bytes factory; ofUtf8 copies the bytes as they are, which is what is meant
        Secret secret = Secret.ofUtf8(state);
        Arrays.fill(state, (byte) 0);
        return Optional.of(secret);
    }

    /** The file this backend reads, for tests and diagnostics. */
    Path path() {
        return file.path();
    }
}
