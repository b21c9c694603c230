package posthorn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.auth.api.Secret;
import posthorn.auth.api.Verdict;
import posthorn.auth.support.crypt.CryptHash;
import posthorn.auth.userdb.internal.UserdbBackend;
import posthorn.auth.userdb.internal.UserdbBackends;

/**
 * ./posthorn userdb and ./posthorn pw, against Courier's own userdb, userdbpw (Debian package
 * courier-authlib-userdb) and libxcrypt's mkpasswd (package whois): each tool writes, the other
 * reads. Tests that need a program skip where it is not installed (tools/test-deps installs them).
 */
class ToolsTest {

    @TempDir
    Path dir;

    record Run(int status, String out, String err) {
    }

    Run userdb(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        UserdbTool tool = new UserdbTool(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), new BufferedReader(new StringReader(stdin)), false,
                Map.of("POSTHORN_VAR", dir.toString()));
        int status = tool.run(args);
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Run pw(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = PwTool.run(args, null, new BufferedReader(new StringReader(stdin)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8).strip(), err.toString(StandardCharsets.UTF_8));
    }

    static boolean installed(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", program));
    }

    static Run exec(String stdin, String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of(cmd));
        if (!c.get(0).contains("/") && Files.isExecutable(Path.of("/usr/sbin", c.get(0)))) {
            c.set(0, "/usr/sbin/" + c.get(0));
        }
        Process p = new ProcessBuilder(c).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out, err);
    }

    @Test
    void setUnsetDelShowList() throws IOException {
        Path f = dir.resolve("userdb");
        assertEquals(0, userdb("", "-f", f.toString(), "alice", "set", "home=/srv/alice", "uid=1000", "gid=1000").status());
        assertEquals(0, userdb("$1$abcdefgh$7ycdtgxZUFVqIYSKVhGSO0\n", "-f", f.toString(), "alice", "set", "systempw").status());
        assertEquals(0, userdb("", "-f", f.toString(), "bob", "set", "home=/srv/bob", "mail=/srv/bob/Maildir").status());
        assertEquals(0, userdb("", "-f", f.toString(), "alice", "set", "uid=1001", "quota=1000S").status());
        assertEquals("alice\thome=/srv/alice|uid=1001|gid=1000|systempw=$1$abcdefgh$7ycdtgxZUFVqIYSKVhGSO0|quota=1000S\n"
                + "bob\thome=/srv/bob|mail=/srv/bob/Maildir\n", Files.readString(f));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals(0, userdb("", "-f", f.toString(), "alice", "unset", "quota", "gid").status());
        assertEquals("home=/srv/alice\nuid=1001\nsystempw=$1$abcdefgh$7ycdtgxZUFVqIYSKVhGSO0\n",
                userdb("", "-f", f.toString(), "alice", "show").out());
        assertEquals("alice\nbob\n", userdb("", "-f", f.toString(), "list").out());
        assertEquals("alice\nbob\n", userdb("", "-show", "-f", f.toString()).out(), "Courier's spelling");
        assertEquals("home=/srv/bob\nmail=/srv/bob/Maildir\n", userdb("", "-show", "-f", f.toString(), "bob").out());
        assertEquals(0, userdb("", "-f", f.toString(), "bob", "del").status());
        assertEquals(1, userdb("", "-f", f.toString(), "bob", "del").status());
        assertEquals(1, userdb("", "-f", f.toString(), "nobody", "show").status());
        assertEquals("alice\n", userdb("", "-f", f.toString(), "list").out());
        // what the format cannot hold is refused, and the file is left alone
        String before = Files.readString(f);
        assertEquals(1, userdb("", "-f", f.toString(), "alice", "set", "gecos=a|b").status());
        assertEquals(1, userdb("a|b\n", "-f", f.toString(), "alice", "set", "gecos").status());
        assertEquals(1, userdb("", "-f", f.toString(), "al\tice", "set", "uid=1").status());
        assertEquals(before, Files.readString(f));
        assertTrue(Files.exists(dir.resolve(".lock.userdb")), "lock file beside it, as Courier's");
        // and the backend reads what the tool wrote
        UserdbBackend b = UserdbBackends.reading(f);
        assertEquals(1001, b.lookup("alice").orElseThrow().uid());
    }

    @Test
    void defaultFileIsPosthornVarUserdb() {
        assertEquals(0, userdb("", "carol", "set", "home=/h").status());
        assertTrue(Files.exists(dir.resolve("userdb")));
    }

    @Test
    void commentsAndOtherLinesSurviveAnEdit() throws IOException {
        Path f = dir.resolve("userdb");
        Files.writeString(f, "# a comment\nalice\thome=/a|x|weird=a=b\n\n1000=\talice\nbob\n");
        assertEquals(0, userdb("", "-f", f.toString(), "bob", "set", "uid=5").status());
        assertEquals(0, userdb("", "-f", f.toString(), "alice", "set", "uid=4").status());
        assertEquals("# a comment\nalice\thome=/a|x|weird=a=b|uid=4\n\n1000=\talice\nbob\tuid=5\n", Files.readString(f));
    }

    @Test
    void ourFileReadByCouriersUserdb() throws Exception {
        assumeTrue(installed("userdb"), "Courier's userdb is not installed");
        Path f = dir.resolve("userdb");
        userdb("", "-f", f.toString(), "alice", "set", "home=/srv/alice", "uid=1000", "opt=a=b");
        userdb("", "-f", f.toString(), "dave@example.com", "set", "home=/srv/dave");
        userdb(pw("hmac", "-hmac-md5").out() + "\n", "-f", f.toString(), "alice", "set", "hmac-md5pw");
        Run show = exec("", "userdb", "-show", "-f", f.toString(), "alice");
        assertEquals(0, show.status(), show.err());
        assertEquals(List.of("home=/srv/alice", "uid=1000", "opt=a=b", "hmac-md5pw=" + pw("hmac", "-hmac-md5").out()),
                show.out().lines().toList());
        assertEquals(List.of("alice", "dave@example.com"), exec("", "userdb", "-show", "-f", f.toString()).out().lines().toList());
        // Courier's tool edits our file, and keeps our other lines
        Run set = exec("", "userdb", "-f", f.toString(), "dave@example.com", "set", "uid=1003");
        assertEquals(0, set.status(), set.err());
        assertEquals(List.of("alice", "dave@example.com"), userdb("", "-f", f.toString(), "list").out().lines().toList());
        assertTrue(userdb("", "-f", f.toString(), "dave@example.com", "show").out().lines().toList().contains("uid=1003"));
    }

    @Test
    void couriersFileReadByOurs() throws Exception {
        assumeTrue(installed("userdb") && installed("userdbpw"), "Courier's userdb tools are not installed");
        Path f = dir.resolve("userdb");
        assertEquals(0, exec("", "userdb", "-f", f.toString(), "erin", "set", "home=/srv/erin", "uid=1004", "gid=1004").status());
        Run hash = exec("erin-pw\n", "userdbpw", "-md5");
        assertEquals(0, exec(hash.out(), "userdb", "-f", f.toString(), "erin", "set", "systempw").status());
        Run hmac = exec("erin-cram\n", "userdbpw", "-hmac-md5");
        assertEquals(0, exec(hmac.out(), "userdb", "-f", f.toString(), "erin", "set", "hmac-md5pw").status());
        List<String> fields = userdb("", "-f", f.toString(), "erin", "show").out().lines().sorted().toList();
        assertEquals(List.of("gid=1004", "hmac-md5pw=" + hmac.out().strip(), "home=/srv/erin",
                "systempw=" + hash.out().strip(), "uid=1004"), fields);
        // ours edits Courier's file; Courier reads the result
        assertEquals(0, userdb("", "-f", f.toString(), "erin", "unset", "gid").status());
        assertEquals(0, userdb(pw("new-pw\n", "-sha512").out() + "\n", "-f", f.toString(), "erin", "set", "systempw").status());
        Run show = exec("", "userdb", "-show", "-f", f.toString(), "erin");
        assertTrue(show.out().lines().noneMatch(l -> l.startsWith("gid=")), show.out());
        assertTrue(show.out().lines().anyMatch(l -> l.startsWith("systempw=$6$")), show.out());
        UserdbBackend b = UserdbBackends.reading(f);
        assertInstanceOf(Verdict.Success.class, b.verify("erin", Secret.of("new-pw")));
    }

    @Test
    void hmacMd5MatchesUserdbpw() throws Exception {
        assumeTrue(installed("userdbpw"), "Courier's userdbpw is not installed");
        for (String p : new String[] {"alice-cram", "x", "a much longer password than sixty-four bytes, which is hashed first!!"}) {
            assertEquals(exec(p + "\n", "userdbpw", "-hmac-md5").out().strip(), pw(p + "\n", "-hmac-md5").out(), p);
        }
        // and the fixture made by Courier's tool
        assertEquals("449b1d7ebea85a5a0e691f6159abdee1f37ff03a5f3aeb73fbfaaee5a9218065",
                pw("alice-cram\n", "-hmac-md5").out());
    }

    @Test
    void hashesCheckWithTheSystemsCrypt() throws Exception {
        assumeTrue(installed("mkpasswd"), "mkpasswd (Debian package whois) is not installed");
        String[][] cases = {{"-sha512", "sha512crypt", "$6$"}, {"-sha256", "sha256crypt", "$5$"},
                {"-md5", "md5crypt", "$1$"}, {"-bcrypt", "bcrypt", "$2b$10$"}};
        for (String[] c : cases) {
            String hash = pw("pässword\n", c[0]).out();
            assertTrue(hash.startsWith(c[2]), hash);
            String salt = c[1].equals("bcrypt") ? hash.substring(7, 29) : hash.substring(3, hash.lastIndexOf('$'));
            List<String> cmd = new ArrayList<>(List.of("mkpasswd", "-m", c[1], "-S", salt));
            if (c[1].equals("bcrypt")) {
                cmd.addAll(List.of("-R", "10"));
            }
            cmd.add("pässword");
            assertEquals(hash, exec("", cmd.toArray(String[]::new)).out().strip(), c[0]);
            assertEquals(CryptHash.Outcome.MATCH, CryptHash.check(hash, "pässword".getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void pwRefusesWhatItCannotHash() {
        assertEquals(1, pw("", "-sha512").status());
        assertEquals(1, pw("\n", "-sha512").status());
        assertEquals(2, pw("x\n", "-sha1").status());
        assertEquals(1, pw("x".repeat(73) + "\n", "-bcrypt").status());
        assertTrue(pw("x\n").out().startsWith("$6$"), "SHA-512 is the default");
    }

    @Test
    void backendVerifiesEveryHashPwMakes() throws IOException {
        Path f = dir.resolve("userdb");
        for (String scheme : new String[] {"-sha512", "-sha256", "-md5", "-bcrypt"}) {
            userdb(pw("s3cret\n", scheme).out() + "\n", "-f", f.toString(), "u" + scheme, "set", "systempw");
        }
        UserdbBackend b = UserdbBackends.reading(f);
        for (String scheme : new String[] {"-sha512", "-sha256", "-md5", "-bcrypt"}) {
            assertInstanceOf(Verdict.Success.class, b.verify("u" + scheme, Secret.of("s3cret")), scheme);
            assertInstanceOf(Verdict.WrongPassword.class, b.verify("u" + scheme, Secret.of("s3creT")), scheme);
        }
    }
}
