package posthorn.imap.server.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import posthorn.imap.server.internal.command.CommandTable;
import posthorn.imap.server.internal.state.ScriptedMailbox;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * The session's state machine over a real socket: which commands are valid in which state (the BAD
 * text clients have always seen, and what it says is wrong), and the moves LOGIN, SELECT/EXAMINE,
 * CLOSE, UNSELECT and LOGOUT.
 * The store is a stand-in that opens INBOX only.
 */
class SessionStateMachineTest {
    private final List<ScriptedMailbox> opened = new ArrayList<>();
    private boolean mailClosed;
    private ServerSocket listener;
    private Session session;
    private Thread thread;
    private Socket client;
    private BufferedReader in;
    private OutputStream out;
    private int tags;

    private final UserMail mail = (UserMail) Proxy.newProxyInstance(UserMail.class.getClassLoader(),
            new Class<?>[] {UserMail.class}, (proxy, m, args) -> switch (m.getName()) {
                case "open" -> {
                    if (!args[0].equals("INBOX")) {
                        throw new StoreException(StoreException.Reason.NONEXISTENT, "No mailbox " + args[0]);
                    }
                    ScriptedMailbox box = new ScriptedMailbox("INBOX", (Boolean) args[1])
                            .holding(ScriptedMailbox.message(1, true), ScriptedMailbox.message(2, false));
                    opened.add(box);
                    yield box;
                }
                case "separator" -> '.';
                case "close" -> {
                    mailClosed = true;
                    yield null;
                }
                case "toString" -> "mail";
                default -> throw new UnsupportedOperationException(m.getName());
            });

    @BeforeEach
    void connect() throws IOException {
        // No pre-login rate limit and no limit of BADs in a row: the table tests send many invalid commands.
        TestHost host = new TestHost(mail).configure(Map.of("prelogin.rate", 0, "max.bad.commands", 0));
        listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        client = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        client.setSoTimeout(10_000);
        Socket accepted = listener.accept();
        session = new Session(1, accepted, host, false);
        thread = Thread.ofVirtual().start(session::run);
        in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
        out = client.getOutputStream();
        assertTrue(in.readLine().startsWith("* OK [CAPABILITY IMAP4rev1 "), "greeting");
    }

    @AfterEach
    void close() throws Exception {
        client.close();
        listener.close();
        thread.join(5000);
    }

    /** Sends a command and returns every line up to and including its tagged answer. */
    private List<String> send(String command) throws IOException {
        String tag = "t" + ++tags;
        out.write((tag + " " + command + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = in.readLine();
            assertNotNull(line, "connection closed after " + lines);
            lines.add(line.startsWith(tag + " ") ? line.substring(tag.length() + 1) : line);
            if (line.startsWith(tag + " ")) {
                return lines;
            }
        }
    }

    /** The tagged answer to a command, without the tag. */
    private String answer(String command) throws IOException {
        List<String> lines = send(command);
        return lines.get(lines.size() - 1);
    }

    /**
     * Every command not valid in {@code state} is answered BAD, naming what is wrong: the state, as
     * before, or being logged in for the commands of the not authenticated state (RFC 3501 6.2).
     */
    private void invalidCommandsAreBad(SessionState state, String hint) throws IOException {
        int checked = 0;
        for (CommandTable.Row<?> row : CommandTable.rows()) {
            if (!row.validIn(state)) {
                boolean beforeLoginOnly = row.state() == SessionState.NotAuthenticated.class;
                assertEquals("BAD " + row.name() + " is not valid " + (beforeLoginOnly ? "after login" : hint),
                        answer(row.name()));
                checked++;
            }
        }
        assertTrue(checked > 0);
    }

    @Test
    void beforeLoginOnlyTheNotAuthenticatedAndAnyStateCommandsRun() throws IOException {
        invalidCommandsAreBad(new SessionState.NotAuthenticated(), "before login");
        assertEquals("BAD SELECT is not valid before login", answer("SELECT INBOX"));
        assertEquals("BAD UID FETCH is not valid before login", answer("UID FETCH 1 FLAGS"));
        assertEquals("BAD Unknown command FROB", answer("FROB"));
        assertEquals("OK NOOP completed", answer("NOOP"));
        assertInstanceOf(SessionState.NotAuthenticated.class, session.state());
    }

    @Test
    void afterLoginTheAuthenticatedCommandsRunAndTheSelectedOnesDoNot() throws IOException {
        assertTrue(answer("LOGIN ann pw").startsWith("OK [CAPABILITY IMAP4rev1 "));
        assertInstanceOf(SessionState.Authenticated.class, session.state());
        invalidCommandsAreBad(new SessionState.Authenticated(null, null), "without a selected mailbox");
        assertEquals("BAD LOGIN is not valid after login", answer("LOGIN ann pw"));
        assertEquals("BAD FETCH is not valid without a selected mailbox", answer("FETCH 1 FLAGS"));
    }

    @Test
    void withAMailboxSelectedTheSelectedCommandsRunAndEnableDoesNot() throws IOException {
        answer("LOGIN ann pw");
        assertEquals("OK [READ-WRITE] SELECT completed", answer("SELECT INBOX"));
        assertInstanceOf(SessionState.Selected.class, session.state());
        invalidCommandsAreBad(new SessionState.Selected(null, null, null), "with a mailbox selected");
        assertEquals("BAD ENABLE is not valid with a mailbox selected", answer("ENABLE IMAP4rev2"),
                "RFC 5161 3.1");
        assertEquals("BAD AUTHENTICATE is not valid after login", answer("AUTHENTICATE PLAIN"));
        assertEquals("OK CHECK completed", answer("CHECK"));
        assertEquals("OK NOOP completed", answer("NOOP"));
    }

    @Test
    void starttlsAfterLoginIsBadForBeingLoggedIn() throws IOException {
        answer("LOGIN ann pw");
        assertEquals("BAD STARTTLS is not valid after login", answer("STARTTLS"), "RFC 3501 6.2.1");
        answer("SELECT INBOX");
        assertEquals("BAD STARTTLS is not valid after login", answer("STARTTLS"),
                "not \"with a mailbox selected\": unselecting would not make it valid");
    }

    @Test
    void selectCloseExamineUnselectAndLogoutMoveTheState() throws IOException {
        answer("LOGIN ann pw");
        List<String> select = send("SELECT INBOX");
        assertTrue(select.contains("* 2 EXISTS"), select.toString());
        assertTrue(select.contains("* 1 RECENT"), select.toString());
        assertEquals("OK [READ-WRITE] SELECT completed", select.get(select.size() - 1));

        assertEquals("OK CLOSE completed", answer("CLOSE"));
        assertInstanceOf(SessionState.Authenticated.class, session.state());
        assertTrue(opened.get(0).closed, "CLOSE closes the mailbox");
        assertEquals("BAD CLOSE is not valid without a selected mailbox", answer("CLOSE"));

        assertEquals("OK [READ-ONLY] EXAMINE completed", answer("EXAMINE INBOX"));
        assertEquals("OK [READ-WRITE] SELECT completed", answer("SELECT INBOX"), "SELECT from Selected");
        assertTrue(opened.get(1).closed, "the mailbox selected before is closed");
        assertInstanceOf(SessionState.Selected.class, session.state());

        assertEquals("OK UNSELECT completed", answer("UNSELECT"));
        assertInstanceOf(SessionState.Authenticated.class, session.state());
        assertTrue(opened.get(2).closed);
        assertFalse(mailClosed, "the user's mail stays open while logged in");

        assertEquals("OK [READ-WRITE] SELECT completed", answer("SELECT INBOX"));
        List<String> logout = send("LOGOUT");
        assertEquals(List.of("* BYE Logging out", "OK LOGOUT completed"), logout);
        assertNull(in.readLine(), "the connection is closed");
        assertInstanceOf(SessionState.Logout.class, session.state());
        assertTrue(opened.get(3).closed);
        assertTrue(mailClosed, "LOGOUT closes the user's mail");
    }

    @Test
    void aSelectThatFailsLeavesTheSessionAuthenticated() throws IOException {
        answer("LOGIN ann pw");
        answer("SELECT INBOX");
        assertEquals("NO [NONEXISTENT] No mailbox Nowhere", answer("SELECT Nowhere"));
        assertInstanceOf(SessionState.Authenticated.class, session.state(), "RFC 3501 6.3.1");
        assertTrue(opened.get(0).closed);
        assertEquals("NO [NONEXISTENT] No mailbox Nowhere", answer("EXAMINE Nowhere"));
        assertInstanceOf(SessionState.Authenticated.class, session.state());
    }

    @Test
    void aFailedLoginStaysNotAuthenticatedAndTooManyEndTheSession() throws IOException {
        assertEquals("NO [AUTHENTICATIONFAILED] Authentication failed", answer("LOGIN ann wrong"));
        assertInstanceOf(SessionState.NotAuthenticated.class, session.state());
        assertEquals("NO [AUTHENTICATIONFAILED] Authentication failed", answer("LOGIN bob pw"));
        List<String> last = send("LOGIN ann \"\"");
        assertEquals("NO [AUTHENTICATIONFAILED] Authentication failed", last.get(last.size() - 1));
        assertEquals("* BYE Too many failed logins", in.readLine());
        assertNull(in.readLine());
    }
}
