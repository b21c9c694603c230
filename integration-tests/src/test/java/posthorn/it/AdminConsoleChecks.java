package posthorn.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;


import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;
import org.slf4j.LoggerFactory;

import posthorn.imap.server.admin.AuthTest;
import posthorn.imap.server.admin.BackendInfo;
import posthorn.imap.server.admin.Kicked;
import posthorn.imap.server.admin.LoggerLevel;
import posthorn.imap.server.admin.ServerStats;
import posthorn.imap.server.admin.SessionInfo;
import posthorn.imap.server.admin.UserMailboxes;

/**
 * What {@link AdminConsoleIT} checks, in a class of its own: it names the server's admin types, which
 * the test probe can load only once the server bundle is installed (the tests install it
 * themselves, after configuring it), so this class is loaded by the first test, not with the probe.
 */
final class AdminConsoleChecks {
    private static final String ALICE = "alice";
    private static final String ALICE_PASSWORD = "correct horse";
    private static final String BOB = "bob";
    private static final String BOB_PASSWORD = "battery staple";
    private static final String CAROL = "carol";
    private static final String CAROL_PASSWORD = "tr0ub4dor&3";
    private static final String DAVE = "dave";
    private static final String DAVE_PASSWORD = "hunter2 hunter2";
    /** The kick test's users, whom no other test logs in (each test its own sessions). */
    private static final String ERIN = "erin";
    private static final String FRANK = "frank";
    private static final String PASSWORD = "kick me";

    private final ServerFixture server;
    private final BundleContext context;
    private final ConfigurationAdmin configAdmin;

    AdminConsoleChecks(ServerFixture server, BundleContext context, ConfigurationAdmin configAdmin) {
        this.server = server;
        this.context = context;
        this.configAdmin = configAdmin;
    }

    /**
     * What the last command's thread logged: Gogo hands each command's thread the session's own
     * standard error (its ThreadIO), so the lines a command causes on its thread reach the console
     * that ran it; lines of the server's own threads go to the process's.
     */
    private String lastLog = "";

    /** Runs one command line in a new console session, as Gogo's shell does, and returns its value. */
    private Object run(String line) throws Exception {
        try (Console c = new Console()) {
            try {
                return c.session.execute(line);
            } finally {
                lastLog = c.err.toString(StandardCharsets.UTF_8);
            }
        }
    }

    /** The command's value as the console prints it. */
    private String printed(String line) throws Exception {
        try (Console c = new Console()) {
            Object value = c.session.execute(line);
            return String.valueOf(c.session.format(value, Converter.INSPECT));
        }
    }

    private final class Console implements AutoCloseable {
        final CommandSession session;
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final ServiceTracker<CommandProcessor, CommandProcessor> tracker;

        Console() throws InterruptedException {
            tracker = new ServiceTracker<>(context, CommandProcessor.class, null);
            tracker.open();
            CommandProcessor processor = tracker.waitForService(10_000);
            assertNotNull("Gogo's CommandProcessor", processor);
            session = processor.createSession(new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
        }

        @Override
        public void close() {
            session.close();
            tracker.close();
        }
    }

    /** A raw IMAP client. */
    private final class Client implements AutoCloseable {
        final Socket socket;
        final BufferedReader in;
        final OutputStream out;
        private int tag;

        Client() throws IOException {
            socket = new Socket(ServerFixture.HOST, server.port);
            socket.setSoTimeout(10_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            out = socket.getOutputStream();
            assertTrue(in.readLine().startsWith("* OK"));
        }

        /** Logs this client in; returns it. */
        Client login(String user, String password) throws IOException {
            assertTrue(command("LOGIN " + user + " \"" + password + "\"").startsWith("OK"));
            return this;
        }

        /** Sends a command and returns its tagged answer without the tag. */
        String command(String text) throws IOException {
            String t = "c" + (++tag);
            send(t + " " + text + "\r\n");
            return answer(t);
        }

        void send(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        String answer(String t) throws IOException {
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    throw new AssertionError("connection closed before " + t + " was answered");
                }
                if (line.startsWith(t + " ")) {
                    return line.substring(t.length() + 1);
                }
            }
        }

        /** Every line until the server closes the connection. */
        List<String> rest() throws IOException {
            List<String> lines = new ArrayList<>();
            for (String line; (line = in.readLine()) != null; ) {
                lines.add(line);
            }
            return lines;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private Client newClient() throws IOException {
        return new Client();
    }

    @SuppressWarnings("unchecked")
    private <T> List<T> list(String line) throws Exception {
        return (List<T>) run(line);
    }

    /** The client's session, as imap:who USER shows it (found by the client's port). */
    private SessionInfo sessionOf(String user, Client client) throws Exception {
        List<SessionInfo> who = list("imap:who " + user);
        List<SessionInfo> mine = who.stream()
                .filter(s -> s.remote().equals("127.0.0.1:" + client.socket.getLocalPort())).toList();
        assertEquals(who.toString(), 1, mine.size());
        assertTrue(who.toString(), who.stream().allMatch(s -> user.equals(s.user())));
        return mine.get(0);
    }

    void whoShowsEachSessionWithItsStateMailboxCountsAndIdle() throws Exception {
        try (Client alice = newClient().login(ALICE, ALICE_PASSWORD); Client bob = newClient().login(BOB, BOB_PASSWORD)) {
            assertTrue(alice.command("SELECT INBOX").startsWith("OK"));
            bob.send("i1 IDLE\r\n");
            assertTrue(bob.in.readLine().startsWith("+"));

            SessionInfo a = sessionOf(ALICE, alice);
            assertEquals("selected", a.state());
            assertEquals("INBOX", a.mailbox());
            assertEquals(2, a.commands());
            assertTrue(a.bytesIn() > 20 && a.bytesOut() > 100);
            assertFalse(a.tls());
            assertFalse(a.idle());

            SessionInfo b = awaitValue(() -> sessionOf(BOB, bob), SessionInfo::idle);
            assertEquals("authenticated", b.state());
            assertNull(b.mailbox());

            List<SessionInfo> all = list("imap:who");
            assertTrue(all.stream().anyMatch(s -> s.id() == a.id()) && all.stream().anyMatch(s -> s.id() == b.id()));
            String printed = printed("imap:who " + ALICE);
            assertTrue(printed, printed.contains("s" + a.id() + " ") && printed.contains(" alice ")
                    && printed.contains(" selected ") && printed.contains(" INBOX "));
            assertTrue(printed("imap:who " + BOB).contains(" IDLE"));
            assertEquals(List.of(), list("imap:who nobody-at-all"));

            bob.send("DONE\r\n");
            assertTrue(bob.answer("i1").startsWith("OK"));
        }
    }

    void kickEndsTheUsersSessionWithByeAndTheReasonOthersStay() throws Exception {
        try (Client alice = newClient().login(ERIN, PASSWORD); Client alice2 = newClient().login(ERIN, PASSWORD);
                Client bob = newClient().login(FRANK, PASSWORD)) {
            assertTrue(alice2.command("SELECT INBOX").startsWith("OK"));
            alice2.send("i1 IDLE\r\n");
            assertTrue(alice2.in.readLine().startsWith("+"));
            // A reason that tries to end the BYE line and forge one of its own stays one line.
            List<Kicked> kicked = list("imap:kick erin \"maintenance at noon\r\nc9 OK forged\"");
            assertEquals(kicked.toString(), 2, kicked.size());
            assertTrue(kicked.toString(), kicked.stream().allMatch(k -> k.closed() && ERIN.equals(k.user())));
            for (Client c : List.of(alice, alice2)) {
                List<String> rest = c.rest(); // ends: the server closed the connection
                assertEquals(rest.toString(), "* BYE maintenance at noon  c9 OK forged", rest.get(rest.size() - 1));
            }
            assertTrue(bob.command("NOOP").startsWith("OK"));
            assertEquals(List.of(), awaitValue(() -> list("imap:who " + ERIN), List::isEmpty));
            String frank = printed("imap:who " + FRANK);
            assertTrue(frank, frank.contains(" frank "));
        }
        // by number, with the standard reason
        try (Client bob = newClient().login(FRANK, PASSWORD)) {
            long id = sessionOf(FRANK, bob).id();
            List<Kicked> kicked = list("imap:kick s" + id);
            assertEquals(1, kicked.size());
            assertEquals(id, kicked.get(0).id());
            assertEquals(List.of("* BYE Disconnected by the administrator"), bob.rest());
        }
        assertEquals(List.of(), list("imap:kick nobody-at-all"));
    }

    /** A kick that comes while an APPEND's message is still arriving: the message is stored, then BYE. */
    void kickDuringALongAppendLosesNothing() throws Exception {
        byte[] body = new byte[1_000_000];
        byte[] line = "x".repeat(78).concat("\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] header = "Subject: big\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(header, 0, body, 0, header.length);
        for (int i = header.length; i < body.length; i++) {
            body[i] = line[(i - header.length) % line.length];
        }
        try (Client carol = newClient().login(CAROL, CAROL_PASSWORD)) {
            carol.send("a1 APPEND INBOX {" + body.length + "}\r\n");
            assertTrue(carol.in.readLine().startsWith("+"));
            carol.out.write(body, 0, body.length / 2);
            carol.out.flush();
            awaitValue(() -> sessionOf(CAROL, carol), s -> s.bytesIn() > body.length / 2);

            List<Kicked> kicked = list("imap:kick carol \"going down\"");
            assertEquals(1, kicked.size());
            assertFalse("in the middle of a command: closed after it", kicked.get(0).closed());

            carol.out.write(body, body.length / 2, body.length - body.length / 2);
            carol.out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            carol.out.flush();
            assertTrue(carol.answer("a1").startsWith("OK [APPENDUID"));
            assertEquals(List.of("* BYE going down"), carol.rest());
        }
        Path maildir = server.root.resolve("home").resolve(CAROL).resolve("Maildir");
        try (Stream<Path> files = Stream.concat(Files.list(maildir.resolve("cur")), Files.list(maildir.resolve("new")))) {
            List<Path> messages = files.toList();
            assertEquals(messages.toString(), 1, messages.size());
            // the store keeps LF line ends on disk (as Courier and Dovecot do): the CRs are the difference
            long crs = 0;
            for (byte b : body) {
                crs += b == '\r' ? 1 : 0;
            }
            assertEquals(body.length - crs, Files.size(messages.get(0)));
        }
        UserMailboxes m = (UserMailboxes) run("imap:mailboxes carol");
        assertEquals(1, m.mailboxes().get(0).messages());
        assertEquals(body.length, m.mailboxes().get(0).size());
    }

    void backendsShowTheChainItsAnswersAndLatency() throws Exception {
        try (Client c = new Client()) {
            assertTrue(c.command("LOGIN " + DAVE + " \"" + DAVE_PASSWORD + "\"").startsWith("OK"));
        }
        try (Client c = new Client()) {
            assertTrue(c.command("LOGIN " + DAVE + " \"not it\"").startsWith("NO [AUTHENTICATIONFAILED]"));
        }
        List<BackendInfo> backends = list("imap:backends");
        assertEquals(backends.toString(), 1, backends.size());
        BackendInfo userdb = backends.get(0);
        assertEquals("userdb", userdb.name());
        assertEquals(1, userdb.position());
        assertEquals(BackendInfo.BackendState.ACTIVE, userdb.state());
        assertTrue(userdb.toString(), userdb.ok() >= 1 && userdb.wrongPassword() >= 1);
        assertNotNull(userdb.p50());
        assertTrue(userdb.p99().compareTo(userdb.p50()) >= 0);
        assertTrue(printed("imap:backends").startsWith("1. userdb ACTIVE ok="));

        // a backend named in auth.cfg whose bundle does not run
        ServerFixture.update(configAdmin, "auth", Map.of("backends", "userdb, ldap"));
        try {
            List<BackendInfo> two = awaitValue(() -> list("imap:backends"), l -> l.size() == 2);
            assertEquals("ldap", two.get(1).name());
            assertEquals(2, two.get(1).position());
            assertEquals(BackendInfo.BackendState.NOT_RUNNING, two.get(1).state());
        } finally {
            ServerFixture.update(configAdmin, "auth", Map.of("backends", "userdb"));
            awaitValue(() -> list("imap:backends"), l -> l.size() == 1);
        }
    }

    void statsCountConnectionsLoginsCommandsAndBytes() throws Exception {
        ServerStats before = (ServerStats) run("imap:stats");
        try (Client c = newClient().login(DAVE, DAVE_PASSWORD)) {
            for (int i = 0; i < 5; i++) {
                assertTrue(c.command("NOOP").startsWith("OK"));
            }
            try (Client wrong = new Client()) {
                assertTrue(wrong.command("LOGIN " + DAVE + " wrong").startsWith("NO"));
            }
            ServerStats after = awaitValue(() -> (ServerStats) run("imap:stats"), s -> s.commandsPerSecond1m() > 0);
            assertTrue(after.connectionsTotal() >= before.connectionsTotal() + 2);
            assertTrue(after.connectionsNow() >= 1);
            assertTrue(after.logins().ok() >= before.logins().ok() + 1);
            assertTrue(after.logins().failed() >= before.logins().failed() + 1);
            assertTrue(after.commandsPerSecond5m() > 0);
            assertTrue(after.bytesIn() > before.bytesIn() && after.bytesOut() > before.bytesOut());
            assertTrue(after.uptime().toMillis() > 0);
            assertTrue(after.heapUsed() > 0);
            String printed = printed("imap:stats");
            assertTrue(printed, printed.contains("logins        ok=") && printed.contains("commands/s    ")
                    && printed.contains("heap          "));
        }
    }

    void authtestRunsTheChainAndNeverShowsThePassword() throws Exception {
        AuthTest ok = (AuthTest) run("imap:authtest alice \"" + ALICE_PASSWORD + "\"");
        String logged = lastLog;
        String printed = printed("imap:authtest alice \"" + ALICE_PASSWORD + "\"");
        AuthTest wrong = (AuthTest) run("imap:authtest alice \"" + BOB_PASSWORD + "\"");
        logged += lastLog;
        assertEquals("ok", ok.result());
        assertTrue(ok.passwordChecked());
        assertEquals("userdb", ok.backend());
        assertEquals(ALICE, ok.account().name());
        assertEquals(server.root.resolve("home").resolve(ALICE).toString(), ok.account().home());
        assertEquals(server.root.resolve("home").resolve(ALICE).resolve("Maildir").toString(), ok.account().maildir());
        assertEquals("wrong-password", wrong.result());
        assertNull(wrong.account());
        assertFalse(printed, printed.contains(ALICE_PASSWORD));
        assertTrue(printed, printed.contains("backend       userdb"));
        assertTrue(logged, logged.contains("INFO ImapAdminService - admin: authtest user=alice with a password result=ok backend=userdb"));
        assertTrue(logged, logged.contains("result=wrong-password"));
        assertFalse(logged, logged.contains(ALICE_PASSWORD) || logged.contains(BOB_PASSWORD) || logged.contains("correct"));

        AuthTest lookup = (AuthTest) run("imap:authtest bob");
        assertFalse(lookup.passwordChecked());
        assertEquals("ok", lookup.result());
        assertEquals(BOB, lookup.account().name());
        AuthTest nobody = (AuthTest) run("imap:authtest nobody-at-all");
        assertEquals("no-such-user", nobody.result());
        assertNull(nobody.backend());
        assertEquals("no-such-user", ((AuthTest) run("imap:authtest nobody-at-all whatever")).result());
    }

    void mailboxesShowsFoldersCountsAndUidValidity() throws Exception {
        try (Client alice = newClient().login(ALICE, ALICE_PASSWORD)) {
            String created = alice.command("CREATE INBOX.Archive");
            assertTrue(created, created.startsWith("OK") || created.contains("ALREADYEXISTS"));
        }
        UserMailboxes m = (UserMailboxes) run("imap:mailboxes alice");
        assertEquals(ALICE, m.user());
        UserMailboxes.MailboxUsage inbox = m.mailboxes().get(0);
        assertEquals("INBOX", inbox.name());
        assertEquals(1, inbox.messages());
        assertTrue(inbox.size() > 0 && inbox.uidValidity() > 0 && inbox.uidNext() >= 2);
        assertTrue(m.mailboxes().toString(), m.mailboxes().stream().anyMatch(b -> b.name().equals("INBOX.Archive") && b.messages() == 0));
        String printed = printed("imap:mailboxes alice");
        assertTrue(printed, printed.startsWith("MAILBOX") && printed.contains("INBOX") && printed.contains("Archive"));
        Exception e = assertThrows(Exception.class, () -> run("imap:mailboxes nobody-at-all"));
        assertTrue(e.toString(), e.getMessage().contains("no such user"));
    }

    void logShowsAndChangesLevelsAtRunTime() throws Exception {
        org.slf4j.Logger probe = LoggerFactory.getLogger("posthorn.imap.server.internal.auth.AuthChain");
        assertFalse(probe.isDebugEnabled());
        List<LoggerLevel> levels = list("imap:log");
        assertEquals("ROOT", levels.get(0).logger());
        assertEquals("INFO", levels.get(0).level());

        LoggerLevel set = (LoggerLevel) run("imap:log posthorn.imap.server DEBUG");
        try {
            assertEquals(new LoggerLevel("posthorn.imap.server", "DEBUG", "DEBUG"), set);
            assertTrue(probe.isDebugEnabled());
            assertTrue(list("imap:log").contains(set));
            // A debug line of the chain (no-such-user answers are logged at DEBUG) now appears.
            run("imap:authtest nobody-else wrong");
            assertTrue(lastLog, lastLog.contains("DEBUG AuthChain - auth user=nobody-else backend=userdb result=no-such-user"));
        } finally {
            LoggerLevel back = (LoggerLevel) run("imap:log posthorn.imap.server INHERIT");
            assertEquals(new LoggerLevel("posthorn.imap.server", null, "INFO"), back);
        }
        assertFalse(probe.isDebugEnabled());

        assertEquals("WARN", ((LoggerLevel) run("imap:log warn")).level());
        assertFalse(LoggerFactory.getLogger("posthorn.anything").isInfoEnabled());
        assertEquals("INFO", ((LoggerLevel) run("imap:log INFO")).level());
        assertTrue(LoggerFactory.getLogger("posthorn.anything").isInfoEnabled());

        Exception bad = assertThrows(Exception.class, () -> run("imap:log posthorn.imap LOUD"));
        assertTrue(bad.getMessage(), bad.getMessage().contains("no such level"));
        assertThrows(Exception.class, () -> run("imap:log ROOT INHERIT"));
    }

    /** Polls until the value passes the check (counters and states settle a moment after the client acts). */
    private static <T> T awaitValue(Callable<T> value, java.util.function.Predicate<T> check) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            T v = value.call();
            if (check.test(v)) {
                return v;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("still " + v);
            }
            Thread.sleep(50);
        }
    }
}
