package posthorn.imap.server.internal.session;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.LongPredicate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.api.UserRecord;
import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.CommandReceiver;
import posthorn.imap.protocol.CommandReceiver.Event;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.admin.SessionInfo;
import posthorn.imap.server.internal.auth.AuthChain;
import posthorn.imap.server.internal.auth.LoginFlow;
import posthorn.imap.server.internal.acl.SharedMail;
import posthorn.store.api.search.TextIndex;
import posthorn.store.api.search.TextTerm;
import posthorn.imap.server.internal.command.Capabilities;
import posthorn.imap.server.internal.command.MetadataCommands;
import posthorn.imap.server.internal.command.QuotaCommands;
import posthorn.imap.server.internal.command.CommandContext;
import posthorn.imap.server.internal.command.CommandTable;
import posthorn.imap.server.internal.command.ClientNames;
import posthorn.imap.server.internal.command.MailboxNameCodec;
import posthorn.imap.server.internal.command.NotifySession;
import posthorn.imap.server.internal.command.PersonalNamespace;
import posthorn.imap.server.internal.command.UrlSettings;
import posthorn.imap.server.internal.urlauth.UrlAuthKeys;
import posthorn.imap.server.internal.mime.MimeLimits;
import posthorn.imap.server.internal.net.AccessRule;
import posthorn.imap.server.internal.net.CountingOutputStream;
import posthorn.imap.server.internal.net.ImapdConfig;
import posthorn.imap.server.internal.net.LogLimiter;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.imap.server.internal.stats.ServerCounters;
import posthorn.store.api.MailStore;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;
import posthorn.store.api.Watch;

/**
 * One client connection: reads commands, runs them through the command table, and writes the
 * responses; it keeps the connection's I/O (TLS, literals, IDLE), the state machine and the dispatch.
 * Commands see it only as a {@link CommandContext}, and are handed the state they are declared for.
 * Runs on its own virtual thread; blocking reads and writes are the design.
 *
 * <p>Errors become responses in one place, {@link #dispatch}: malformed input BAD, impossible
 * requests NO with a response code, a bug NO [SERVERBUG] with a log line; none ends the session.
 * Only I/O failure, a timeout, LOGOUT, too many failed logins, too many BADs in a row
 * (max.bad.commands), server shutdown, or an Error (a stack overflow, memory exhausted) do; whatever
 * the server ends gets BYE with the reason, where the connection can carry it, and one log line.
 * Lines a client can repeat at will (BADs, refusals) pass the server's {@link LogLimiter}.
 *
 * <p>Threading: the session's thread reads and runs commands; {@link #writing} is held while a
 * command runs. IDLE releases it while it waits for input, so that a store's change notice can sync
 * and write on a thread of its own ({@link #idleSync}); shutdown and kick take it to write BYE. The
 * server's watchdog reads the output's progress ({@link #checkWrite}) and closes the socket of a
 * client that stopped reading.
 */
public final class Session {
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);

    /** How often IDLE looks for changes when the store cannot notify. */
    private static final long IDLE_POLL_MILLIS = 5000;
    /** Bytes of {@link #waitBuffer} and {@link #burstBuffer}. */
    private static final int WAIT_READ = 512;
    private static final int BURST_READ = 16 * 1024;
    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0).asReadOnlyBuffer();

    private final long id;
    /** The TCP connection or standard input and output; closing it ends every read and write, also through TLS. */
    private final Connection raw;
    /** The TLS socket layered on the connection's socket, once TLS is negotiated; null before. */
    private volatile SSLSocket tlsSocket;
    /** IMAPS: TLS from the first byte. */
    private final boolean implicitTls;
    private final Host server;
    private final String peer;
    private final Instant since = Instant.now();
    /** Held while a command runs and while BYE is written on shutdown, so responses never interleave. */
    private final ReentrantLock writing = new ReentrantLock();
    /**
     * What a read that may wait reads into (between commands, in IDLE): small, since a session spends
     * most of its life there and 100,000 idle sessions must not hold a big buffer each. It holds a
     * typical command line; more input waiting makes the next read use {@link #burstBuffer}.
     */
    private final byte[] waitBuffer = new byte[WAIT_READ];
    /**
     * What reads use while input keeps coming (pipelined commands, a literal): taken when a read finds
     * bytes waiting, dropped when the next read would wait, so no session holds it between commands.
     */
    private byte[] burstBuffer;
    private ByteBuffer pending = NOTHING;

    private InputStream in;
    private CountingOutputStream counter;
    private ResponseWriter out;
    private CommandReceiver receiver;
    private volatile SessionState state = new SessionState.NotAuthenticated();
    private volatile boolean closing;
    /** The logged-in user's name, kept past logout for the last log line and the admin console. */
    private volatile String user = "-";
    /**
     * IMAP bytes read (inflated ones under COMPRESS); written by the session's thread, read by the
     * admin console. What crossed the connection is {@link #wireIn}.
     */
    private volatile long bytesIn;
    /** Command lines dispatched; the same. */
    private volatile long commandCount;
    /**
     * Set by {@link #kick}: the text of the BYE the session ends with at its next command boundary
     * (or at once, when the kick finds it between commands).
     */
    private volatile String kickReason;
    /** The session ended because of a kick (its BYE was written). */
    private volatile boolean kicked;
    /**
     * A command is being received: a literal of it was accepted and its line has not ended. A kick
     * waits for such a command to be run and answered. Changed under {@link #writing}.
     */
    private boolean midCommand;
    /** In IDLE (RFC 2177), waiting for DONE, with or without a mailbox selected. */
    private volatile boolean inIdle;
    private final LoginFlow login;
    /** The command running now, or null. */
    private CommandTable.Row<?> current;
    /** System.nanoTime() by which the client must have logged in (login.timeout). */
    private final long loginDeadline;
    /** Pre-login rate limit: start of the current one-second window and commands in it. */
    private long rateWindow;
    private int rateCount;
    /** What commands and the login flow see of this session. */
    private final Context context = new Context();
    /** Extensions turned on by ENABLE (RFC 5161), upper case. Session thread only. */
    private final Set<String> enabled = new HashSet<>();
    /** The commands that take message sequence numbers, refused BAD [UIDREQUIRED] after ENABLE UIDONLY (RFC 9586 3). */
    private static final Set<String> UIDONLY_REFUSED =
            Set.of("FETCH", "STORE", "COPY", "MOVE", "SEARCH", "SORT", "THREAD", "REPLACE");
    /** The personal namespace, fixed at the session's first use of a mailbox name. */
    private PersonalNamespace namespace;
    /** In IDLE with a mailbox selected: change notices sync at once. Changed under {@link #writing}. */
    private volatile boolean idling;
    private final AtomicBoolean idleSyncQueued = new AtomicBoolean();
    /**
     * NOTIFY SET in force (RFC 5465), or null: no notifications beyond RFC 3501's. Changed under
     * {@link #writing}; its deliveries run under it too ({@link #notifyDeliver}).
     */
    private NotifySession notify;
    private final AtomicBoolean notifyQueued = new AtomicBoolean();
    /** The running command's tag and when it started or last reported progress (INPROGRESS, RFC 9585). */
    private String currentTag;
    private long progressAt;
    /** The watchdog closed the connection because a write did not finish in time. */
    private volatile boolean writeTimedOut;
    /**
     * TLS is due but not yet negotiated (IMAPS before its handshake, STARTTLS after its OK): nothing
     * may be written in the clear, not even BYE (the client expects a handshake).
     */
    private volatile boolean tlsPending;
    /** The tag of the LOGIN a login program read before this session started (IMAPLOGINTAG), or null. */
    private String loginTag;
    /** Why the server ended the session with BYE while it ran (not LOGOUT, not a shutdown); null if it did not. */
    private String byeReason;
    /** BAD answers since the last command that was not answered BAD (max.bad.commands). */
    private int badInARow;
    /** The commands by name: the command table, or a test's. */
    private final Function<String, CommandTable.Row<?>> commands;
    /** Where the literals of the command being received go: memory, an upload, or refused. */
    private final LiteralIntake literals;
    /** The access rule that admitted this client (its settings apply to it), or null for none. */
    private final AccessRule rule;
    /** No line other than empty ones came yet: the one a stray PROXY header would be (session thread only). */
    private boolean firstLine = true;
    /**
     * COMPRESS=DEFLATE (RFC 4978) is on: the input is inflated through this; null before. Set once by
     * the session's thread; read by the admin console for the byte counts.
     */
    private volatile Compression.Inflating inflating;
    /** The compressing side of COMPRESS, between {@link #counter} and the connection; null before. */
    private Compression.Deflating deflating;
    /**
     * Under COMPRESS: counts the compressed bytes between {@link #deflating} and the connection (or
     * TLS), while {@link #counter} goes on counting the IMAP bytes the session writes. Null before.
     */
    private volatile CountingOutputStream wireCounter;
    /** {@link #bytesIn} and the counter's count when COMPRESS began: bytes before it crossed as they are. */
    private volatile long inBeforeCompress;
    private volatile long outBeforeCompress;
    /**
     * Inflated bytes the receiver took since its last event, while COMPRESS is on: a few KB of
     * compressed data can expand to gigabytes, which the receiver would skip as one over-long line
     * without buffering it but forever; past {@link #inflatedWithoutEvent} the session ends.
     */
    private long sinceEvent;

    /** What a session needs of the server it runs in. Thread-safe. */
    public interface Host {
        /** The current imapd.cfg; it may change between two reads. */
        ImapdConfig config();

        /** The TLS context, or null when TLS is not set up. */
        SSLContext tls();

        LoginFlow.Services logins();

        /** The server's version, for ID. */
        String version();

        /** What keeps lines a client can repeat at will from flooding the log. */
        LogLimiter repeats();

        /**
         * What all sessions together may hold in memory for literals (buffer.budget); the server keeps
         * one for all its sessions. A host without one (a test's) leaves each session its share alone.
         */
        default LiteralBudget literalBudget() {
            return new LiteralBudget(() -> Long.MAX_VALUE);
        }

        /** Where the session counts its commands and, when it ends, its bytes (the admin console's stats). */
        default ServerCounters counters() {
            return UNCOUNTED;
        }

        /** The bound full-text index, or null while none is (then SEARCH reads every message). */
        default TextIndex textIndex() {
            return null;
        }

        /** The URLAUTH keys (RFC 4467); a host without a state directory keeps them in the process's memory. */
        default UrlAuthKeys urlAuthKeys() {
            return UrlAuthKeys.PROCESS;
        }
    }

    /** The counters of a host that keeps none (a test's). */
    private static final ServerCounters UNCOUNTED = new ServerCounters();

    public Session(long id, Socket socket, Host server, boolean implicitTls) {
        this(id, new SocketConnection(socket), server, implicitTls, CommandTable::get, null);
    }

    /** A session for a client admitted by an access rule (null for none), whose settings apply to it. */
    public Session(long id, Socket socket, Host server, boolean implicitTls, AccessRule rule) {
        this(id, new SocketConnection(socket), server, implicitTls, CommandTable::get, rule);
    }

    /** A session on a connection the server admitted (a socket, maybe named by a proxy), under an access rule or null. */
    public Session(long id, Connection connection, Host server, boolean implicitTls, AccessRule rule) {
        this(id, connection, server, implicitTls, CommandTable::get, rule);
    }

    /** A session on any connection (standard input and output: see {@link #preauthenticated}). */
    public Session(long id, Connection connection, Host server) {
        this(id, connection, server, false, CommandTable::get, null);
    }

    /** A session that runs the given commands (tests). */
    Session(long id, Socket socket, Host server, boolean implicitTls, Function<String, CommandTable.Row<?>> commands) {
        this(id, new SocketConnection(socket), server, implicitTls, commands, null);
    }

    private Session(long id, Connection connection, Host server, boolean implicitTls,
            Function<String, CommandTable.Row<?>> commands, AccessRule rule) {
        this.rule = rule;
        this.commands = commands;
        this.id = id;
        this.raw = connection;
        this.server = server;
        this.implicitTls = implicitTls;
        this.peer = connection.peer();
        this.loginDeadline = System.nanoTime() + server.config().login_timeout() * 1_000_000_000L;
        this.login = new LoginFlow(server.logins(), context);
        this.literals = new LiteralIntake(server.literalBudget());
    }

    /**
     * Starts the session logged in already, as the user the process runs for ({@code posthorn imapd}:
     * the login happened before, in ssh or tcpserver's login program): the greeting is PREAUTH
     * (RFC 3501 7.1.4) and the session is in the authenticated state from the start. Call before
     * {@link #run}; the session closes {@code mail} when it ends.
     */
    public void preauthenticated(UserRecord record, UserMail mail) {
        preauthenticated(record, mail, null);
    }

    /**
     * As {@link #preauthenticated(UserRecord, UserMail)}, after a login program that answered the
     * greeting and read the client's LOGIN itself (Courier's imaplogin, mailfront's imapfront-auth)
     * and handed over that command's tag (IMAPLOGINTAG): the session's first words are then the
     * tagged OK that completes the LOGIN, not a greeting (as Courier's and Dovecot's imap do).
     *
     * @param loginTag the LOGIN command's tag, or null for the PREAUTH greeting
     */
    public void preauthenticated(UserRecord record, UserMail mail, String loginTag) {
        if (!(state instanceof SessionState.NotAuthenticated) || in != null) {
            throw new IllegalStateException("preauthenticated after the session started");
        }
        state = new SessionState.Authenticated(record, mail);
        user = record.name();
        this.loginTag = loginTag;
    }

    /**
     * Runs the session to its end on the calling thread; returns how it ended (the reason in the
     * session's last log line: "logout", "closed by client", "autologout", ...).
     */
    public String run() {
        String end = "closed by client";
        // Whether the server ends the connection (LOGOUT, a BYE) while the client may still be sending.
        boolean serverEnds = false;
        try {
            ImapdConfig c = server.config();
            boolean preauth = state instanceof SessionState.Authenticated;
            raw.readTimeout((preauth ? c.idle_timeout() : c.login_timeout()) * 1000);
            in = raw.input();
            counter = new CountingOutputStream(raw.output());
            out = new ResponseWriter(counter);
            receiver = newReceiver(c);
            if (preauth) {
                LOG.info("s{} preauth user={} on {}", id, user, peer);
                if (loginTag == null) {
                    out.status(null, Status.PREAUTH, "CAPABILITY " + capabilities(), "Posthorn IMAP4rev1 server ready; logged in as " + user);
                } else {
                    out.status(loginTag, Status.OK, "CAPABILITY " + capabilities(), "LOGIN completed");
                }
            } else {
                if (raw.via() == null) {
                    LOG.info("s{} connect remote={} port={}", id, peer, implicitTls ? "imaps" : "imap");
                } else {
                    LOG.info("s{} connect remote={} port={} proxy={}", id, peer, implicitTls ? "imaps" : "imap", raw.via());
                }
                if (implicitTls) {
                    tlsPending = true;
                    SSLContext tls = server.tls();
                    if (tls == null) {
                        throw new SSLException("TLS is not set up");
                    }
                    handshake(tls);
                }
                out.status(null, Status.OK, "CAPABILITY " + capabilities(), "Posthorn IMAP4rev1 server ready");
            }
            out.flush();
            while (!(state instanceof SessionState.Logout) && !closing) {
                Event event = next();
                writing.lock();
                try {
                    if (closing) {
                        break;
                    }
                    handle(event);
                    if (notify != null && !midCommand && notify.pending()) {
                        notifyDeliverLocked(); // changes noticed while the command ran (RFC 5465)
                    }
                    if (kickReason != null && !midCommand && !(state instanceof SessionState.Logout)) {
                        // kicked while a command ran: it has been answered, now the session ends
                        kicked = true;
                        bye(kickReason);
                        out.flush();
                        break;
                    }
                    // Pipelining (RFC 3501 5.5): commands the client has already sent run before the
                    // responses go out, so a batch of commands costs one write, not one per command.
                    // next() flushes before it waits for input, so nothing is held back while the
                    // client waits.
                    if (!pending.hasRemaining()) {
                        out.flush();
                    }
                } finally {
                    writing.unlock();
                }
            }
            end = closing ? "shut down" : byeReason != null ? "ended: " + byeReason : "logout";
            serverEnds = !closing;
        } catch (SocketTimeoutException e) {
            if (writeTimedOut) {
                end = "write timeout";
            } else if (tlsPending) {
                end = "login timeout (no TLS handshake)"; // nothing in the clear where TLS is due
            } else if (state instanceof SessionState.NotAuthenticated) {
                end = "login timeout";
                serverEnds = true;
                bye("Autologout; no login in time");
            } else {
                end = "autologout";
                serverEnds = true;
                bye("Autologout; idle for too long");
            }
        } catch (Compression.InvalidData e) {
            end = "compressed input refused: " + e.getMessage();
            serverEnds = true;
            if (logAllowed("refused compressed input")) {
                LOG.warn("s{} event=compress.refused remote={} compressed={} inflated={} reason=\"{}\"", id, peer,
                        inflating.compressedIn(), inflating.inflatedOut(), e.getMessage());
            }
            bye("Invalid or oversized compressed data");
        } catch (EOFException e) {
            end = writeTimedOut ? "write timeout" : "closed by client";
        } catch (SSLException e) {
            end = writeTimedOut ? "write timeout" : "TLS failed: " + e.getMessage();
        } catch (SocketException e) {
            end = writeTimedOut ? "write timeout" : closing ? "shut down" : "connection lost: " + e.getMessage();
        } catch (IOException e) {
            end = writeTimedOut ? "write timeout" : "I/O error: " + e.getMessage();
        } catch (SelectedMailbox.UidValidityChangedException e) {
            end = e.getMessage();
            serverEnds = true;
            LOG.warn("s{} {}", id, e.getMessage());
            bye(e.getMessage());
        } catch (Throwable e) {
            // A bug, or an Error such as StackOverflowError or OutOfMemoryError: the session's state
            // cannot be trusted after it, so the session ends. One line at ERROR says why; the trace
            // (a stack overflow's is thousands of lines) only at DEBUG.
            end = "internal error: " + describe(e);
            serverEnds = true;
            LOG.error("s{} ended by an internal error: {}", id, describe(e));
            LOG.debug("s{} internal error", id, e);
            bye(e instanceof OutOfMemoryError ? "Server out of memory; try again later" : "Internal error; the event is logged");
        } finally {
            literals.commandDone();
            release();
            if (kicked) {
                end = "kicked: " + kickReason;
            }
            server.counters().ended(wireIn(), wireOut());
            if (serverEnds && !closing && !writeTimedOut) {
                raw.finish();
            } else {
                closeRaw();
            }
            if (inflating != null) {
                inflating.end();
                deflating.discard();
            }
            // in= and out= are the bytes that crossed the connection (compressed under COMPRESS; TLS
            // is below and not counted), as imap:who and /metrics count them; under COMPRESS the IMAP
            // bytes they carried follow, as Dovecot logs both
            String uncompressed = inflating == null ? ""
                    : " uncompressed.in=" + bytesIn + " uncompressed.out=" + (counter == null ? 0 : counter.count());
            LOG.info("s{} disconnect remote={} user={} tls={} commands={} in={} out={}{} seconds={} end=\"{}\"", id, peer,
                    user, tlsName(), commandCount, wireIn(), wireOut(), uncompressed,
                    Duration.between(since, Instant.now()).toSeconds(), end.replace('"', '\''));
        }
        return end;
    }

    private void handle(Event event) throws IOException {
        switch (event) {
            case Event.LiteralAnnounced l -> admit(l);
            case Event.LiteralData d -> literals.data(d.bytes());
            case Event.Line line -> {
                midCommand = false;
                if (firstLine && proxyHeaderRefused(line.bytes())) {
                    literals.commandDone();
                    return;
                }
                try {
                    if (!(state instanceof SessionState.NotAuthenticated && overRate(line.bytes()))) {
                        dispatch(line);
                    }
                } finally {
                    literals.commandDone();
                }
                endIfTooManyBad();
            }
            case Event.TooLarge t -> {
                midCommand = false;
                literals.commandDone();
                if (logAllowed("refused input")) {
                    LOG.warn("s{} refused input: {}", id, t.reason());
                }
                if (t.fatal()) {
                    if (literalMinus()) {
                        // RFC 7888 4: a non-synchronizing literal over 4096 octets gets BAD [TOOBIG] first
                        bad(t.tag(), "TOOBIG", t.reason());
                    }
                    endWithBye(t.reason());
                } else {
                    // The receiver reports a malformed literal announcement the same way; that is
                    // plain bad syntax, not a size the server refuses.
                    String code = t.reason().startsWith("Invalid literal") ? null : "TOOBIG";
                    bad(t.tag(), code, t.reason());
                    endIfTooManyBad();
                }
            }
            case Event.NeedMore n -> throw new IllegalStateException("receiver returned NeedMore with input left");
        }
    }

    /**
     * A PROXY protocol header from a client that is not a trusted proxy (imapd.cfg proxy.trusted; a
     * trusted proxy's header is read before the session starts, in net/ProxyHeader): it is never
     * parsed, and the connection ends with BYE and a log line, so that nobody names another client's
     * address, nor mistakes a proxy set up without proxy.trusted for a working one. Looked for in the
     * first line that is not empty: {@code PROXY ...} (v1), or the NUL line of v2's signature
     * (CRLF CRLF NUL CRLF "QUIT" LF, whose two empty lines come before it). Returns whether the
     * session ends.
     */
    private boolean proxyHeaderRefused(byte[] line) {
        if (line.length == 0) {
            return false;
        }
        firstLine = false;
        boolean v1 = line.length >= 6 && new String(line, 0, 6, java.nio.charset.StandardCharsets.US_ASCII).equals("PROXY ");
        boolean v2 = line.length == 1 && line[0] == 0;
        if (!v1 && !v2 || !(state instanceof SessionState.NotAuthenticated)) {
            return false;
        }
        if (logAllowed("refused PROXY header")) {
            LOG.warn("s{} refused a PROXY protocol {} header from {}: not a trusted proxy (proxy.trusted); disconnecting",
                    id, v1 ? "v1" : "v2", peer);
        }
        endWithBye("PROXY header not accepted from your address");
        return true;
    }

    /**
     * A literal announced: into memory or an upload, with "+" if the client waits for it, or refused
     * before the client sends it (see {@link LiteralIntake}).
     */
    private void admit(Event.LiteralAnnounced l) throws IOException {
        if (l.nonSynchronizing() && l.size() > LITERAL_MINUS_MAX && literalMinus()) {
            refuseLiteralMinus(l.tag(), l.size());
            return;
        }
        LiteralIntake.Decision d = literals.admit(l, state, server.config());
        switch (d.route()) {
            case MEMORY -> midCommand = true;
            case STREAM -> {
                midCommand = true;
                receiver.streamLiteral();
            }
            case REFUSE -> {
                literals.commandDone();
                if (logAllowed("refused literal")) {
                    LOG.info("s{} refused a {}literal from {}: {}", id, l.nonSynchronizing() ? "non-synchronizing " : "",
                            peer, d.text());
                }
                if (l.nonSynchronizing()) {
                    endWithBye(d.text());
                } else if (d.status() == Status.BAD) {
                    receiver.rejectLiteral();
                    bad(l.tag(), d.code(), d.text());
                    endIfTooManyBad();
                } else {
                    receiver.rejectLiteral();
                    out.status(l.tag(), d.status(), d.code(), d.text());
                }
                return;
            }
        }
        if (!l.nonSynchronizing()) {
            out.continuation("Ready for literal data");
        }
    }

    /** Largest non-synchronizing literal under LITERAL- (RFC 7888 4). */
    static final long LITERAL_MINUS_MAX = 4096;

    /** Whether imapd.cfg literal.nonsync chose LITERAL- (RFC 7888) over LITERAL+. */
    private boolean literalMinus() {
        return "LITERAL-".equals(server.config().literal_nonsync());
    }

    /**
     * LITERAL- (RFC 7888 4): a non-synchronizing literal over 4096 octets is answered with a tagged
     * BAD [TOOBIG]; its bytes are on their way and the server does not read them, so it closes the
     * connection (the RFC lets the server either read and drop them or close; closing cannot be
     * abused to make the server read, as for any refused non-synchronizing literal here).
     */
    private void refuseLiteralMinus(String tag, long size) throws IOException {
        literals.commandDone();
        if (logAllowed("refused literal")) {
            LOG.info("s{} refused a non-synchronizing literal of {} bytes from {}: over 4096 under LITERAL- (literal.nonsync)",
                    id, size, peer);
        }
        bad(tag, "TOOBIG", "Non-synchronizing literal of " + size + " bytes; LITERAL- allows 4096, use a synchronizing literal");
        endWithBye("Non-synchronizing literal over 4096 bytes (LITERAL-)");
    }

    /**
     * The pre-login rate limit (prelogin.rate commands a second): a command over it is answered BAD
     * and not run; at twice the rate the session ends. Returns whether the command was refused.
     */
    private boolean overRate(byte[] line) throws IOException {
        int rate = server.config().prelogin_rate();
        if (rate <= 0) {
            return false;
        }
        long now = System.nanoTime();
        if (rateCount == 0 || now - rateWindow >= 1_000_000_000L) {
            rateWindow = now;
            rateCount = 0;
        }
        rateCount++;
        if (rateCount <= rate) {
            return false;
        }
        if (rateCount > 2 * rate) {
            if (logAllowed("disconnected for prelogin.rate")) {
                LOG.warn("s{} {} commands in a second before login from {}; disconnecting (prelogin.rate)", id, rateCount, peer);
            }
            endWithBye("Too many commands before login");
            return true;
        }
        if (rateCount == rate + 1 && logAllowed("refused for prelogin.rate")) {
            LOG.info("s{} over {} commands a second before login from {}; refusing (prelogin.rate)", id, rate, peer);
        }
        String tag;
        try {
            tag = new ArgReader(line).tag();
        } catch (ProtocolException e) {
            tag = null;
        }
        bad(tag, "LIMIT", "Too many commands before login; slow down");
        return true;
    }

    /** Answers BAD, counting it toward max.bad.commands. */
    private void bad(String tag, String code, String text) throws IOException {
        out.status(tag, Status.BAD, code, text);
        badInARow++;
    }

    /**
     * max.bad.commands: after that many BAD answers in a row the client is not speaking IMAP (or is
     * probing); BYE, as Dovecot does after 20 (CLIENT_MAX_BAD_COMMANDS in src/imap/imap-common.h).
     */
    private void endIfTooManyBad() {
        int max = server.config().max_bad_commands();
        if (max > 0 && badInARow >= max && !(state instanceof SessionState.Logout)) {
            if (logAllowed("disconnected for max.bad.commands")) {
                LOG.warn("s{} {} BAD answers in a row to {}; disconnecting (max.bad.commands)", id, badInARow, peer);
            }
            endWithBye("Too many invalid commands");
        }
    }

    /** Whether a line of this kind about this client may be logged now (the server's LogLimiter). */
    private boolean logAllowed(String kind) {
        return server.repeats().allow(kind, raw.address());
    }

    /** The selected mailbox's sync, timed for the server's observers (metrics) when there are any. */
    private void timedSync(SessionState.Selected s, boolean allowExpunge) throws IOException, StoreException {
        ServerCounters counted = server.counters();
        if (!counted.observed()) {
            s.mailbox().sync(out, allowExpunge);
            return;
        }
        long started = System.nanoTime();
        boolean failed = true;
        try {
            s.mailbox().sync(out, allowExpunge);
            failed = false;
        } finally {
            counted.storeDone("sync", System.nanoTime() - started, failed);
        }
    }

    /** Parses the tag and command name, checks the state, runs the command, maps errors. */
    private void dispatch(Event.Line line) throws IOException {
        ArgReader args = new ArgReader(line.bytes(), server.config().nesting_max(), line.streamed());
        String tag;
        try {
            tag = args.tag();
        } catch (ProtocolException e) {
            if (logAllowed("BAD commands")) {
                LOG.info("s{} BAD untagged line: {}", id, e.getMessage());
            }
            bad(null, null, "Missing or invalid tag");
            return;
        }
        String name = null;
        commandCount++;
        server.counters().command();
        try {
            args.sp();
            name = args.atom().toUpperCase(Locale.ROOT);
            if (name.equals("UID")) {
                args.sp();
                name = "UID " + args.atom().toUpperCase(Locale.ROOT);
            }
            CommandTable.Row<?> row = commands.apply(name);
            if (row == null) {
                if (logAllowed("BAD commands")) {
                    LOG.info("s{} BAD unknown command {}", id, AuthChain.printable(name));
                }
                bad(tag, null, "Unknown command " + AuthChain.printable(name));
                return;
            }
            if (!row.validIn(state)) {
                if (logAllowed("BAD commands")) {
                    LOG.info("s{} BAD {} in state {}", id, name, state.getClass().getSimpleName());
                }
                bad(tag, null, name + " is not valid " + notValidHint(row));
                return;
            }
            if (enabled.contains("UIDONLY") && UIDONLY_REFUSED.contains(name)) {
                // RFC 9586 3: no message sequence numbers once UIDONLY is on
                if (logAllowed("BAD commands")) {
                    LOG.info("s{} BAD [UIDREQUIRED] {} after ENABLE UIDONLY", id, name);
                }
                bad(tag, "UIDREQUIRED", name + " takes message sequence numbers; use UID " + name);
                return;
            }
            current = row;
            currentTag = tag;
            progressAt = System.nanoTime();
            ServerCounters counted = server.counters();
            long started = counted.observed() ? System.nanoTime() : 0;
            try {
                row.execute(context, state, tag, args);
            } finally {
                if (started != 0) {
                    counted.commandDone(name, System.nanoTime() - started);
                }
            }
            badInARow = 0;
        } catch (ProtocolException e) {
            if (logAllowed("BAD commands")) {
                LOG.info("s{} BAD {}: {}", id, name, e.getMessage());
            }
            bad(tag, e.code(), e.getMessage());
        } catch (StoreException e) {
            badInARow = 0;
            // A store's own failure is described for the log (paths, causes), never for the client.
            String text = e.getMessage();
            if (e.reason() == StoreException.Reason.SERVERBUG) {
                LOG.error("s{} {} failed: {}", id, name, e.getMessage(), e);
                text = "Internal error; the event is logged";
            } else {
                LOG.info("s{} NO {}: [{}] {}", id, name, e.reason(), e.getMessage());
            }
            out.status(tag, Status.NO, e.reason().name(), text);
        } catch (SelectedMailbox.UidValidityChangedException e) {
            throw e;
        } catch (RuntimeException e) {
            badInARow = 0;
            LOG.error("s{} {} failed with an internal error", id, name, e);
            out.status(tag, Status.NO, "SERVERBUG", "Internal error; the event is logged");
        } finally {
            current = null;
            currentTag = null;
        }
    }

    /**
     * Why a command is not valid now (RFC 3501 6): the condition the client does not meet. A command
     * of the not authenticated state (STARTTLS, LOGIN, AUTHENTICATE) fails for being logged in, never
     * for the mailbox; every other command for the state the session is in.
     */
    private String notValidHint(CommandTable.Row<?> row) {
        if (row.state() == SessionState.NotAuthenticated.class && state instanceof SessionState.LoggedIn) {
            return "after login";
        }
        return switch (state) {
            case SessionState.NotAuthenticated n -> "before login";
            case SessionState.Authenticated a -> "without a selected mailbox";
            case SessionState.Selected s -> "with a mailbox selected";
            case SessionState.Logout l -> "after logout";
        };
    }

    /**
     * Reads the next event, reading from the socket as needed. Before login the read times out at the
     * login deadline; after it, after idle.timeout without input (also in IDLE: RFC 2177 clients
     * re-issue IDLE every 29 minutes).
     */
    private Event next() throws IOException {
        while (true) {
            if (pending.hasRemaining()) {
                int before = pending.remaining();
                Event e = receiver.receive(pending);
                if (!(e instanceof Event.NeedMore)) {
                    sinceEvent = 0;
                    return e;
                }
                if (inflating != null) {
                    sinceEvent += before - pending.remaining();
                    long bound = inflatedWithoutEvent();
                    if (sinceEvent > bound) {
                        throw new Compression.InvalidData("more than " + bound
                                + " decompressed bytes without a command line end (line.max, literal.max)");
                    }
                }
            }
            if (state instanceof SessionState.NotAuthenticated) {
                long left = (loginDeadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    throw new SocketTimeoutException("no login within login.timeout");
                }
                readTimeout((int) Math.min(Integer.MAX_VALUE, left));
            }
            flushHeld();
            byte[] buffer = readBuffer();
            pending = NOTHING; // not the burst buffer: a waiting read must not keep it
            int n = in.read(buffer);
            if (n < 0) {
                throw new EOFException();
            }
            bytesIn += n;
            pending = ByteBuffer.wrap(buffer, 0, n);
        }
    }

    /**
     * The buffer for the next read: the burst buffer while bytes are waiting (taken if need be),
     * else the small one, and the burst buffer goes (the read may wait for minutes: IDLE).
     */
    private byte[] readBuffer() throws IOException {
        if (in.available() > 0) {
            if (burstBuffer == null) {
                burstBuffer = new byte[BURST_READ];
            }
            return burstBuffer;
        }
        burstBuffer = null;
        return waitBuffer;
    }

    /**
     * Sends the responses held back while the rest of a pipelined batch ran, before the session waits
     * for input: the input left over was only the start of a command, and its client may be waiting
     * for them before it sends the rest.
     */
    private void flushHeld() throws IOException {
        if (out == null || !out.holding()) {
            return;
        }
        writing.lock();
        try {
            out.flush();
        } finally {
            writing.unlock();
        }
    }

    /**
     * Reads one line of a continuation exchange (AUTHENTICATE), as text. A literal there is a
     * protocol error.
     */
    private String readContinuationLine() throws IOException, ProtocolException {
        out.flush();
        Event e = next();
        if (e instanceof Event.Line line) {
            return new String(line.bytes(), StandardCharsets.US_ASCII);
        }
        if (e instanceof Event.LiteralAnnounced l) {
            refuseLiteral(l);
        }
        throw new ProtocolException("Expected a line of base64");
    }

    /**
     * The brute-force delay (LoginFlow.Connection#pause): waits while reading ahead, so that a client
     * that hangs up ends the session at once (EOFException) instead of holding its slot through the
     * delay. What the client sends meanwhile is kept for the next commands, up to one read buffer;
     * past that the rest of the wait is slept (a client that keeps sending has not gone). The login
     * deadline still holds (SocketTimeoutException).
     */
    private void pauseWatching(long millis) throws IOException {
        out.flush();
        long end = System.nanoTime() + millis * 1_000_000L;
        byte[] chunk = new byte[4096];
        while (true) {
            long now = System.nanoTime();
            if (end - now <= 0) {
                return;
            }
            if (loginDeadline - now <= 0) {
                throw new SocketTimeoutException("no login within login.timeout");
            }
            long leftMillis = Math.max(1, (Math.min(end - now, loginDeadline - now) + 999_999) / 1_000_000);
            if (pending.remaining() >= BURST_READ) {
                try {
                    Thread.sleep(leftMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted during the login delay");
                }
                continue;
            }
            readTimeout((int) Math.min(Integer.MAX_VALUE, leftMillis));
            int n;
            try {
                n = in.read(chunk);
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (n < 0) {
                throw new EOFException();
            }
            bytesIn += n;
            ByteBuffer joined = ByteBuffer.allocate(pending.remaining() + n);
            joined.put(pending).put(chunk, 0, n).flip();
            pending = joined;
        }
    }

    /** Sets how long the next reads may wait, on the TLS socket once there is one. */
    private void readTimeout(int millis) throws IOException {
        SSLSocket tls = tlsSocket;
        if (tls != null) {
            tls.setSoTimeout(millis);
        } else {
            raw.readTimeout(millis);
        }
    }

    /** Whether the connection is encrypted (IMAPS, or after STARTTLS). */
    private boolean tlsActive() {
        return tlsSocket != null;
    }

    /** The TLS protocol in use (TLSv1.3), for the log; "no" in the clear. */
    private String tlsName() {
        SSLSocket ssl = tlsSocket;
        if (ssl == null) {
            return "no";
        }
        try {
            return ssl.getSession().getProtocol();
        } catch (RuntimeException e) {
            return "yes";
        }
    }

    /**
     * Whether STARTTLS is offered now: a TCP connection without TLS, not logged in, TLS set up and
     * enabled.
     */
    private boolean startTlsOffered() {
        return !tlsActive() && raw.socket() != null && state instanceof SessionState.NotAuthenticated
                && server.config().starttls() && server.tls() != null;
    }

    /** The store bound now, or null if there is none (unbound, or a host without one yet). */
    private MailStore boundStore() {
        try {
            return server.logins().store().get();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The capabilities to announce now (RFC 3501 7.2.1), depending on the state and TLS. */
    private String capabilities() {
        boolean preLogin = state instanceof SessionState.NotAuthenticated;
        Set<Class<?>> parts = new HashSet<>(Capabilities.partsOf(boundStore()));
        if (!server.config().metadata()) {
            parts.remove(posthorn.store.api.MetadataStore.class); // imapd.cfg metadata=false
        }
        String base = Capabilities.announce(startTlsOffered(), preLogin ? login.mechanismsOffered() : null,
                preLogin && !login.plaintextAllowed(), parts);
        List<String> quota = QuotaCommands.capabilities(boundStore(), maySetQuota());
        ImapdConfig c = server.config();
        return Capabilities.configured(quota.isEmpty() ? base : base + " " + String.join(" ", quota),
                literalMinus(), c.literal_max());
    }

    /** Whether the logged-in user is one imapd.cfg quota.set names (SETQUOTA, QUOTASET). */
    private boolean maySetQuota() {
        if (!(state instanceof SessionState.LoggedIn l)) {
            return false;
        }
        for (String name : server.config().quota_set().split(",")) {
            if (!name.isBlank() && name.strip().equals(l.user().name())) {
                return true;
            }
        }
        return false;
    }

    /**
     * STARTTLS (RFC 3501 6.2.1): answers OK in the clear, then negotiates TLS. Whatever the client
     * sent after the command before the handshake is thrown away and the receiver starts afresh, so
     * that nothing injected in plaintext is read as if it came through TLS (RFC 2595 and
     * CVE-2011-0411). A failed handshake ends the session (an IOException).
     */
    private void startTls(String tag) throws IOException, ProtocolException {
        if (tlsActive()) {
            throw new ProtocolException("TLS is already active");
        }
        if (!startTlsOffered()) {
            throw new ProtocolException("STARTTLS is not available on this server");
        }
        SSLContext tls = server.tls();
        out.status(tag, Status.OK, null, "Begin TLS negotiation now");
        out.flush();
        tlsPending = true;
        int dropped = pending.remaining();
        pending = ByteBuffer.allocate(0);
        receiver = newReceiver(server.config());
        if (dropped > 0) {
            LOG.warn("s{} discarded {} bytes sent after STARTTLS before the handshake (plaintext injection?)", id, dropped);
        }
        handshake(tls);
    }

    private void handshake(SSLContext tls) throws IOException {
        Socket tcp = raw.socket();
        if (tcp == null) {
            throw new SSLException("TLS needs a TCP connection");
        }
        SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(tcp, tcp.getInetAddress().getHostAddress(),
                tcp.getPort(), true);
        ssl.setUseClientMode(false);
        ssl.setEnabledProtocols(java.util.Arrays.stream(ssl.getSupportedProtocols())
                .filter(p -> p.equals("TLSv1.2") || p.equals("TLSv1.3")).toArray(String[]::new));
        ssl.startHandshake();
        tlsSocket = ssl;
        in = ssl.getInputStream();
        counter.target(ssl.getOutputStream());
        tlsPending = false;
        LOG.info("s{} TLS {} {}", id, ssl.getSession().getProtocol(), ssl.getSession().getCipherSuite());
    }

    /**
     * The most inflated bytes the receiver may take without an event (a line, a literal announced or
     * streamed): a command's line and the literals it may hold in memory (line.max each), or one
     * literal it drops (up to literal.max), and slack. What a bomb expands to is cut off there.
     */
    private long inflatedWithoutEvent() {
        ImapdConfig c = server.config();
        return 2L * c.line_max() + c.literal_max() + 65_536;
    }

    /**
     * COMPRESS DEFLATE (RFC 4978 3): the tagged OK in the clear (or in TLS), flushed; from the byte
     * after its CRLF both directions are raw deflate, over TLS when TLS is on. Bytes the client sent
     * after the command and the session already read are compressed data (the client may start
     * compressing as soon as it has sent the command, RFC 4978 3): they go to the inflater first.
     */
    private void compress(String tag, String mechanism) throws IOException, ProtocolException {
        if (inflating != null) {
            throw new ProtocolException("COMPRESSIONACTIVE", "DEFLATE active via COMPRESS");
        }
        if (!mechanism.equalsIgnoreCase("DEFLATE")) {
            throw new ProtocolException("Unknown compression mechanism " + AuthChain.printable(mechanism));
        }
        out.status(tag, Status.OK, null, "DEFLATE active");
        out.flush();
        byte[] leftover = new byte[pending.remaining()];
        pending.get(leftover);
        pending = NOTHING;
        // the leftover was counted as read in the clear; it is compressed data, counted by the inflater
        bytesIn -= leftover.length;
        inBeforeCompress = bytesIn;
        outBeforeCompress = counter.count();
        CountingOutputStream wire = new CountingOutputStream(counter.target());
        wireCounter = wire;
        inflating = new Compression.Inflating(in, leftover);
        in = inflating;
        deflating = new Compression.Deflating(wire, server.config().compress_level());
        counter.target(deflating);
        sinceEvent = 0;
        LOG.info("s{} event=compress mechanism=DEFLATE tls={}", id, tlsName());
    }

    /**
     * Bytes read from the connection as they crossed it: compressed under COMPRESS (RFC 4978), the
     * plaintext of TLS (which is below). Any thread.
     */
    private long wireIn() {
        Compression.Inflating i = inflating;
        return i == null ? bytesIn : inBeforeCompress + i.compressedIn();
    }

    /** Bytes written to the connection as they crossed it, as {@link #wireIn}. Any thread. */
    private long wireOut() {
        CountingOutputStream w = wireCounter;
        CountingOutputStream c = counter;
        return w != null ? outBeforeCompress + w.count() : c == null ? 0 : c.count();
    }

    private CommandReceiver newReceiver(ImapdConfig c) {
        return new CommandReceiver(LiteralIntake.limits(state, c));
    }

    /** A literal where none belongs (IDLE's DONE, a SASL response): not sent, or read and dropped. */
    private void refuseLiteral(Event.LiteralAnnounced l) {
        if (l.nonSynchronizing()) {
            receiver.discardLiteral();
        } else {
            receiver.rejectLiteral();
        }
    }

    /**
     * IDLE (RFC 2177), after the command's arguments are read: sends the continuation, then waits for
     * DONE. With a mailbox selected, a change notice from the store syncs at once and writes the
     * untagged EXISTS, EXPUNGE and FETCH responses (EXPUNGE is allowed during IDLE) on the notice's
     * own thread; the session's lock is released while this thread waits for input, so the two never
     * write at once. The caller answers the command.
     *
     * @return null when DONE ended it; otherwise what was wrong with the client's line (then BAD)
     */
    private String idle() throws IOException, StoreException {
        if (writing.getHoldCount() != 1) {
            throw new IllegalStateException("IDLE must run as a command");
        }
        out.continuation("idling");
        Watch watch = null;
        Thread poller = null;
        try {
            if (notify != null) {
                // RFC 5465 4: with NOTIFY in force IDLE sends exactly the events NOTIFY asked for;
                // its deliveries run while IDLE waits (the lock is free then), expunges included.
                if (notify.pending()) {
                    notifyDeliverLocked();
                }
            } else if (state instanceof SessionState.Selected s) {
                idling = true;
                try {
                    watch = s.mailbox().store().watch(this::changeNoticed);
                } catch (UnsupportedOperationException e) {
                    // A store without change notices: look every few seconds instead.
                    poller = Thread.ofVirtual().name("imap-session-" + id + "-poll").start(() -> {
                        try {
                            while (idling) {
                                Thread.sleep(IDLE_POLL_MILLIS);
                                changeNoticed();
                            }
                        } catch (InterruptedException done) {
                            // IDLE ended
                        }
                    });
                }
                // Changes between the command's start and the watch are caught by this sync.
                s.mailbox().sync(out, true);
                out.flush();
            }
            while (true) {
                Event e;
                inIdle = true;
                writing.unlock();
                try {
                    e = next();
                } finally {
                    writing.lock();
                    inIdle = false;
                }
                switch (e) {
                    case Event.Line line -> {
                        String text = new String(line.bytes(), StandardCharsets.US_ASCII);
                        return text.equalsIgnoreCase("DONE") ? null : "Expected DONE";
                    }
                    case Event.LiteralAnnounced l -> {
                        refuseLiteral(l);
                        return "Expected DONE";
                    }
                    case Event.LiteralData d -> throw new IllegalStateException("literal data nobody streamed");
                    case Event.TooLarge t -> {
                        if (t.fatal()) {
                            handle(t); // BYE; the session ends
                        }
                        return t.reason();
                    }
                    case Event.NeedMore n -> throw new IllegalStateException("receiver returned NeedMore with input left");
                }
            }
        } finally {
            idling = false;
            if (watch != null) {
                watch.close();
            }
            if (poller != null) {
                poller.interrupt();
            }
        }
    }

    /**
     * A NOTIFY watch's notice (a store thread; must not block): schedules one delivery, which waits for
     * the write lock (a command running, a pipelined batch) and coalesces what comes meanwhile.
     */
    private void notifyNoticed() {
        if (notifyQueued.compareAndSet(false, true)) {
            Thread.ofVirtual().name("imap-session-" + id + "-notify").start(this::notifyDeliver);
        }
    }

    private void notifyDeliver() {
        notifyQueued.set(false);
        writing.lock();
        try {
            if (closing || midCommand) {
                return; // midCommand: the session's thread delivers when the command has been answered
            }
            notifyDeliverLocked();
        } finally {
            writing.unlock();
        }
    }

    /**
     * Writes what NOTIFY's watches noticed, under the write lock: between commands, in IDLE, or after
     * a command. Failures end nothing but the round (the next notice tries again), as in IDLE.
     */
    private void notifyDeliverLocked() {
        NotifySession n = notify;
        if (n == null || !(state instanceof SessionState.LoggedIn)) {
            return;
        }
        unsolicited("notify", false, () -> {
            if (!n.deliver(out, state, inIdle, this::timedSync)) {
                LOG.info("s{} event=notify.overflow reason=\"too many mailboxes to watch\"", id);
                notify = null;
            }
            out.flush();
        });
    }

    /** Writes unsolicited responses; see {@link #unsolicited}. */
    @FunctionalInterface
    private interface UnsolicitedWrite {
        void run() throws IOException, StoreException;
    }

    /**
     * Runs a write of unsolicited responses (NOTIFY's delivery, IDLE's sync) with the write lock held
     * by the caller, and decides what its failure ends: a UIDVALIDITY change the session (BYE, RFC
     * 9051 2.3.1.1: the client's UIDs are void); a store failure only this round (logged as
     * {@code event=LABEL.failed}, the next notice tries again); a write failure the connection (the
     * session's thread sees it end and logs it); a bug only this round, logged with its trace. With
     * {@code errors}, an Error (stack overflow, out of memory) ends the session as in {@link #run}:
     * for IDLE's sync, which runs on a notice thread where nothing else would see it.
     */
    private void unsolicited(String label, boolean errors, UnsolicitedWrite write) {
        try {
            write.run();
        } catch (SelectedMailbox.UidValidityChangedException e) {
            LOG.warn("s{} {}", id, e.getMessage());
            bye(e.getMessage());
            closeRaw();
        } catch (StoreException e) {
            LOG.warn("s{} event={}.failed reason=\"[{}] {}\"", id, label, e.reason(), e.getMessage());
        } catch (IOException e) {
            closeRaw(); // the session's thread sees the connection end and logs it
        } catch (RuntimeException e) {
            LOG.error("s{} event={}.failed reason=\"internal error\"", id, label, e);
        } catch (Error e) {
            if (!errors) {
                throw e;
            }
            // as in run: the session cannot be trusted after it; the session's thread logs the end
            LOG.error("s{} event={}.failed reason=\"{}\" ends the session", id, label, describe(e));
            LOG.debug("s{} internal error in {}", id, label, e);
            bye("Internal error; the event is logged");
            closeRaw();
        }
    }

    /**
     * INPROGRESS (RFC 9585 4): {@code * OK [INPROGRESS ("tag" done total)]} (as {@link InProgress}
     * words it), when inprogress.interval has passed since the command started or last reported.
     */
    private void progress(long done, long total) throws IOException {
        String tag = currentTag;
        if (tag == null || out == null) {
            return;
        }
        long now = System.nanoTime();
        if (now - progressAt < server.config().inprogress_interval() * 1_000_000L) {
            return;
        }
        String code = InProgress.code(tag, done, total);
        if (code == null) {
            return; // progress has reached the goal: RFC 9585 4 sends nothing then
        }
        progressAt = now;
        out.untagged().raw("OK [").raw(code).raw("] In progress").crlf();
        out.flush();
    }

    /** A store change notice (a store thread; must not block): schedules one sync while idling. */
    private void changeNoticed() {
        if (idling && idleSyncQueued.compareAndSet(false, true)) {
            Thread.ofVirtual().name("imap-session-" + id + "-notice").start(this::idleSync);
        }
    }

    private void idleSync() {
        idleSyncQueued.set(false);
        writing.lock();
        try {
            if (!idling || closing || !(state instanceof SessionState.Selected s)) {
                return;
            }
            unsolicited("idle.sync", true, () -> {
                timedSync(s, true);
                out.flush();
            });
        } finally {
            writing.unlock();
        }
    }

    /**
     * Called by the server's watchdog: ends the session if a write has been blocked longer than the
     * limit (the client stopped reading). Closing the TCP socket unblocks the write, which then fails.
     */
    public void checkWrite(long nowNanos, long limitNanos) {
        CountingOutputStream c = counter;
        if (c != null && !writeTimedOut && c.stalledNanos(nowNanos) > limitNanos) {
            writeTimedOut = true;
            LOG.warn("s{} write timeout: {} has not read for {} s; closing", id, peer, limitNanos / 1_000_000_000L);
            closeRaw();
        }
    }

    private void closeRaw() {
        raw.close();
    }

    /**
     * Ends the session from another thread, for the admin console: BYE with the reason, then close,
     * with nothing lost. A session between commands (waiting for the next, or in IDLE) is ended at
     * once: BYE, the sending side shut (so that the BYE arrives before the end of the stream, whatever
     * the client still sends), and the connection closed a moment later if the client has not closed
     * it. A session in the middle of a command (running it, or receiving its literals: a long APPEND)
     * runs and answers it, then ends with the BYE ({@link #run}'s loop): a message being appended is
     * stored, not cut off.
     *
     * @return whether the session was ended at once (else it ends after its command)
     */
    public boolean kick(String reason) {
        kickReason = reason;
        try {
            // Briefly: a command that holds the lock longer will see the reason when it is done.
            if (!writing.tryLock(200, TimeUnit.MILLISECONDS)) {
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            if (closing || kicked || state instanceof SessionState.Logout) {
                return true; // ending anyway
            }
            if (midCommand && !inIdle) {
                return false;
            }
            kicked = true;
            closing = true;
            bye(reason);
        } finally {
            writing.unlock();
        }
        // the BYE is out: FIN after it, what the client still sends dropped for a moment, then close
        // (Connection.finish), on a thread of its own so that the console's kick does not wait
        Thread.ofVirtual().name("imap-session-" + id + "-kick").start(() -> {
            raw.finish();
            closeRaw();
        });
        return true;
    }

    /** Ends the session from another thread (shutdown): BYE, then close. */
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
        closeRaw();
    }

    /** The server ends the session: BYE with the reason, then the session stops (the reason is in its last log line). */
    private void endWithBye(String text) {
        byeReason = text;
        bye(text);
        state = new SessionState.Logout();
    }

    private void bye(String text) {
        if (out == null || tlsPending) {
            return;
        }
        try {
            out.status(null, Status.BYE, null, text);
            out.flush();
        } catch (IOException e) {
            // the client is gone; nothing more to tell it
        }
    }

    /**
     * A throwable in one line: its class, its message, and where it was thrown (for an Error, the
     * frame that was running out of stack or memory).
     */
    static String describe(Throwable e) {
        StringBuilder b = new StringBuilder(e.getClass().getName());
        if (e.getMessage() != null) {
            b.append(": ").append(e.getMessage().replaceAll("[\\r\\n]+", " "));
        }
        StackTraceElement[] trace = e.getStackTrace();
        if (trace.length > 0) {
            b.append(" at ").append(trace[0]);
        }
        return b.toString();
    }

    /** Closes what the state owns. */
    private void release() {
        NotifySession n = notify;
        notify = null;
        if (n != null) {
            n.close();
        }
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

    /** The session as the admin console shows it: a snapshot of what it is doing now. */
    public SessionInfo info() {
        SessionState s = state;
        String stateName = switch (s) {
            case SessionState.NotAuthenticated n -> "not-authenticated";
            case SessionState.Authenticated a -> "authenticated";
            case SessionState.Selected sel -> "selected";
            case SessionState.Logout l -> "logout";
        };
        String mailbox = s instanceof SessionState.Selected sel ? sel.mailbox().store().name() : null;
        String u = user;
        return new SessionInfo(id, u.equals("-") ? null : u, peer, tlsActive(), since, stateName, mailbox, commandCount,
                wireIn(), wireOut(), inIdle);
    }

    /** The session's state now, for the admin console: a snapshot, changed only by the session. */
    public SessionState state() {
        return state;
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

    /**
     * The session as its commands and its login flow see it. The state moves here, and only here
     * and in the session's own error handling: login, select, unselect, logout.
     */
    private final class Context implements CommandContext, LoginFlow.Connection {

        @Override
        public ResponseWriter out() {
            return out;
        }

        @Override
        public void ok(String tag, String code, String text) throws IOException, StoreException {
            if (state instanceof SessionState.Selected s) {
                boolean allowExpunge = current == null || current.sequences() != CommandTable.Sequences.USES;
                timedSync(s, allowExpunge);
            }
            out.status(tag, Status.OK, code, text);
        }

        @Override
        public String command() {
            return current == null ? "-" : current.name();
        }

        @Override
        public long id() {
            return id;
        }

        @Override
        public Logger log() {
            return LOG;
        }

        /**
         * Asks the bound text index, if any, for the user's own mailboxes; a shared one (another user's
         * mail) is searched message by message, as its owner's index is not this user's to read or fill.
         */
        @Override
        public LongPredicate textCandidates(SelectedMailbox view, List<TextTerm> terms) {
            TextIndex index = server.textIndex();
            if (index == null || terms.isEmpty() || !(state instanceof SessionState.Selected s)) {
                return null;
            }
            if (s.mail() instanceof SharedMail shared && shared.shared(view.store().name())) {
                return null;
            }
            try {
                return index.candidates(s.user().name(), view.store(), terms);
            } catch (RuntimeException e) {
                LOG.warn("s{} event=fts.failed reason=\"{}\"; searching every message", id, e.toString());
                return null;
            }
        }

        @Override
        public UrlAuthKeys urlAuthKeys() {
            return server.urlAuthKeys();
        }

        @Override
        public UrlSettings urlSettings() {
            ImapdConfig c = server.config();
            java.util.Set<String> submit = new java.util.HashSet<>();
            for (String name : c.urlauth_submit().split(",")) {
                if (!name.isBlank()) {
                    submit.add(name.strip());
                }
            }
            return new UrlSettings(c.url_max_length(), c.catenate_max_parts(), c.literal_max(), submit,
                    c.urlauth_keys_max());
        }

        @Override
        public MimeLimits mimeLimits() {
            ImapdConfig c = server.config();
            return new MimeLimits(c.mime_max_depth(), c.mime_max_parts());
        }

        @Override
        public long readAheadBytes() {
            return server.config().fetch_readahead_kb() * 1024L;
        }

        @Override
        public MetadataCommands.Limits metadataLimits() {
            ImapdConfig c = server.config();
            return new MetadataCommands.Limits(c.metadata(), c.metadata_max_size(), c.metadata_max_entries(),
                    c.metadata_max_name());
        }

        @Override
        public int searchUpdateMax() {
            return server.config().search_update_max();
        }

        @Override
        public int searchMaxDepth() {
            return server.config().search_max_depth();
        }

        @Override
        public boolean maySetQuota() {
            return Session.this.maySetQuota();
        }

        @Override
        public void loggedIn(UserRecord record, UserMail mail) throws IOException {
            if (!(state instanceof SessionState.NotAuthenticated)) {
                throw new IllegalStateException("login in state " + state.getClass().getSimpleName());
            }
            state = new SessionState.Authenticated(record, mail);
            user = record.name();
            receiver.limits(LiteralIntake.limits(state, server.config()));
            readTimeout(server.config().idle_timeout() * 1000);
        }

        @Override
        public void select(SelectedMailbox view) {
            if (!(state instanceof SessionState.Authenticated a)) {
                throw new IllegalStateException("select in state " + state.getClass().getSimpleName());
            }
            state = new SessionState.Selected(a.user(), a.mail(), view);
            if (notify != null) {
                notify.selectionChanged(state);
            }
        }

        @Override
        public SessionState.Authenticated unselect() {
            if (!(state instanceof SessionState.Selected s)) {
                throw new IllegalStateException("unselect in state " + state.getClass().getSimpleName());
            }
            SessionState.Authenticated a = s.deselect();
            state = a;
            if (notify != null) {
                notify.selectionChanged(state);
            }
            return a;
        }

        @Override
        public void logout() {
            release();
        }

        @Override
        public void end(String text) {
            endWithBye(text);
        }

        @Override
        public boolean ended() {
            return state instanceof SessionState.Logout;
        }

        @Override
        public boolean rev2() {
            return enabled.contains("IMAP4REV2");
        }

        @Override
        public boolean enabled(String capability) {
            return enabled.contains(capability.toUpperCase(Locale.ROOT));
        }

        @Override
        public void enable(String capability) {
            enabled.add(capability.toUpperCase(Locale.ROOT));
        }

        @Override
        public ClientNames names() {
            if (namespace == null) {
                // Fixed for the session at its first use of a name: a client that has seen its
                // mailboxes under one prefix keeps seeing them so (namespace.prefix changes on reload
                // apply to sessions that log in afterwards).
                namespace = PersonalNamespace.of(server.config().namespace_prefix());
                if (state instanceof SessionState.LoggedIn l && l.mail() instanceof SharedMail shared) {
                    namespace = namespace.withShared(shared.prefix());
                }
            }
            // RFC 6855 3: after ENABLE UTF8=ACCEPT mailbox names are UTF-8, not modified UTF-7, as in IMAP4rev2
            boolean utf8 = rev2() || enabled.contains("UTF8=ACCEPT");
            return new ClientNames(utf8 ? MailboxNameCodec.UTF8 : MailboxNameCodec.MODIFIED_UTF7, namespace);
        }

        @Override
        public String capabilities() {
            return Session.this.capabilities();
        }

        @Override
        public String serverVersion() {
            return server.version();
        }

        @Override
        public String idle() throws IOException, StoreException {
            return Session.this.idle();
        }

        @Override
        public void startTls(String tag) throws IOException, ProtocolException {
            Session.this.startTls(tag);
        }

        @Override
        public long appendLimit() {
            return server.config().literal_max();
        }

        @Override
        public void compress(String tag, String mechanism) throws IOException, ProtocolException {
            Session.this.compress(tag, mechanism);
        }

        @Override
        public String readLine() throws IOException, ProtocolException {
            return readContinuationLine();
        }

        @Override
        public LoginFlow login() {
            return login;
        }

        @Override
        public MessageUpload streamedLiteral(int index) throws StoreException {
            return literals.streamed(index);
        }

        @Override
        public InetAddress address() {
            return raw.address();
        }

        @Override
        public InetAddress transportAddress() {
            return raw.transportAddress();
        }

        @Override
        public String peer() {
            return peer;
        }

        @Override
        public boolean tlsActive() {
            return Session.this.tlsActive();
        }

        @Override
        public AccessRule rule() {
            return rule;
        }

        @Override
        public void pause(long millis) throws IOException {
            pauseWatching(millis);
        }

        @Override
        public NotifySession notifications() {
            return notify;
        }

        @Override
        public void notifications(NotifySession session) {
            NotifySession old = notify;
            notify = session;
            if (old != null && old != session) {
                old.close();
            }
        }

        @Override
        public int notifyMaxMailboxes() {
            return server.config().notify_max_mailboxes();
        }

        @Override
        public Runnable notifyWake() {
            return Session.this::notifyNoticed;
        }

        @Override
        public void progress(long done, long total) throws IOException {
            Session.this.progress(done, total);
        }
    }
}
