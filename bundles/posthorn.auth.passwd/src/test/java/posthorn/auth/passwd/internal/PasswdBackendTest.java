package posthorn.auth.passwd.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.auth.support.testing.DsConfig;
import posthorn.auth.support.testing.LogCapture;

/**
 * The backend against passwd and shadow files made by real tools (openssl passwd, mkpasswd): see
 * src/test/resources/fixtures/make-fixtures.sh for the command behind each line.
 */
class PasswdBackendTest {

    @TempDir
    Path dir;
    Path passwd;
    Path shadow;
    PasswdBackend backend;

    @BeforeEach
    void setUp() throws IOException {
        passwd = copy("passwd");
        shadow = copy("shadow");
        backend = new PasswdBackend();
        backend.activate(passwd, shadow, 1000, 60000, Duration.ZERO);
    }

    private Path copy(String name) throws IOException {
        Path to = dir.resolve(name);
        try (InputStream in = getClass().getResourceAsStream("/fixtures/" + name)) {
            Files.copy(in, to);
        }
        return to;
    }

    private Verdict verify(String user, String password) {
        return backend.verify(user, Secret.of(password));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
            "alice, SHA-512 openssl passwd -6",
            "bob,   SHA-256 openssl passwd -5",
            "carol, MD5 openssl passwd -1",
            "dave,  bcrypt $2b$ mkpasswd -m bcrypt",
            "erin,  bcrypt $2a$ mkpasswd -m bcrypt-a",
            "fred,  bcrypt $2y$",
            "gina,  DES mkpasswd -m descrypt",
            "mona,  password past its maximum age but not inactive",
            "nils,  hash in passwd without shadow line",
    })
    void rightPasswordLogsIn(String user, String what) {
        Verdict v = verify(user, user + "-pw");
        Verdict.Success s = assertInstanceOf(Verdict.Success.class, v, what);
        assertEquals(user, s.user().name());
        assertEquals(Path.of("/home/" + user), s.user().home());
        assertNull(s.user().maildir(), "the store's template applies");
        assertTrue(s.user().uid() >= 1000);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"alice", "bob", "carol", "dave", "erin", "fred", "gina", "nils"})
    void wrongPasswordIsRefused(String user) {
        assertInstanceOf(Verdict.WrongPassword.class, verify(user, user + "-PW"));
        assertInstanceOf(Verdict.WrongPassword.class, verify(user, ""));
        assertInstanceOf(Verdict.WrongPassword.class, verify(user, user + "-pw "));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
            "hank, unsupported hash scheme $y$",
            "ivan, account locked",
            "judy, account has no password",
            "ken,  account expired",
            "lena, account inactive (password expired too long ago)",
            "olga, no shadow entry",
            "pete, account has no password",
    })
    void accountsThatCannotLogIn(String user, String reason) {
        Verdict.WrongPassword w = assertInstanceOf(Verdict.WrongPassword.class, verify(user, user + "-pw"));
        assertEquals(reason, w.reason());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"root", "daemon", "sys9", "nobody-at-all"})
    void rootSystemAndUnknownAccountsDoNotExist(String user) {
        assertInstanceOf(Verdict.NoSuchUser.class, verify(user, user + "-pw"));
        assertTrue(backend.lookup(user).isEmpty());
    }

    @Test
    void minUidZeroStillRefusesRoot() {
        backend.activate(passwd, shadow, 0, 60000, Duration.ZERO);
        assertInstanceOf(Verdict.NoSuchUser.class, verify("root", "root-pw"));
        backend.activate(passwd, shadow, 999, 60000, Duration.ZERO);
        assertInstanceOf(Verdict.Success.class, verify("sys9", "sys9-pw"));
        backend.activate(passwd, shadow, 1000, 1000, Duration.ZERO);
        assertInstanceOf(Verdict.NoSuchUser.class, verify("bob", "bob-pw"));
    }

    /** Issue 10: an edit the backend cannot use is one log line, and the previous settings keep serving. */
    @Test
    void aRefusedEditIsOneLineAndThePreviousSettingsKeepServing() {
        List<String> lines;
        try (LogCapture log = new LogCapture()) {
            backend.activate(DsConfig.of(PasswdBackend.Config.class, "passwd.file", passwd.toString(),
                    "shadow.file", shadow.toString(), "min.uid", "1000", "max.uid", "lots"));
            lines = log.text().lines().toList();
        }
        assertEquals(List.of("auth.passwd.cfg refused: max.uid: not a valid value; the previous settings stay in force"),
                lines.stream().map(l -> l.substring(l.indexOf(" - ") + 3)).toList(), lines.toString());
        assertInstanceOf(Verdict.Success.class, verify("alice", "alice-pw"));
    }

    @Test
    void aRefusedFirstConfigurationLeavesTheBackendUnavailableAndSaysWhy() {
        PasswdBackend b = new PasswdBackend();
        List<String> lines;
        try (LogCapture log = new LogCapture()) {
            b.activate(DsConfig.of(PasswdBackend.Config.class, "passwd.file", passwd.toString(), "min.uid", "2000",
                    "max.uid", "1000"));
            lines = log.text().lines().toList();
        }
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).endsWith("auth.passwd.cfg refused: max.uid: below min.uid (2000); the backend is"
                + " unavailable until the file is fixed"), lines.get(0));
        Verdict v = b.verify("alice", Secret.of("alice-pw"));
        assertTrue(assertInstanceOf(Verdict.Unavailable.class, v).reason().contains("max.uid"), v.toString());
        assertTrue(b.lookup("alice").isEmpty());
    }

    @Test
    void lookupGivesHomeUidGidAndShell() {
        UserRecord r = backend.lookup("alice").orElseThrow();
        assertEquals(1000, r.uid());
        assertEquals(1000, r.gid());
        assertEquals(Path.of("/home/alice"), r.home());
        assertEquals("/bin/bash", r.options().get("shell"));
        assertTrue(backend.lookup("ivan").isPresent(), "a locked account still has a record");
    }

    @Test
    void expiryFollowsTheClock() {
        // ken expires on day 1; mona's password (changed day 10000, max 30) turns inactive only with
        // an inactive field, lena's (inactive 7) on day 10037
        backend.clock(Clock.fixed(LocalDate.ofEpochDay(10036).atStartOfDay().toInstant(ZoneOffset.UTC), ZoneOffset.UTC));
        assertInstanceOf(Verdict.Success.class, verify("lena", "lena-pw"));
        backend.clock(Clock.fixed(LocalDate.ofEpochDay(10037).atStartOfDay().toInstant(ZoneOffset.UTC), ZoneOffset.UTC));
        assertInstanceOf(Verdict.WrongPassword.class, verify("lena", "lena-pw"));
        backend.clock(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
        assertInstanceOf(Verdict.Success.class, verify("ken", "ken-pw"));
    }

    @Test
    void reloadsWhenTheShadowFileIsReplaced() throws IOException {
        assertInstanceOf(Verdict.Success.class, verify("alice", "alice-pw"));
        String bobLine = Files.readAllLines(shadow).stream().filter(l -> l.startsWith("bob:")).findFirst().orElseThrow();
        String bobHash = bobLine.split(":")[1];
        // alice gets bob's hash, written as passwd(1) does: a new file renamed over the old one
        Path tmp = dir.resolve("shadow.new");
        Files.writeString(tmp, Files.readString(shadow).replaceAll("(?m)^alice:[^:]*:", "alice:" + bobHash.replace("$", "\\$") + ":"));
        Files.move(tmp, shadow, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertInstanceOf(Verdict.WrongPassword.class, verify("alice", "alice-pw"));
        assertInstanceOf(Verdict.Success.class, verify("alice", "bob-pw"));
    }

    @Test
    void reloadsWhenPasswdChangesInPlace() throws IOException {
        assertTrue(backend.lookup("zoe").isEmpty());
        Files.writeString(passwd, Files.readString(passwd) + "zoe:x:1100:1100::/home/zoe:/bin/sh\n");
        Files.setLastModifiedTime(passwd, FileTime.from(Instant.now().plusSeconds(5)));
        assertEquals(Path.of("/home/zoe"), backend.lookup("zoe").orElseThrow().home());
        assertInstanceOf(Verdict.WrongPassword.class, verify("zoe", "zoe-pw"), "no shadow entry yet");
    }

    @Test
    void unreadableShadowIsUnavailableNotWrongPassword() throws IOException {
        backend.activate(passwd, dir.resolve("no-such-shadow"), 1000, 60000, Duration.ZERO);
        assertInstanceOf(Verdict.Unavailable.class, verify("alice", "alice-pw"));
        // a pre-shadow account does not need it
        assertInstanceOf(Verdict.Success.class, verify("nils", "nils-pw"));
    }

    @Test
    void missingPasswdFileIsUnavailable() {
        backend.activate(dir.resolve("nope"), shadow, 1000, 60000, Duration.ZERO);
        assertInstanceOf(Verdict.Unavailable.class, verify("alice", "alice-pw"));
    }

    @Test
    void keepsTheLastGoodFilesWhenPasswdDisappears() throws IOException {
        assertInstanceOf(Verdict.Success.class, verify("alice", "alice-pw"));
        Files.delete(passwd);
        assertInstanceOf(Verdict.Success.class, verify("alice", "alice-pw"));
    }

    @Test
    void malformedLinesAreSkippedAndTheRestCount() throws IOException {
        Files.writeString(passwd, "broken line\nx:y\n+nis::::::\n" + Files.readString(passwd));
        Files.setLastModifiedTime(passwd, FileTime.from(Instant.now().plusSeconds(5)));
        assertInstanceOf(Verdict.Success.class, verify("alice", "alice-pw"));
        assertTrue(backend.lookup("broken line").isEmpty());
    }

    @Test
    void bcryptRefusesAPasswordLongerThan72Bytes() throws IOException {
        // the hash is libxcrypt's (mkpasswd -m bcrypt -R 4 of these 72 bytes), which would take the
        // same 72 bytes followed by anything; CryptHash refuses those on purpose
        String pw72 = "0123456789".repeat(7) + "01";
        Files.writeString(passwd, Files.readString(passwd) + "long:x:1016:1016::/home/long:/bin/sh\n");
        Files.writeString(shadow, Files.readString(shadow)
                + "long:$2b$05$uX7MnliOm15CRoC0P8q5CupVlLovwmz6ZUqMSOUJLfLh4IYjoCCna:19000:0:99999:7:::\n");
        assertInstanceOf(Verdict.Success.class, verify("long", pw72));
        assertEquals(new Verdict.WrongPassword("wrong password"), verify("long", pw72 + "z"));
        assertEquals(new Verdict.WrongPassword("wrong password"), verify("long", pw72 + "z".repeat(100)));
    }

    @Test
    void overlongPasswordAgainstBcryptIsRefusedNotACrash() {
        assertInstanceOf(Verdict.WrongPassword.class, verify("dave", "dave-pw" + "x".repeat(200)));
    }
}
