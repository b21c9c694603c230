package posthorn.imap.server.internal;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.api.UserRecord;
import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.CommandReceiver;
import posthorn.imap.protocol.CommandReceiver.Event;
import posthorn.imap.protocol.ParserLimits;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.command.Command;
import posthorn.imap.server.internal.command.CommandTable;
import posthorn.imap.server.internal.sasl.Mechanisms;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * One client connection: reads commands, runs them through the command table, and writes the
 * responses. Runs on its own virtual thread; blocking reads and writes are the design.
 *
 * <p>Errors become responses in one place, {@link #dispatch}: malformed input BAD, impossible
 * requests NO with a response code, a bug NO [SERVERBUG] with a log line; none ends the session.
 * Only I/O failure, a timeout, LOGOUT, too many failed logins or server shutdown do.
 */
public final class Session {
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);

    private final long id;
    private final Socket socket;
    private final ImapServer server;
    private final String peer;
    private final Instant since = Instant.now();
    /** Held while a command runs and while BYE is written on shutdown, so responses never interleave. */
    private final ReentrantLock writing = new ReentrantLock();
    private final byte[] readBuffer = new byte[16 * 1024];
    private ByteBuffer pending = ByteBuffer.allocate(0);

    private InputStream in;
    private CountingOutputStream counter;
    private ResponseWriter out;
    private CommandReceiver receiver;
    private volatile SessionState state = new SessionState.NotAuthenticated();
    private volatile boolean closing;
    /** The logged-in user's name, kept past logout for the last log line and the admin console. */
    private volatile String user = "-";
    private long bytesIn;
    private int badLogins;
    private Command current;

    Session(long id, Socket socket, ImapServer server) {
        this.id = id;
        this.socket = socket;
        this.server = server;
        this.peer = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
    }

    void run() {
        String end = "closed by client";
        try {
            ImapdConfig c = server.config();
            socket.setSoTimeout(c.login_timeout() * 1000);
            socket.setTcpNoDelay(true);
            in = socket.getInputStream();
            counter = new CountingOutputStream(socket.getOutputStream());
            out = new ResponseWriter(counter);
            receiver = new CommandReceiver(new ParserLimits(c.line_max(), c.literal_max(), c.nesting_max()));
            LOG.info("s{} connect from {}", id, peer);
            out.status(null, Status.OK, "CAPABILITY " + capabilities(), "Posthorn IMAP4rev1 server ready");
            out.flush();
            while (!(state instanceof SessionState.Logout) && !closing) {
                Event event = next();
                writing.lock();
                try {
                    if (closing) {
                        break;
                    }
                    handle(event);
                    out.flush();
                } finally {
                    writing.unlock();
                }
            }
            end = closing ? "shut down" : "logout";
        } catch (SocketTimeoutException e) {
            end = "autologout";
            bye("Autologout; idle for too long");
        } catch (EOFException e) {
            end = "closed by client";
        } catch (SocketException e) {
            end = closing ? "shut down" : "connection lost: " + e.getMessage();
        } catch (IOException e) {
            end = "I/O error: " + e.getMessage();
        } catch (SelectedMailbox.UidValidityChangedException e) {
            end = e.getMessage();
            LOG.warn("s{} {}", id, e.getMessage());
            bye(e.getMessage());
        } catch (RuntimeException e) {
            end = "internal error: " + e;
            LOG.error("s{} internal error; session closed", id, e);
            bye("Internal error; the event is logged");
        } finally {
            release();
            try {
                socket.close();
            } catch (IOException e) {
                // already gone
            }
            LOG.info("s{} disconnect {} user={} ({}), in={} out={}", id, peer, user, end, bytesIn,
                    counter == null ? 0 : counter.count());
        }
    }

    private void handle(Event event) throws IOException {
        switch (event) {
            case Event.LiteralAnnounced l -> {
                if (!l.nonSynchronizing()) {
                    out.continuation("Ready for literal data");
                }
            }
            case Event.Line line -> dispatch(line.bytes());
            case Event.TooLarge t -> {
                LOG.warn("s{} refused input: {}", id, t.reason());
                if (t.fatal()) {
                    bye(t.reason());
                    state = new SessionState.Logout();
                } else {
                    // The receiver reports a malformed literal announcement the same way; that is
                    // plain bad syntax, not a size the server refuses.
                    String code = t.reason().startsWith("Invalid literal") ? null : "TOOBIG";
                    out.status(t.tag(), Status.BAD, code, t.reason());
                }
            }
            case Event.NeedMore n -> throw new IllegalStateException("receiver returned NeedMore with input left");
        }
    }

    /** Parses the tag and command name, checks the state, runs the command, maps errors. */
    private void dispatch(byte[] line) throws IOException {
        ArgReader args = new ArgReader(line);
        String tag;
        try {
            tag = args.tag();
        } catch (ProtocolException e) {
            LOG.info("s{} BAD untagged line: {}", id, e.getMessage());
            out.status(null, Status.BAD, null, "Missing or invalid tag");
            return;
        }
        String name = null;
        try {
            args.sp();
            name = args.atom().toUpperCase(Locale.ROOT);
            if (name.equals("UID")) {
                args.sp();
                name = "UID " + args.atom().toUpperCase(Locale.ROOT);
            }
            Command command = CommandTable.get(name);
            if (command == null) {
                LOG.info("s{} BAD unknown command {}", id, AuthChain.printable(name));
                out.status(tag, Status.BAD, null, "Unknown command " + AuthChain.printable(name));
                return;
            }
            if (!command.states().contains(state.kind())) {
                LOG.info("s{} BAD {} in state {}", id, name, state.kind());
                out.status(tag, Status.BAD, null, name + " is not valid " + stateHint());
                return;
            }
            current = command;
            command.execute(this, tag, args);
        } catch (ProtocolException e) {
            LOG.info("s{} BAD {}: {}", id, name, e.getMessage());
            out.status(tag, Status.BAD, e.code(), e.getMessage());
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.SERVERBUG) {
                LOG.error("s{} {} failed: {}", id, name, e.getMessage(), e);
            } else {
                LOG.info("s{} NO {}: [{}] {}", id, name, e.reason(), e.getMessage());
            }
            out.status(tag, Status.NO, e.reason().name(), e.getMessage());
        } catch (SelectedMailbox.UidValidityChangedException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.error("s{} {} failed with an internal error", id, name, e);
            out.status(tag, Status.NO, "SERVERBUG", "Internal error; the event is logged");
        } finally {
            current = null;
        }
    }

    private String stateHint() {
        return switch (state.kind()) {
            case NOT_AUTHENTICATED -> "before login";
            case AUTHENTICATED -> "without a selected mailbox";
            case SELECTED -> "with a mailbox selected";
        };
    }

    /**
     * Completes a command: reports store changes first (EXPUNGE only if the running command allows
     * it), then the tagged OK.
     */
    public void ok(String tag, String code, String text) throws IOException, StoreException {
        if (state instanceof SessionState.Selected s) {
            boolean allowExpunge = current == null || current.sequences() == Command.Sequences.NONE;
            s.mailbox().sync(out, allowExpunge);
        }
        out.status(tag, Status.OK, code, text);
    }

    /** Reads the next event, reading from the socket as needed. */
    public Event next() throws IOException {
        while (true) {
            if (pending.hasRemaining()) {
                Event e = receiver.receive(pending);
                if (!(e instanceof Event.NeedMore)) {
                    return e;
                }
            }
            int n = in.read(readBuffer);
            if (n < 0) {
                throw new EOFException();
            }
            bytesIn += n;
            pending = ByteBuffer.wrap(readBuffer, 0, n);
        }
    }

    /**
     * Reads one line of a continuation exchange (AUTHENTICATE), as text. A literal there is a
     * protocol error.
     */
    public String readContinuationLine() throws IOException, ProtocolException {
        out.flush();
        Event e = next();
        if (e instanceof Event.Line line) {
            return new String(line.bytes(), StandardCharsets.US_ASCII);
        }
        if (e instanceof Event.LiteralAnnounced) {
            receiver.rejectLiteral();
        }
        throw new ProtocolException("Expected a line of base64");
    }

    /**
     * Logs the user in: opens their mail and moves to the authenticated state, answering the command
     * either way. A user whose mail cannot be opened (a missing Maildir) gets NO [UNAVAILABLE].
     */
    public void login(String tag, UserRecord user, String how) throws IOException {
        String name = AuthChain.printable(user.name());
        UserMail mail;
        try {
            mail = server.store().open(new StoreUser(user.name(), user.home(), user.maildir(), user.quota()));
        } catch (StoreException e) {
            LOG.warn("s{} login user={} via {}: mail not available: [{}] {}", id, name, how, e.reason(),
                    e.getMessage());
            out.status(tag, Status.NO, "UNAVAILABLE", "Your mail is not available now; the event is logged");
            return;
        }
        state = new SessionState.Authenticated(user, mail);
        this.user = user.name();
        socket.setSoTimeout(server.config().idle_timeout() * 1000);
        LOG.info("s{} login user={} via {} from {}", id, name, how, peer);
        out.status(tag, Status.OK, "CAPABILITY " + capabilities(), "Logged in");
    }

    /** Counts a failed login; after too many, says BYE and ends the session. */
    public void loginFailed(String tag, String code, String text) throws IOException {
        badLogins++;
        out.status(tag, Status.NO, code, text);
        if (badLogins >= server.config().max_bad_logins()) {
            LOG.warn("s{} {} failed logins from {}; disconnecting", id, badLogins, peer);
            bye("Too many failed logins");
            state = new SessionState.Logout();
        }
    }

    /** Whether a password may be sent in the clear on this connection. */
    public boolean plaintextAllowed() {
        return socket.getInetAddress().isLoopbackAddress() || server.config().allow_plaintext();
    }

    /** The capabilities to announce now (RFC 3501 7.2.1), depending on the state. */
    public String capabilities() {
        StringBuilder b = new StringBuilder("IMAP4rev1 LITERAL+ SASL-IR");
        b.append(" ESEARCH SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES");
        if (state instanceof SessionState.NotAuthenticated) {
            boolean plaintext = plaintextAllowed();
            for (String m : server.mechanisms().offered(server.auth(), plaintext)) {
                b.append(" AUTH=").append(m);
            }
            if (!plaintext) {
                b.append(" LOGINDISABLED");
            }
        }
        return b.toString();
    }

    /** Ends the session from another thread (kick, shutdown): BYE, then close. */
    public void shutdown(String reason) {
        closing = true;
        try {
            if (writing.tryLock(2, TimeUnit.SECONDS)) {
                try {
                    bye(reason);
                } finally {
                    writing.unlock();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            socket.close();
        } catch (IOException e) {
            // gone already
        }
    }

    private void bye(String text) {
        if (out == null) {
            return;
        }
        try {
            out.status(null, Status.BYE, null, text);
            out.flush();
        } catch (IOException e) {
            // the client is gone; nothing more to tell it
        }
    }

    /** Closes what the session holds and ends it after the current response. */
    public void logout() {
        release();
    }

    /** Closes what the state owns. */
    private void release() {
        SessionState s = state;
        state = new SessionState.Logout();
        try {
            switch (s) {
                case SessionState.Selected sel -> {
                    sel.mailbox().close();
                    sel.mail().close();
                }
                case SessionState.Authenticated a -> a.mail().close();
                default -> {
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("s{} closing mail failed: {}", id, e.toString());
        }
    }

    /** Whether the client enabled IMAP4rev2 (RFC 9051). Stub until the session work lands: never. */
    public boolean rev2() {
        return false;
    }

    public SessionState state() {
        return state;
    }

    public void state(SessionState newState) {
        this.state = newState;
    }

    public ResponseWriter out() {
        return out;
    }

    public Mechanisms mechanisms() {
        return server.mechanisms();
    }

    /** The server's name for SASL mechanisms (CRAM-MD5's challenge, SCRAM): the configured hostname. */
    public String serverName() {
        String h = server.config().hostname();
        return h.isBlank() ? "localhost" : h;
    }

    public AuthChain auth() {
        return server.auth();
    }

    public long id() {
        return id;
    }

    public String peer() {
        return peer;
    }

    public Instant since() {
        return since;
    }

    public String userName() {
        return user;
    }

    public Logger log() {
        return LOG;
    }
}
