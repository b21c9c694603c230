package posthorn.imap.server.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.imap.server.internal.LogCapture;
import posthorn.imap.server.internal.command.Command;
import posthorn.imap.server.internal.command.CommandTable;
import posthorn.imap.server.internal.net.TlsFiles;
import posthorn.imap.server.internal.state.SessionState;

/**
 * How the server ends a session: an Error in a command (BYE and one log line), too many BADs in a
 * row (max.bad.commands), and a login timeout where TLS is due (nothing in the clear).
 */
class SessionEndTest {
    private final TestHost host = new TestHost(TestHost.noMail());
    private ServerSocket listener;
    private Thread thread;
    private Socket client;
    private BufferedReader in;
    private OutputStream out;

    /** Starts a session that runs {@code crash} as the command CRASH, and the table's commands. */
    private void connect(boolean implicitTls, Command<SessionState> crash) throws IOException {
        Function<String, CommandTable.Row<?>> commands = name -> name.equals("CRASH")
                ? new CommandTable.Row<>("CRASH", SessionState.class, CommandTable.Sequences.NONE, List.of(), crash)
                : CommandTable.get(name);
        listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        client = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        client.setSoTimeout(10_000);
        Session session = new Session(1, listener.accept(), host, implicitTls, commands);
        thread = Thread.ofVirtual().start(session::run);
        in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
        out = client.getOutputStream();
    }

    private void connect() throws IOException {
        connect(false, (ctx, state, tag, args) -> {
        });
        assertTrue(in.readLine().startsWith("* OK "), "greeting");
    }

    private void send(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @AfterEach
    void close() throws Exception {
        client.close();
        listener.close();
        thread.join(5000);
    }

    private static int deeper(int n) {
        return deeper(n + 1) + 1;
    }

    @Test
    void aStackOverflowInACommandEndsTheSessionWithByeAndOneLogLine() throws Exception {
        try (LogCapture log = new LogCapture()) {
            connect(false, (ctx, state, tag, args) -> deeper(0));
            in.readLine();
            send("c1 CRASH");
            assertEquals("* BYE Internal error; the event is logged", in.readLine());
            assertNull(in.readLine(), "the connection is closed");
            thread.join(5000);
            List<String> why = log.lines("s1 ended by an internal error: java.lang.StackOverflowError");
            assertEquals(1, why.size(), log.lines().toString());
            assertTrue(why.get(0).contains(" ERROR "), why.get(0));
            assertTrue(log.lines("\tat ").isEmpty(), "no stack trace at INFO or above");
            assertEquals(1, log.lines("s1 disconnect").size());
            String end = log.lines("s1 disconnect").get(0);
            assertTrue(end.contains(" end=\"internal error: java.lang.StackOverflowError"), end);
            assertTrue(end.matches(".* s1 disconnect remote=127\\.0\\.0\\.1:\\d+ user=- tls=no commands=1 in=10 out=\\d+ seconds=\\d+ end=\".*\"$"),
                    "the session's fields as key=value: " + end);
        }
    }

    @Test
    void anOutOfMemoryErrorEndsTheSessionWithAByeThatSaysSo() throws Exception {
        try (LogCapture log = new LogCapture()) {
            connect(false, (ctx, state, tag, args) -> {
                throw new OutOfMemoryError("Java heap space");
            });
            in.readLine();
            send("c1 CRASH");
            assertEquals("* BYE Server out of memory; try again later", in.readLine());
            assertNull(in.readLine());
            thread.join(5000);
            assertEquals(1, log.lines("ended by an internal error: java.lang.OutOfMemoryError: Java heap space").size(),
                    log.lines().toString());
        }
    }

    @Test
    void tooManyBadAnswersInARowEndTheSession() throws IOException {
        host.configure(Map.of("max.bad.commands", 3));
        connect();
        send("a LOGIN ann pw");
        assertTrue(in.readLine().startsWith("a OK "));
        send("b1 FROB");
        assertEquals("b1 BAD Unknown command FROB", in.readLine());
        send("b2 FETCH 1 FLAGS");
        assertEquals("b2 BAD FETCH is not valid without a selected mailbox", in.readLine());
        send("n NOOP");
        assertEquals("n OK NOOP completed", in.readLine(), "a command that is not BAD starts the count again");
        send("c1 FROB");
        send("c2 )))");
        send("c3 LOGIN x y");
        assertEquals("c1 BAD Unknown command FROB", in.readLine());
        assertTrue(in.readLine().startsWith("c2 BAD "));
        assertEquals("c3 BAD LOGIN is not valid after login", in.readLine());
        assertEquals("* BYE Too many invalid commands", in.readLine());
        assertNull(in.readLine(), "the connection is closed");
    }

    @Test
    void badAnswersBeforeLoginCountToo() throws IOException {
        host.configure(Map.of("max.bad.commands", 2, "prelogin.rate", 0));
        connect();
        send("a FROB");
        send("b SELECT INBOX");
        assertEquals("a BAD Unknown command FROB", in.readLine());
        assertEquals("b BAD SELECT is not valid before login", in.readLine());
        assertEquals("* BYE Too many invalid commands", in.readLine());
        assertNull(in.readLine());
    }

    @Test
    void anImapsClientThatNeverStartsTlsIsClosedWithNothingSentInTheClear(@TempDir Path dir) throws Exception {
        TlsFiles.generateSelfSigned(dir.resolve("cert.pem"), dir.resolve("key.pem"), "localhost");
        host.tls(TlsFiles.context(dir.resolve("cert.pem"), dir.resolve("key.pem"))).configure(Map.of("login.timeout", 1));
        connect(true, (ctx, state, tag, args) -> {
        });
        InputStream raw = client.getInputStream();
        long t0 = System.nanoTime();
        assertEquals(-1, raw.read(), "closed at the login timeout without a byte in the clear");
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L);
    }

    @Test
    void aStarttlsClientThatNeverHandshakesGetsNoByeInTheClear(@TempDir Path dir) throws Exception {
        TlsFiles.generateSelfSigned(dir.resolve("cert.pem"), dir.resolve("key.pem"), "localhost");
        host.tls(TlsFiles.context(dir.resolve("cert.pem"), dir.resolve("key.pem"))).configure(Map.of("login.timeout", 1));
        connect();
        send("s STARTTLS");
        assertEquals("s OK Begin TLS negotiation now", in.readLine());
        assertNull(in.readLine(), "closed at the login timeout; the client expects a handshake, not BYE");
    }
}
