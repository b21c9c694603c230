package posthorn.auth.userdb.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import posthorn.auth.api.CredentialSource;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.auth.support.crypt.CryptHash;
import posthorn.auth.support.testing.DsConfig;
import posthorn.auth.support.testing.LogCapture;

/** Against the fixtures made by Courier's userdb, userdbpw and pw2userdb (see make-fixtures.sh). */
class UserdbBackendTest {

    @TempDir
    Path dir;
    Path file;
    UserdbBackend backend;

    @BeforeEach
    void setUp() throws IOException {
        file = Fixtures.copy("userdb", dir);
        backend = Fixtures.backend(file);
    }

    @ParameterizedTest(name = "{0} ({2})")
    @CsvSource({
            "alice, md5-secret, $1$",
            "bob, des-pw, DES",
            "carol, sha256-secret, $5$",
            "dave@example.com, imap-only, $1$ imappw",
    })
    void rightPasswordSucceedsWrongOneFails(String user, String password, String scheme) {
        Verdict ok = backend.verify(user, Secret.of(password));
        assertEquals(user, assertInstanceOf(Verdict.Success.class, ok).user().name());
        assertEquals(new Verdict.WrongPassword("wrong password"), backend.verify(user, Secret.of(password + "x")));
        assertEquals(new Verdict.WrongPassword("wrong password"), backend.verify(user, Secret.of("MD5-SECRET")));
    }

    @Test
    void desLooksAtTheFirstEightCharactersOnly() throws IOException {
        // traditional crypt(3) behaviour, which is why DES hashes deserve replacing
        String des = org.apache.commons.codec.digest.Crypt.crypt("12345678", "ab");
        Files.writeString(file, "des8\tsystempw=" + des + "\n", StandardOpenOption.APPEND);
        assertInstanceOf(Verdict.Success.class, backend.verify("des8", Secret.of("12345678 and more")));
        assertEquals(new Verdict.WrongPassword("wrong password"), backend.verify("des8", Secret.of("1234567")));
    }

    @Test
    void sha512() throws IOException {
        // dave's systempw is $6$, but his imappw wins for IMAP; a copy without imappw checks $6$
        Files.writeString(file, Files.readString(file).replaceAll("\\|?imappw=[^|\\n]*", ""));
        assertInstanceOf(Verdict.Success.class, backend.verify("dave@example.com", Secret.of("sha512-secret")));
        assertEquals(new Verdict.WrongPassword("wrong password"),
                backend.verify("dave@example.com", Secret.of("sha512-secreT")));
    }

    @Test
    void imappwTakesPrecedenceOverSystempw() {
        assertInstanceOf(Verdict.Success.class, backend.verify("dave@example.com", Secret.of("imap-only")));
        assertEquals(new Verdict.WrongPassword("wrong password"),
                backend.verify("dave@example.com", Secret.of("sha512-secret")));
    }

    /** Issue 10: an edit the backend cannot use is one log line, and the previous file keeps serving. */
    @Test
    void aRefusedEditIsOneLineAndThePreviousSettingsKeepServing() throws IOException {
        List<String> lines;
        try (LogCapture log = new LogCapture()) {
            backend.activate(DsConfig.of(UserdbBackend.Config.class, "file", "  "));
            lines = log.text().lines().toList();
        }
        assertEquals(List.of("auth.userdb.cfg refused: file: required; the previous settings stay in force"),
                lines.stream().map(l -> l.substring(l.indexOf(" - ") + 3)).toList(), lines.toString());
        assertInstanceOf(Verdict.Success.class, backend.verify("alice", Secret.of("md5-secret")));
    }

    @Test
    void aRefusedFirstConfigurationLeavesTheBackendUnavailableAndSaysWhy() throws IOException {
        UserdbBackend b = new UserdbBackend();
        List<String> lines;
        try (LogCapture log = new LogCapture()) {
            b.activate(DsConfig.of(UserdbBackend.Config.class, "file", "/var/lib/users\0db")); // NUL: no such path
            lines = log.text().lines().toList();
        }
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).endsWith("auth.userdb.cfg refused: file: not a valid path; the backend is unavailable"
                + " until the file is fixed"), lines.get(0));
        Verdict v = b.verify("alice", Secret.of("md5-secret"));
        assertTrue(assertInstanceOf(Verdict.Unavailable.class, v).reason().contains("file"), v.toString());
        assertEquals(Optional.empty(), b.lookup("alice"));
        assertEquals(Set.of(), b.schemes());
        assertEquals(Optional.empty(), b.credential("alice", CredentialSource.HMAC_MD5));
    }

    @Test
    void unknownUserIsNoSuchUser() {
        assertEquals(Verdict.NO_SUCH_USER, backend.verify("mallory", Secret.of("x")));
        assertEquals(Optional.empty(), backend.lookup("mallory"));
        assertEquals(Optional.empty(), backend.credential("mallory", CredentialSource.HMAC_MD5));
    }

    @Test
    void upperCaseLoginFindsTheLowerCaseName() {
        assertInstanceOf(Verdict.Success.class, backend.verify("Alice", Secret.of("md5-secret")));
    }

    @Test
    void unsupportedSchemeIsAWrongPasswordWithItsReason() {
        assertEquals(new Verdict.WrongPassword("unsupported hash scheme"), backend.verify("yves", Secret.of("yves-pw")));
        assertEquals(new Verdict.WrongPassword("unsupported hash scheme"), backend.verify("yves", Secret.of("y")));
    }

    @Test
    void bcryptFromMkpasswd() {
        assertTrue(backend.verify("gus", Secret.of("gus-pw")) instanceof Verdict.Success);
        assertEquals(new Verdict.WrongPassword("wrong password"), backend.verify("gus", Secret.of("gus-PW")));
        assertEquals(new Verdict.WrongPassword("wrong password"), backend.verify("gus", Secret.of("g".repeat(100))));
        assertEquals(new Verdict.WrongPassword("wrong password"), backend.verify("erin", Secret.of("x")));
    }

    @Test
    void bcryptRefusesAPasswordLongerThan72Bytes() throws IOException {
        // the hash is libxcrypt's (mkpasswd -m bcrypt -R 4 of these 72 bytes), which would take the
        // same 72 bytes followed by anything; CryptHash refuses those on purpose
        String pw72 = "0123456789".repeat(7) + "01";
        Files.writeString(file, "long\tsystempw=$2b$05$uX7MnliOm15CRoC0P8q5CupVlLovwmz6ZUqMSOUJLfLh4IYjoCCna\n",
                StandardOpenOption.APPEND);
        assertInstanceOf(Verdict.Success.class, backend.verify("long", Secret.of(pw72)));
        assertEquals(new Verdict.WrongPassword("wrong password"), backend.verify("long", Secret.of(pw72 + "z")));
        assertEquals(new Verdict.WrongPassword("wrong password"),
                backend.verify("long", Secret.of(pw72 + "z".repeat(100))));
    }

    @Test
    void lockedAndPasswordlessFieldsFollowShadowRules() throws IOException {
        Files.writeString(file, "bang\tsystempw=!$1$abcdefgh$7ycdtgxZUFVqIYSKVhGSO0\nstar\tsystempw=*\n"
                + "empty\tsystempw=\nimapempty\timappw=|systempw=$1$abcdefgh$7ycdtgxZUFVqIYSKVhGSO0\n",
                StandardOpenOption.APPEND);
        assertEquals(new Verdict.WrongPassword("account locked"), backend.verify("bang", Secret.of("ivan-pw")));
        assertEquals(new Verdict.WrongPassword("account has no password"), backend.verify("star", Secret.of("*")));
        assertEquals(new Verdict.WrongPassword("account has no password"), backend.verify("empty", Secret.of("x")));
        // an empty imappw still wins over systempw: no IMAP login for this account
        assertEquals(new Verdict.WrongPassword("account has no password"),
                backend.verify("imapempty", Secret.of("ivan-pw")));
    }

    @Test
    void accountWithoutPasswordCannotLogIn() {
        assertEquals(new Verdict.WrongPassword("no password field"), backend.verify("frank", Secret.of("x")));
        assertTrue(backend.lookup("frank").isPresent());
    }

    @Test
    void successCarriesTheWholeRecord() {
        UserRecord expected = new UserRecord("alice", Path.of("/srv/mail/alice"), Path.of("/srv/mail/alice/Maildir"),
                1000, 1000, "100000000S", Map.of("shell", "/bin/false"));
        assertEquals(new Verdict.Success(expected), backend.verify("alice", Secret.of("md5-secret")));
        assertEquals(Optional.of(expected), backend.lookup("alice"));
        assertEquals(Map.of("options", "disablepop3=1,group=staff"), backend.lookup("carol").orElseThrow().options());
        assertEquals(Map.of("gecos", "tab\there"), backend.lookup("frank").orElseThrow().options());
        assertEquals(Path.of("/srv/a=b"), backend.lookup("frank").orElseThrow().home());
    }

    @Test
    void hmacMd5CredentialIsTheDecodedState() {
        assertEquals(Set.of(CredentialSource.HMAC_MD5), backend.schemes());
        byte[] state = backend.credential("alice", CredentialSource.HMAC_MD5).orElseThrow().utf8();
        assertEquals(32, state.length);
        // Courier's layout, checked against userdbpw -hmac-md5: MD5 state after the opad block,
        // then after the ipad block, each as the four little-endian chaining words
        assertArrayEquals(HmacMd5State.of("alice-cram".getBytes(StandardCharsets.UTF_8)), state);
        assertEquals(Optional.empty(), backend.credential("bob", CredentialSource.HMAC_MD5));
        assertEquals(Optional.empty(), backend.credential("alice", CredentialSource.PLAIN));
    }

    @Test
    void noHmacFieldsNoSchemes() throws IOException {
        UserdbBackend b = Fixtures.backend(Fixtures.copy("pw2userdb.out", dir));
        assertEquals(Set.of(), b.schemes());
    }

    @Test
    void pw2userdbOutputWithUidMapLinesAndLockedAccounts() throws IOException {
        UserdbBackend b = Fixtures.backend(Fixtures.copy("pw2userdb.out", dir));
        assertEquals(1020, assertInstanceOf(Verdict.Success.class, b.verify("ivan", Secret.of("ivan-pw"))).user().uid());
        assertEquals(new Verdict.WrongPassword("account locked"), b.verify("judy", Secret.of("x")));
        assertEquals(Optional.empty(), b.lookup("1020="));
        assertEquals("Ivan.Tester", b.lookup("ivan").orElseThrow().options().get("gecos"));
    }

    @Test
    void aDirectoryOfFilesIsOneDatabase() throws IOException {
        Path d = Fixtures.copy("userdb.d", dir);
        Files.writeString(d.resolve(".tmp.local"), "gina\tsystempw=garbage\nzed\tuid=1\n");
        UserdbBackend b = Fixtures.backend(d);
        assertInstanceOf(Verdict.Success.class, b.verify("gina", Secret.of("gina-pw")));
        assertInstanceOf(Verdict.Success.class, b.verify("hank@example.org", Secret.of("hank-pw")));
        assertEquals(Verdict.NO_SUCH_USER, b.verify("zed", Secret.of("x")), "dot files are skipped");
        // a new file in a subdirectory is seen on the next lookup
        Path more = d.resolve("domains").resolve("example.net");
        Files.writeString(more, "ivy@example.net\thome=/srv/ivy\n");
        assertEquals(Path.of("/srv/ivy"), b.lookup("ivy@example.net").orElseThrow().home());
    }

    @Test
    void reloadsWhenTheFileChanges() throws IOException {
        assertTrue(backend.lookup("newcomer").isEmpty());
        Files.writeString(file, "newcomer\thome=/srv/new|systempw=" + CryptHash.sha512("pw1".getBytes(),
                new java.security.SecureRandom()) + "\n", StandardOpenOption.APPEND);
        assertInstanceOf(Verdict.Success.class, backend.verify("newcomer", Secret.of("pw1")));
        Files.writeString(file, "bob\thome=/elsewhere\n");
        assertEquals(Verdict.NO_SUCH_USER, backend.verify("alice", Secret.of("md5-secret")));
        assertEquals(Path.of("/elsewhere"), backend.lookup("bob").orElseThrow().home());
    }

    @Test
    void sameSizeRewriteIsSeenThroughTheMtime() throws IOException {
        String text = Files.readString(file);
        Files.writeString(file, text.replace("uid=1001", "uid=2001"));
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        assertEquals(2001, backend.lookup("bob").orElseThrow().uid());
    }

    @Test
    void checksAtMostOncePerInterval() throws IOException {
        AtomicLong now = new AtomicLong();
        UserdbFile f = new UserdbFile(file, Duration.ofSeconds(1), now::get);
        Files.writeString(file, "zoe\tuid=7\n", StandardOpenOption.APPEND);
        now.set(Duration.ofMillis(999).toNanos());
        assertEquals(null, f.current().find("zoe"));
        now.set(Duration.ofMillis(1000).toNanos());
        assertEquals(7, f.current().find("zoe").record().uid());
    }

    @Test
    void aBrokenLineKeepsTheRestAndItsOldEntry() throws IOException {
        String text = Files.readString(file);
        // alice's line loses its tab; carol's uid turns to text; a line with no old entry is added
        String broken = text.replaceFirst("alice\t", "alice ").replace("uid=1002", "uid=x")
                + "stranger\tgid=abc\n";
        Files.writeString(file, broken);
        assertInstanceOf(Verdict.Success.class, backend.verify("bob", Secret.of("des-pw")));
        // carol's name was readable: her last good entry stays
        assertInstanceOf(Verdict.Success.class, backend.verify("carol", Secret.of("sha256-secret")));
        assertEquals(1002, backend.lookup("carol").orElseThrow().uid());
        // alice's line has no readable name: she is gone until it is fixed
        assertEquals(Verdict.NO_SUCH_USER, backend.verify("alice", Secret.of("md5-secret")));
        assertEquals(Optional.empty(), backend.lookup("stranger"));
        Files.writeString(file, text);
        assertInstanceOf(Verdict.Success.class, backend.verify("alice", Secret.of("md5-secret")));
    }

    @Test
    void aBrokenLineOnFirstReadIsJustSkipped() throws IOException {
        Path f = dir.resolve("fresh");
        Files.writeString(f, "a\tuid=x\nb\tuid=2\n");
        UserdbBackend b = Fixtures.backend(f);
        assertEquals(Optional.empty(), b.lookup("a"));
        assertEquals(2, b.lookup("b").orElseThrow().uid());
    }

    @Test
    void missingFileMakesEveryLookupFailUntilItAppears() throws IOException {
        Path missing = dir.resolve("nope").resolve("userdb");
        UserdbBackend b = Fixtures.backend(missing);
        assertInstanceOf(Verdict.Unavailable.class, b.verify("alice", Secret.of("md5-secret")));
        assertEquals(Optional.empty(), b.lookup("alice"));
        assertEquals(Set.of(), b.schemes());
        Files.createDirectories(missing.getParent());
        Files.copy(file, missing);
        assertInstanceOf(Verdict.Success.class, b.verify("alice", Secret.of("md5-secret")));
        Files.delete(missing);
        assertInstanceOf(Verdict.Unavailable.class, b.verify("alice", Secret.of("md5-secret")));
    }

    @Test
    void anUnreadableFileKeepsTheLastGoodContent() throws IOException {
        // a symbolic link loop cannot be read even by root, unlike a file without read permission
        Path d = Fixtures.copy("userdb.d", dir);
        UserdbBackend b = Fixtures.backend(d);
        Path loop = d.resolve("loop");
        Files.createSymbolicLink(loop, loop);
        Files.writeString(d.resolve("local"), "ignored\tuid=1\n", StandardOpenOption.APPEND);
        assertInstanceOf(Verdict.Success.class, b.verify("gina", Secret.of("gina-pw")));
        assertEquals(Optional.empty(), b.lookup("ignored"));
        Files.delete(loop);
        assertEquals(1, b.lookup("ignored").orElseThrow().uid());
    }

    /** HMAC-MD5 precomputed state, computed here independently of Courier and of the code under test. */
    static final class HmacMd5State {
        private static final int[] S = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

        static byte[] of(byte[] key) {
            byte[] k = java.util.Arrays.copyOf(key, 64);
            byte[] ipad = new byte[64];
            byte[] opad = new byte[64];
            for (int i = 0; i < 64; i++) {
                ipad[i] = (byte) (k[i] ^ 0x36);
                opad[i] = (byte) (k[i] ^ 0x5c);
            }
            java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(32).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int w : compress(opad)) {
                out.putInt(w);
            }
            for (int w : compress(ipad)) {
                out.putInt(w);
            }
            return out.array();
        }

        private static int[] compress(byte[] block) {
            int[] m = new int[16];
            java.nio.ByteBuffer.wrap(block).order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(m);
            int a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
            int a = a0, b = b0, c = c0, d = d0;
            for (int i = 0; i < 64; i++) {
                int f, g;
                if (i < 16) {
                    f = (b & c) | (~b & d);
                    g = i;
                } else if (i < 32) {
                    f = (d & b) | (~d & c);
                    g = (5 * i + 1) % 16;
                } else if (i < 48) {
                    f = b ^ c ^ d;
                    g = (3 * i + 5) % 16;
                } else {
                    f = c ^ (b | ~d);
                    g = (7 * i) % 16;
                }
                int k = (int) (long) Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296.0);
                f = f + a + k + m[g];
                a = d;
                d = c;
                c = b;
                b = b + Integer.rotateLeft(f, S[i]);
            }
            return new int[] {a0 + a, b0 + b, c0 + c, d0 + d};
        }
    }
}
