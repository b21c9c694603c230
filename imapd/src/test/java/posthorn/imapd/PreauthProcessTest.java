package posthorn.imapd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * posthorn imapd as a process, as ssh or a tunnel runs it: the greeting, LOGOUT's exit, where the
 * Maildir comes from, and the hostile and failing cases (no Maildir, not a Maildir, a bad imapd.cfg,
 * a literal over literal.max, standard input closed in the middle of a command). Every log line is
 * one event on standard error; standard output carries only IMAP.
 */
class PreauthProcessTest {
    @TempDir
    Path dir;

    private Path maildir(String name) throws IOException {
        Path m = dir.resolve(name);
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(m.resolve(sub));
        }
        return m;
    }

    /** Every line of the log is one event: a level, a logger, a message; no stack trace lines. */
    private static void oneEventALine(String log) {
        for (String line : log.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            assertTrue(line.matches("(TRACE|DEBUG|INFO|WARN|ERROR) \\S+ - .*"), "not a log event line: " + line + "\nlog:\n" + log);
        }
    }

    @Test
    void greetsPreauthAndLogoutExitsZero() throws Exception {
        Path m = maildir("Maildir");
        try (ImapdProcess p = new ImapdProcess(Map.of(), m.toString())) {
            String greeting = p.line();
            assertTrue(greeting.startsWith("* PREAUTH [CAPABILITY IMAP4rev1 "), greeting);
            assertTrue(greeting.contains(" IDLE "), greeting);
            assertFalse(greeting.contains("STARTTLS") || greeting.contains("AUTH=") || greeting.contains("LOGINDISABLED"), greeting);
            p.send("a SELECT INBOX");
            assertTrue(p.until("a").getLast().startsWith("a OK [READ-WRITE]"));
            p.send("b LOGIN someone secret");
            assertTrue(p.until("b").getLast().startsWith("b BAD"), "LOGIN after PREAUTH");
            p.send("c LOGOUT");
            List<String> bye = p.until("c");
            assertEquals("* BYE Logging out", bye.get(0));
            assertTrue(bye.get(1).startsWith("c OK"));
            assertEquals("", p.rest(), "nothing after LOGOUT's answer");
            assertEquals(0, p.exit());
            String log = p.log();
            oneEventALine(log);
            assertTrue(log.contains("preauth user=" + System.getProperty("user.name")), log);
            assertTrue(log.contains("end=\"logout\""), log);
        }
    }

    /** After a login program (Courier's imaplogin): its LOGIN's tag is answered instead of a greeting. */
    @Test
    void aLoginProgramsTagIsAnsweredInsteadOfTheGreeting() throws Exception {
        Path m = maildir("Maildir");
        try (ImapdProcess p = new ImapdProcess(Map.of("IMAPLOGINTAG", "x01"), m.toString())) {
            String first = p.line();
            assertTrue(first.startsWith("x01 OK [CAPABILITY IMAP4rev1 ") && first.endsWith("] LOGIN completed"), first);
            p.send("a LOGOUT");
            p.until("a");
            assertEquals(0, p.exit());
        }
        try (ImapdProcess p = new ImapdProcess(Map.of("IMAPLOGINTAG", "x{1}\r\n* OK"), m.toString())) {
            assertTrue(p.line().startsWith("* PREAUTH "), "not a tag: greet as without one");
            p.closeInput();
            assertEquals(0, p.exit());
            assertTrue(p.log().contains("WARN PreauthMain - imapd: IMAPLOGINTAG is not an IMAP tag"), p.log());
        }
    }

    @Test
    void maildirFromTheEnvironmentThenHome() throws Exception {
        Path fromEnv = maildir("elsewhere");
        try (ImapdProcess p = new ImapdProcess(Map.of("MAILDIR", fromEnv.toString()))) {
            assertTrue(p.line().startsWith("* PREAUTH"));
            p.send("a APPEND INBOX {3}");
            assertTrue(p.line().startsWith("+"));
            p.send("abc");
            assertTrue(p.until("a").getLast().startsWith("a OK [APPENDUID"));
            p.send("b LOGOUT");
            p.until("b");
            assertEquals(0, p.exit());
        }
        try (Stream<Path> s = Files.list(fromEnv.resolve("cur"))) {
            assertEquals(1, s.count(), "the message went to $MAILDIR");
        }
        Path home = dir.resolve("home");
        maildir("home/Maildir");
        try (ImapdProcess p = new ImapdProcess(Map.of("HOME", home.toString()))) {
            assertTrue(p.line().startsWith("* PREAUTH"));
            p.send("a STATUS INBOX (MESSAGES)");
            assertEquals("* STATUS INBOX (MESSAGES 0)", p.line(), "~/Maildir, not $MAILDIR's");
            p.closeInput();
            assertEquals(0, p.exit(), "the client hanging up is a normal end");
        }
    }

    @Test
    void missingMaildirIsRefusedWithByeAndOneLine() throws Exception {
        Path missing = dir.resolve("nope");
        try (ImapdProcess p = new ImapdProcess(Map.of(), missing.toString())) {
            String bye = p.line();
            assertEquals("* BYE [UNAVAILABLE] Not a Maildir: " + missing + ": no such directory", bye);
            assertNull(p.line());
            assertEquals(1, p.exit());
            String log = p.log().strip();
            assertEquals(1, log.lines().count(), log);
            assertTrue(log.startsWith("ERROR PreauthMain - imapd: not a Maildir: " + missing), log);
        }
        assertFalse(Files.exists(missing), "a missing Maildir is not created");
    }

    @Test
    void directoryThatIsNotAMaildirIsRefusedAndLeftAlone() throws Exception {
        Path plain = Files.createDirectories(dir.resolve("plain"));
        Files.createDirectories(plain.resolve("cur"));
        try (ImapdProcess p = new ImapdProcess(Map.of(), plain.toString())) {
            assertEquals("* BYE [UNAVAILABLE] Not a Maildir: " + plain + ": it has no new/ directory", p.line());
            assertEquals(1, p.exit());
            assertEquals(1, p.log().strip().lines().count(), p.log());
        }
        assertFalse(Files.exists(plain.resolve("new")), "nothing is made in a directory that is not a Maildir");
        Path file = Files.writeString(dir.resolve("file"), "x");
        try (ImapdProcess p = new ImapdProcess(Map.of(), file.toString())) {
            assertEquals("* BYE [UNAVAILABLE] Not a Maildir: " + file + ": not a directory", p.line());
            assertEquals(1, p.exit());
        }
    }

    @Test
    void tooManyArgumentsIsAUsageError() throws Exception {
        try (ImapdProcess p = new ImapdProcess(Map.of(), "a", "b")) {
            assertTrue(p.line().startsWith("* BYE [CLIENTBUG] Usage:"));
            assertEquals(2, p.exit());
            assertEquals(1, p.log().strip().lines().count(), p.log());
        }
    }

    @Test
    void imapdCfgLimitsApplyAndABadValueIsRefusedByName() throws Exception {
        Path m = maildir("Maildir");
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(conf.resolve("imapd.cfg"), "literal.max=$[env:SMALL_LIMIT]\nport=1143\n");
        try (ImapdProcess p = new ImapdProcess(Map.of("POSTHORN_CONF", conf.toString(), "SMALL_LIMIT", "1000"), m.toString())) {
            assertTrue(p.line().startsWith("* PREAUTH"));
            p.send("a APPEND INBOX {2000}");
            String refused = p.line();
            assertTrue(refused.startsWith("a NO [TOOBIG]") || refused.startsWith("a BAD [TOOBIG]"), refused);
            p.send("b APPEND INBOX {1000}");
            assertTrue(p.line().startsWith("+"), "within literal.max");
            p.sendRaw(new byte[1000]);
            p.send("");
            p.until("b");
            p.send("c LOGOUT");
            p.until("c");
            assertEquals(0, p.exit());
        }
        Files.writeString(conf.resolve("imapd.cfg"), "literal.max=lots\n");
        try (ImapdProcess p = new ImapdProcess(Map.of("POSTHORN_CONF", conf.toString()), m.toString())) {
            assertEquals("* BYE [UNAVAILABLE] Server configuration error; see the log", p.line());
            assertEquals(1, p.exit());
            String log = p.log().strip();
            assertEquals(1, log.lines().count(), log);
            assertTrue(log.contains(conf.resolve("imapd.cfg") + " refused: literal.max=lots: not a whole number"), log);
        }
    }

    @Test
    void aGigabyteLiteralIsRefusedBeforeItIsSent() throws Exception {
        Path m = maildir("Maildir");
        try (ImapdProcess p = new ImapdProcess(Map.of(), m.toString())) {
            assertTrue(p.line().startsWith("* PREAUTH"));
            p.send("a APPEND INBOX {1073741824}");
            String refused = p.line();
            assertTrue(refused.matches("a (NO|BAD) \\[TOOBIG\\] .*"), refused);
            p.send("b NOOP");
            assertEquals("b OK NOOP completed", p.until("b").getLast(), "the session goes on");
            // LITERAL+: the client sends without waiting, so the server cannot refuse it in time: BYE.
            p.send("c APPEND INBOX {1073741824+}");
            String bye = p.line();
            assertTrue(bye.startsWith("* BYE"), bye);
            assertEquals(1, p.exit(), "a session the server ended is not a normal end");
            oneEventALine(p.log());
        }
        try (Stream<Path> s = Stream.of("tmp", "new", "cur").flatMap(d -> list(m.resolve(d)))) {
            assertEquals(0, s.count(), "nothing stored, nothing left in tmp/");
        }
    }

    @Test
    void standardInputClosedInTheMiddleOfAnAppend() throws Exception {
        Path m = maildir("Maildir");
        try (ImapdProcess p = new ImapdProcess(Map.of(), m.toString())) {
            assertTrue(p.line().startsWith("* PREAUTH"));
            p.send("a APPEND INBOX {100}");
            assertTrue(p.line().startsWith("+"));
            p.sendRaw("Subject: half\r\n".getBytes(StandardCharsets.US_ASCII));
            p.closeInput();
            assertNull(p.line(), "the session ends");
            assertEquals(0, p.exit(), "the client hung up");
            String log = p.log();
            oneEventALine(log);
            assertTrue(log.contains("end=\"closed by client\""), log);
        }
        try (Stream<Path> s = Stream.of("tmp", "new", "cur").flatMap(d -> list(m.resolve(d)))) {
            assertEquals(0, s.count(), "no half message stored, and the upload in tmp/ removed");
        }
    }

    @Test
    void idleTimeoutLogsOutWithBye() throws Exception {
        Path m = maildir("Maildir");
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(conf.resolve("imapd.cfg"), "idle.timeout=1\n");
        try (ImapdProcess p = new ImapdProcess(Map.of("POSTHORN_CONF", conf.toString()), m.toString())) {
            assertTrue(p.line().startsWith("* PREAUTH"));
            assertEquals("* BYE Autologout; idle for too long", p.line());
            assertNull(p.line());
            assertEquals(1, p.exit());
            assertTrue(p.log().contains("end=\"autologout\""), p.log());
        }
    }

    /**
     * A client that stops reading: the write blocks on a full pipe, which closing cannot unblock; the
     * write watchdog closes the connection and the process ends within write.timeout and a grace.
     */
    @Test
    void aClientThatStopsReadingIsEndedAfterWriteTimeout() throws Exception {
        Path m = maildir("Maildir");
        StringBuilder big = new StringBuilder("Subject: big\r\n\r\n");
        while (big.length() < 1 << 20) {
            big.append("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\r\n");
        }
        Files.writeString(m.resolve("cur/1.big.test:2,"), big);
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(conf.resolve("imapd.cfg"), "write.timeout=1\n");
        try (ImapdProcess p = new ImapdProcess(Map.of("POSTHORN_CONF", conf.toString()), m.toString())) {
            assertTrue(p.line().startsWith("* PREAUTH"));
            p.send("a SELECT INBOX");
            p.until("a");
            long t0 = System.nanoTime();
            p.send("b FETCH 1 BODY[]"); // 1 MiB into a 64 KiB pipe nobody reads
            assertEquals(1, p.exit());
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            assertTrue(seconds < 15, "ended after " + seconds + " s");
            String log = p.log();
            oneEventALine(log);
            assertTrue(log.contains("write timeout"), log);
        }
    }

    private static Stream<Path> list(Path d) {
        try {
            return Files.list(d).toList().stream();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
