package posthorn.auth.userdb.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;

class DemoAccountTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();

    private UserdbBackend activate(Path userdb, boolean demo) throws IOException {
        UserdbBackend b = new UserdbBackend();
        b.activate(userdb, demo, new PrintStream(stdout, true, StandardCharsets.UTF_8), Duration.ZERO);
        return b;
    }

    @Test
    void createsTheAccountItsMaildirAndAWelcomeMessage() throws Exception {
        Path userdb = dir.resolve("var").resolve("auth").resolve("userdb");
        UserdbBackend b = activate(userdb, true);

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(userdb)));
        Path pwFile = userdb.resolveSibling("demo-password");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pwFile)));
        String password = Files.readString(pwFile).strip();
        assertTrue(password.matches("[A-Za-z0-9]{16}"), "16 letters and digits");
        assertTrue(Files.readString(userdb).contains("systempw=$6$"), "SHA-512 crypt");
        assertTrue(!Files.readString(userdb).contains(password));

        Path home = userdb.getParent().resolve("mail").resolve("demo");
        Path maildir = home.resolve("Maildir");
        UserRecord rec = assertInstanceOf(Verdict.Success.class, b.verify("demo", Secret.of(password))).user();
        assertEquals(home.toAbsolutePath(), rec.home());
        assertEquals(maildir.toAbsolutePath(), rec.maildir());
        assertInstanceOf(Verdict.WrongPassword.class, b.verify("demo", Secret.of(password + "x")));

        assertEquals(List.of("Posthorn demo account created: user demo, password " + password + " (also in "
                + pwFile.toAbsolutePath() + ")"), stdout.toString(StandardCharsets.UTF_8).lines().toList());

        for (String sub : List.of("cur", "tmp")) {
            assertEquals(List.of(), list(maildir.resolve(sub)));
        }
        List<Path> fresh = list(maildir.resolve("new"));
        assertEquals(1, fresh.size());
        assertTrue(fresh.get(0).getFileName().toString().matches("\\d+\\.M\\d+P\\d+R[0-9a-f]{8}\\.[^/:]+"),
                fresh.get(0).getFileName().toString());

        MimeMessage m;
        try (InputStream in = Files.newInputStream(fresh.get(0))) {
            m = new MimeMessage(Session.getInstance(new Properties()), in);
        }
        assertEquals(List.of(new InternetAddress("Posthorn <postmaster@localhost>")), List.of(m.getFrom()));
        assertEquals(List.of(new InternetAddress("demo@localhost")), List.of(m.getAllRecipients()));
        assertEquals("Welcome to Posthorn", m.getSubject());
        assertTrue(m.getSentDate() != null, "Date parses");
        assertTrue(m.getMessageID().matches("<[^<>@\\s]+@localhost>"), m.getMessageID());
        assertEquals("1.0", m.getHeader("MIME-Version", null));
        assertTrue(m.isMimeType("text/plain"));
        assertEquals("text/plain; charset=UTF-8", m.getContentType());
        assertTrue(((String) m.getContent()).contains("Posthorn"));
        assertTrue(((String) m.getContent()).contains("curl"));
    }

    @Test
    void theDemoMailIsOwnerOnlyWhateverTheUmask() throws Exception {
        // The test JVM runs under the usual umask 022: without explicit modes, these would be 0755/0644.
        Path userdb = dir.resolve("var").resolve("userdb");
        activate(userdb, true);
        Path mail = userdb.resolveSibling("mail");
        try (var walk = Files.walk(mail)) {
            for (Path p : walk.toList()) {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                assertEquals(Files.isDirectory(p) ? "rwx------" : "rw-------", mode, p.toString());
            }
        }
        assertEquals(1, list(mail.resolve("demo").resolve("Maildir").resolve("new")).size());
    }

    @Test
    void secondActivationChangesNothing() throws Exception {
        Path userdb = dir.resolve("userdb");
        activate(userdb, true);
        Map<Path, String> before = snapshot();
        int banner = stdout.size();

        UserdbBackend again = activate(userdb, true);
        assertEquals(before, snapshot());
        assertEquals(banner, stdout.size(), "no second banner");
        String password = Files.readString(userdb.resolveSibling("demo-password")).strip();
        assertInstanceOf(Verdict.Success.class, again.verify("demo", Secret.of(password)));
    }

    @Test
    void aRunThatStoppedHalfWayIsCompletedWithoutASecondWelcome() throws Exception {
        Path userdb = dir.resolve("userdb");
        Path newDir = dir.resolve("mail/demo/Maildir/new");
        Files.createDirectories(newDir);
        Files.writeString(newDir.resolve("1.M1P1.host"), "Subject: earlier welcome\n\nhi\n");
        Files.writeString(dir.resolve("demo-password"), "stale\n");

        UserdbBackend b = activate(userdb, true);
        assertEquals(List.of(newDir.resolve("1.M1P1.host")), list(newDir));
        String password = Files.readString(dir.resolve("demo-password")).strip();
        assertTrue(!password.equals("stale"));
        assertInstanceOf(Verdict.Success.class, b.verify("demo", Secret.of(password)));
        assertEquals(List.of(dir.resolve("demo-password"), dir.resolve("mail"), userdb), list(dir),
                "no temporary file left");
    }

    @Test
    void anExistingFileIsLeftAlone() throws Exception {
        Path userdb = Fixtures.copy("userdb", dir);
        String text = Files.readString(userdb);
        activate(userdb, true);
        assertEquals(text, Files.readString(userdb));
        assertEquals(List.of(userdb), list(dir));
        assertEquals(0, stdout.size());
    }

    @Test
    void withoutATerminalThePasswordIsOnlyInItsFile() throws Exception {
        Path userdb = dir.resolve("userdb");
        UserdbBackend b = new UserdbBackend();
        b.activate(userdb, true, DemoAccount.Mode.FILE, new PrintStream(stdout, true, StandardCharsets.UTF_8), Duration.ZERO);
        String password = Files.readString(dir.resolve("demo-password")).strip();
        assertInstanceOf(Verdict.Success.class, b.verify("demo", Secret.of(password)));
        assertEquals(0, stdout.size(), "nothing on standard output, which a supervisor sends to the log");
    }

    @Test
    void underASupervisorTheDemoAccountIsNotMade() throws Exception {
        Path userdb = dir.resolve("userdb");
        UserdbBackend b = new UserdbBackend();
        b.activate(userdb, true, DemoAccount.Mode.of("off"), new PrintStream(stdout, true, StandardCharsets.UTF_8), Duration.ZERO);
        assertTrue(Files.notExists(userdb));
        assertEquals(List.of(), list(dir), "no Maildir, no password file");
        assertEquals(0, stdout.size());
        assertInstanceOf(Verdict.Unavailable.class, b.verify("demo", Secret.of("x")));
    }

    @Test
    void theLaunchersWordDecides() {
        assertEquals(DemoAccount.Mode.TERMINAL, DemoAccount.Mode.of("terminal"));
        assertEquals(DemoAccount.Mode.FILE, DemoAccount.Mode.of("file"));
        assertEquals(DemoAccount.Mode.OFF, DemoAccount.Mode.of("off"));
        assertEquals(DemoAccount.Mode.OFF, DemoAccount.Mode.of("anything else"), "unknown: the safe side");
        assertEquals(DemoAccount.Mode.FILE, DemoAccount.Mode.of(null), "embedded without the launcher");
    }

    @Test
    void withoutDemoAMissingFileStaysMissing() throws Exception {
        Path userdb = dir.resolve("userdb");
        UserdbBackend b = activate(userdb, false);
        assertTrue(Files.notExists(userdb));
        assertInstanceOf(Verdict.Unavailable.class, b.verify("demo", Secret.of("x")));
    }

    private static List<Path> list(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.sorted().toList();
        }
    }

    /** Every path under the test directory with its content (files) and modification time. */
    private Map<Path, String> snapshot() throws IOException {
        Map<Path, String> out = new TreeMap<>();
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.forEach(all::add);
        }
        for (Path p : all) {
            String content = Files.isRegularFile(p) ? Files.readString(p) : "<dir>";
            out.put(p, content + "@" + Files.getLastModifiedTime(p));
        }
        return out;
    }
}
