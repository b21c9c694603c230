package posthorn.auth.checkpassword.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.auth.support.testing.DsConfig;
import posthorn.auth.support.testing.LogCapture;

/**
 * The backend running real programs: Debian's checkpw (the checkpassword implementation that reads
 * ~/Maildir/.password, here redirected with its MAILDIR variable to a folder of the test's), and
 * small shell scripts standing in for programs that fail, hang, lie, or record what they were given.
 */
class CheckpasswordBackendTest {

    static final Path CHECKPW = Path.of("/usr/bin/checkpw");
    static final String ME = System.getProperty("user.name");

    @TempDir
    Path dir;

    @BeforeAll
    static void checkpwInstalled() {
        assertTrue(Files.isExecutable(CHECKPW),
                "these tests run Debian's checkpw: apt-get install checkpw (tools/test-deps does it)");
    }

    private CheckpasswordBackend backend(String program, String... more) {
        CheckpasswordBackend b = new CheckpasswordBackend();
        // min.uid 0 unless a test says otherwise: the scripts run as whoever runs the tests (root in CI)
        List<String> kv = new ArrayList<>(List.of("program", program, "min.uid", "0"));
        kv.addAll(List.of(more));
        b.activate(DsConfig.of(CheckpasswordBackend.Config.class, kv.toArray(String[]::new)));
        return b;
    }

    private Path maildirWithPassword(String password) throws IOException {
        Path maildir = Files.createDirectories(dir.resolve("Maildir"));
        Path pw = maildir.resolve(".password");
        Files.writeString(pw, password + "\n");
        Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
        return maildir;
    }

    private Path script(String name, String body) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    @Test
    void checkpwAcceptsTheRightPasswordAndGivesTheAccount() throws IOException {
        Path maildir = maildirWithPassword("s3cret pass");
        // min.uid 0: CI runs the tests as root, and root is the account checkpw switches to then
        CheckpasswordBackend b = backend(CHECKPW.toString(), "env", "MAILDIR=" + maildir, "min.uid", "0");
        Verdict v = b.verify(ME, Secret.of("s3cret pass"));
        UserRecord r = assertInstanceOf(Verdict.Success.class, v).user();
        assertEquals(ME, r.name());
        assertEquals(Path.of(System.getProperty("user.home")), r.home());
        assertEquals(new com.sun.security.auth.module.UnixSystem().getUid(), r.uid());
        assertEquals(new com.sun.security.auth.module.UnixSystem().getGid(), r.gid());
    }

    @Test
    void anAccountBelowMinUidIsRefused() throws IOException {
        Path root = script("root", "cat <&3 >/dev/null; HOME=/root; export HOME; exec \"$@\"");
        long me = new com.sun.security.auth.module.UnixSystem().getUid();
        Verdict v = backend(root.toString(), "min.uid", String.valueOf(me + 1)).verify("a", Secret.of("b"));
        assertTrue(assertInstanceOf(Verdict.WrongPassword.class, v).reason().contains("below min.uid"), v.toString());
        assertInstanceOf(Verdict.Success.class, backend(root.toString(), "min.uid", String.valueOf(me)).verify("a",
                Secret.of("b")));
    }

    @Test
    void checkpwRefusesAWrongPasswordAndAnUnknownUser() throws IOException {
        Path maildir = maildirWithPassword("s3cret");
        CheckpasswordBackend b = backend(CHECKPW.toString(), "env", "MAILDIR=" + maildir);
        assertInstanceOf(Verdict.WrongPassword.class, b.verify(ME, Secret.of("s3cre")));
        assertInstanceOf(Verdict.WrongPassword.class, b.verify(ME, Secret.of("s3cret\n")));
        // checkpw cannot tell an unknown user from a bad password: exit 1 for both
        assertInstanceOf(Verdict.WrongPassword.class, b.verify("no-such-user-posthorn", Secret.of("s3cret")));
    }

    @Test
    void aPasswordFileOthersCanReadIsATemporaryProblemForCheckpw() throws IOException {
        Path maildir = maildirWithPassword("s3cret");
        Files.setPosixFilePermissions(maildir.resolve(".password"), PosixFilePermissions.fromString("rw-r--r--"));
        CheckpasswordBackend b = backend(CHECKPW.toString(), "env", "MAILDIR=" + maildir);
        try (LogCapture log = new LogCapture()) {
            Verdict v = b.verify(ME, Secret.of("s3cret"));
            assertTrue(assertInstanceOf(Verdict.Unavailable.class, v).reason().contains("exit 111"), v.toString());
            assertEquals(1, log.lines("WARN").size(), log.text());
        }
    }

    /** The exact bytes on descriptor 3, and the password nowhere in argv or the environment. */
    @Test
    void thePasswordTravelsOnlyOnDescriptor3() throws IOException {
        Path seen = dir.resolve("seen");
        Path prog = script("record", "cat <&3 > " + seen + ".fd3\n"
                + "printf '%s\\n' \"$0\" \"$@\" > " + seen + ".argv\n"
                + "env > " + seen + ".env\n"
                + "HOME=/home/alice; export HOME; exec \"$@\"");
        CheckpasswordBackend b = backend(prog.toString());
        Verdict v = b.verify("alice", Secret.of("pa55 w\u00f6rd"));
        assertInstanceOf(Verdict.Success.class, v);
        assertEquals("alice\0pa55 w\u00f6rd\0\0",
                new String(Files.readAllBytes(Path.of(seen + ".fd3")), StandardCharsets.UTF_8));
        assertFalse(Files.readString(Path.of(seen + ".argv")).contains("pa55"));
        String env = Files.readString(Path.of(seen + ".env"));
        assertFalse(env.contains("pa55"), env);
        assertTrue(env.contains("PATH=" + CheckpasswordSettings.DEFAULT_PATH), env);
        assertFalse(env.contains("JAVA_HOME"), "the server's environment is not passed on: " + env);
    }

    @Test
    void exitStatusesOfTheInterface() throws IOException {
        assertInstanceOf(Verdict.WrongPassword.class, backend(script("one", "exit 1").toString()).verify("a", Secret.of("b")));
        assertInstanceOf(Verdict.NoSuchUser.class, backend(script("three", "exit 3").toString()).verify("a", Secret.of("b")));
        try (LogCapture log = new LogCapture()) {
            Verdict two = backend(script("two", "echo usage >&2; exit 2").toString()).verify("a", Secret.of("b"));
            assertTrue(assertInstanceOf(Verdict.Unavailable.class, two).reason().contains("misused"), two.toString());
            Verdict tmp = backend(script("tmp", "exit 111").toString()).verify("a", Secret.of("b"));
            assertTrue(assertInstanceOf(Verdict.Unavailable.class, tmp).reason().contains("temporary"));
            Verdict odd = backend(script("odd", "exit 42").toString()).verify("a", Secret.of("b"));
            assertTrue(assertInstanceOf(Verdict.Unavailable.class, odd).reason().contains("exited 42"));
            assertEquals(3, log.lines("WARN").size(), log.text());
            assertTrue(log.text().contains("usage"), "the program's own complaint is in the line: " + log.text());
        }
    }

    @Test
    void exitZeroWithoutRunningTheProgramIsNoLogin() throws IOException {
        Verdict v = backend(script("liar", "cat <&3 >/dev/null; exit 0").toString()).verify("a", Secret.of("b"));
        assertTrue(assertInstanceOf(Verdict.Unavailable.class, v).reason().contains("without running"), v.toString());
        Verdict forged = backend(script("forger", "cat <&3 >/dev/null; echo " + CheckpasswordRun.MARKER + "; exit 0")
                .toString()).verify("a", Secret.of("b"));
        assertInstanceOf(Verdict.Unavailable.class, forged, "a marker without the account report is no login");
    }

    @Test
    void aHangingProgramIsKilledAtTheTimeout() throws IOException {
        Path pid = dir.resolve("pid");
        CheckpasswordBackend b = backend(script("hang", "echo $$ > " + pid + "; exec sleep 60").toString(),
                "timeout", "0.5");
        long t0 = System.nanoTime();
        Verdict v = b.verify("a", Secret.of("b"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(assertInstanceOf(Verdict.Unavailable.class, v).reason().contains("did not answer"), v.toString());
        assertTrue(ms >= 450 && ms < 5000, ms + " ms");
        long p = Long.parseLong(Files.readString(pid).trim());
        assertFalse(ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false), "the program is killed");
    }

    @Test
    void atMostMaxConcurrentChecksRunAtOnce() throws Exception {
        Path go = dir.resolve("go");
        Path held = script("held", "cat <&3 >/dev/null; while [ ! -e " + go + " ]; do sleep 0.02; done;"
                + " HOME=/h; export HOME; exec \"$@\"");
        CheckpasswordBackend b = backend(held.toString(), "max.concurrent", "1", "timeout", "2");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Callable<Verdict> login = () -> b.verify("a", Secret.of("b"));
            Future<Verdict> first = pool.submit(login);
            Thread.sleep(200);
            long t0 = System.nanoTime();
            Verdict second = pool.submit(login).get();
            long waited = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(assertInstanceOf(Verdict.Unavailable.class, second).reason().contains("busy"), second.toString());
            assertTrue(waited >= 900 && waited < 1800, "waited half the timeout for a slot: " + waited + " ms");
            Files.createFile(go);
            assertInstanceOf(Verdict.Success.class, first.get(), "the check holding the slot is unharmed");
            assertInstanceOf(Verdict.Success.class, b.verify("a", Secret.of("b")), "the slot is free again");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void thePasswordNeverReachesTheLog() throws IOException {
        try (LogCapture log = new LogCapture()) {
            Verdict v = backend(script("echoer", "read -r x <&3; echo \"bad input: $x\" >&2; exit 111").toString())
                    .verify("alice", Secret.of("hunter2"));
            assertInstanceOf(Verdict.Unavailable.class, v);
            assertFalse(log.text().contains("hunter2"), log.text());
            assertFalse(v.toString().contains("hunter2"), v.toString());
        }
    }

    @Test
    void inputTheInterfaceCannotCarry() throws IOException {
        CheckpasswordBackend b = backend(script("never", "touch " + dir.resolve("ran") + "; exit 0").toString());
        assertInstanceOf(Verdict.NoSuchUser.class, b.verify("a\0b", Secret.of("x")));
        assertInstanceOf(Verdict.WrongPassword.class, b.verify("a", Secret.of("x\0y")));
        assertInstanceOf(Verdict.WrongPassword.class, b.verify("a", Secret.of("x".repeat(600))));
        assertFalse(Files.exists(dir.resolve("ran")), "the program never ran for input it cannot be given");
    }

    @Test
    void aBadFileIsRefusedInOneLineAndThePreviousSettingsStay() throws IOException {
        Path ok = script("ok", "cat <&3 >/dev/null; HOME=/h; export HOME; exec \"$@\"");
        CheckpasswordBackend b = new CheckpasswordBackend();
        try (LogCapture log = new LogCapture()) {
            b.activate(DsConfig.of(CheckpasswordBackend.Config.class, "program", "/nonexistent"));
            Verdict none = b.verify("a", Secret.of("b"));
            assertTrue(assertInstanceOf(Verdict.Unavailable.class, none).reason()
                    .contains("auth.checkpassword.cfg refused: program"), none.toString());
            b.activate(DsConfig.of(CheckpasswordBackend.Config.class, "program", ok.toString(), "min.uid", "0"));
            assertInstanceOf(Verdict.Success.class, b.verify("a", Secret.of("b")));
            b.activate(DsConfig.of(CheckpasswordBackend.Config.class, "program", ok.toString(), "min.uid", "0",
                    "timeout", "soon"));
            assertInstanceOf(Verdict.Success.class, b.verify("a", Secret.of("b")), "the previous settings stay");
            List<String> refusals = log.text().lines().filter(l -> l.contains("refused")).toList();
            assertEquals(2, refusals.size(), log.text());
            assertTrue(refusals.get(1).contains("timeout: not a number: soon; the previous settings stay in force"),
                    refusals.get(1));
        }
    }
}
