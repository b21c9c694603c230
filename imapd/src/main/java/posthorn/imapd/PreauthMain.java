package posthorn.imapd;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.api.UserRecord;
import posthorn.imap.server.internal.PreauthImapd;
import posthorn.imap.server.internal.net.ImapdConfig;
import posthorn.imap.server.internal.net.ImapdSettings;
import posthorn.imap.server.internal.session.Connection;
import posthorn.imap.server.internal.session.SocketConnection;
import posthorn.imap.server.internal.session.StdioConnection;
import posthorn.store.maildir.internal.MaildirStore;

/**
 * {@code posthorn imapd [MAILDIR]}: one IMAP session on standard input and output, logged in
 * already as the user the process runs as (PREAUTH), on that user's Maildir; Courier's
 * {@code imapd Maildir}. What ssh, a mail client's tunnel, tcpserver or inetd run after their own
 * login step.
 *
 * <p>The Maildir is MAILDIR, else $MAILDIR, else ~/Maildir ($HOME, else the account's home), as
 * Courier's imapd takes its argument, then $MAILDIR, then ./Maildir from the home directory its login
 * program changed to. It must exist with cur/, new/ and tmp/: a missing or wrong one is refused
 * (BYE, one log line, status 1), never created, as a typo in a tunnel command should not make a
 * second, empty Maildir. The limits are imapd.cfg's ($POSTHORN_CONF/imapd.cfg when POSTHORN_CONF is
 * set and the file is there; the defaults otherwise), checked as the daemon checks them; the poll
 * interval is maildir.cfg's.
 *
 * <p>Standard output is the protocol stream: nothing else may write to it, so System.out is pointed
 * at standard error before anything runs, and logs go to standard error, one event a line.
 *
 * <p>Exit status: 0 after LOGOUT or when the client hung up; 1 when the session cannot be served
 * or ended otherwise; 2 for a wrong command line.
 */
public final class PreauthMain {
    private PreauthMain() {
    }

    public static void main(String[] args) {
        PrintStream protocol = System.out;
        System.setOut(System.err);
        logging();
        protocol.flush();
        // One event a line also for what nobody expected: a thread that dies logs one line.
        Thread.setDefaultUncaughtExceptionHandler((t, e) ->
                LoggerFactory.getLogger(PreauthMain.class).error("imapd: thread {} died: {}", t.getName(), oneLine(e)));
        Connection connection = connection();
        int status;
        try {
            status = run(args, System::getenv, connection);
        } catch (Throwable e) {
            LoggerFactory.getLogger(PreauthMain.class).error("imapd: ended by an internal error: {}", oneLine(e));
            PreauthImapd.refuse(connection, "Internal error; the event is logged");
            status = 1;
        }
        System.exit(status);
    }

    /** A throwable in one line: class, message, where it was thrown, and the same for its causes. */
    static String oneLine(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null && b.length() < 1000; t = t.getCause()) {
            if (t != e) {
                b.append("; caused by ");
            }
            b.append(t.getClass().getName());
            if (t.getMessage() != null) {
                b.append(": ").append(t.getMessage().replaceAll("[\\r\\n]+", " "));
            }
            if (t.getStackTrace().length > 0) {
                b.append(" at ").append(t.getStackTrace()[0]);
            }
        }
        return b.toString();
    }

    /**
     * slf4j-simple as the daemon's runtime sets it (cnf/runtime.bnd), unless the command line says
     * otherwise; without timestamps unless asked (the launcher asks when standard error is a
     * terminal): a date format costs a tenth of the start-up time (locale data), and a log collector
     * (multilog t, journald) stamps the lines itself.
     */
    private static void logging() {
        defaultProperty("org.slf4j.simpleLogger.logFile", "System.err");
        defaultProperty("org.slf4j.simpleLogger.showDateTime", "false");
        if (Boolean.getBoolean("org.slf4j.simpleLogger.showDateTime")) {
            defaultProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        }
        defaultProperty("org.slf4j.simpleLogger.showThreadName", "false");
        defaultProperty("org.slf4j.simpleLogger.showShortLogName", "true");
        defaultProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
    }

    private static void defaultProperty(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /**
     * Standard input as a socket when it is one (tcpserver, inetd: the connection can then be shut
     * as a socket is), else the two pipes.
     */
    private static Connection connection() {
        try {
            Channel c = System.inheritedChannel();
            if (c instanceof SocketChannel socket && socket.isConnected()
                    && socket.getRemoteAddress() instanceof InetSocketAddress) {
                return new SocketConnection(socket.socket());
            }
        } catch (IOException | RuntimeException e) {
            // not a TCP socket (mbsync's Tunnel is a Unix socket pair): read and write it as pipes
        }
        return new StdioConnection();
    }

    /** Everything but the process's own streams and its exit, for tests. */
    static int run(String[] args, Function<String, String> env, Connection connection) {
        Logger log = LoggerFactory.getLogger(PreauthMain.class);
        if (args.length > 1 || (args.length == 1 && (args[0].equals("-h") || args[0].equals("--help")))) {
            log.error("imapd: usage: posthorn imapd [MAILDIR] (got {} arguments)", args.length);
            PreauthImapd.refuse(connection, "[CLIENTBUG] Usage: posthorn imapd [MAILDIR]");
            return 2;
        }
        Path maildir;
        try {
            maildir = maildir(args, env);
        } catch (InvalidPathException e) {
            log.error("imapd: not a Maildir: {}", e.getMessage());
            PreauthImapd.refuse(connection, "[UNAVAILABLE] Not a Maildir: " + e.getMessage());
            return 1;
        }
        String wrong = notAMaildir(maildir);
        if (wrong != null) {
            log.error("imapd: not a Maildir: {}: {}", maildir, wrong);
            PreauthImapd.refuse(connection, "[UNAVAILABLE] Not a Maildir: " + maildir + ": " + wrong);
            return 1;
        }
        ImapdConfig config;
        long poll;
        String conf = env.apply("POSTHORN_CONF");
        Path imapdCfg = conf == null || conf.isEmpty() ? null : Path.of(conf, "imapd.cfg");
        Path maildirCfg = conf == null || conf.isEmpty() ? null : Path.of(conf, "maildir.cfg");
        try {
            Path secrets = secrets(env, conf);
            config = ImapdSettings.read(imapdCfg == null ? Map.of() : ConfigFile.read(imapdCfg, env, secrets));
            poll = pollInterval(maildirCfg == null ? Map.of() : ConfigFile.read(maildirCfg, env, secrets), maildirCfg);
        } catch (ImapdSettings.BadValue e) {
            log.error("imapd: {} refused: {}", imapdCfg, e.getMessage());
            PreauthImapd.refuse(connection, "[UNAVAILABLE] Server configuration error; see the log");
            return 1;
        } catch (IOException | BadPoll e) {
            log.error("imapd: configuration refused: {}", e.getMessage());
            PreauthImapd.refuse(connection, "[UNAVAILABLE] Server configuration error; see the log");
            return 1;
        }
        String user = System.getProperty("user.name");
        String quota = env.apply("MAILDIRQUOTA");
        UserRecord record = new UserRecord(user, home(env), maildir, -1, -1,
                quota == null || quota.isBlank() ? null : quota.strip(), Map.of());
        MaildirStore store = MaildirStore.standalone(poll, false);
        PreauthImapd imapd = new PreauthImapd(config);
        AtomicBoolean over = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            if (over.compareAndSet(false, true)) {
                log.info("imapd: stopping on a signal");
                imapd.shutdown("Server shutting down");
                store.close();
            }
        }, "imapd-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        int status = imapd.run(store, record, connection, loginTag(env, log));
        if (over.compareAndSet(false, true)) {
            store.close();
        }
        return status;
    }

    /**
     * The tag of the LOGIN a login program before this one answered for (IMAPLOGINTAG: Courier's
     * imaplogin, mailfront's imapfront-auth set it), if it is a tag (RFC 3501: ASTRING-CHAR but
     * '+'); else null, and the session greets with PREAUTH.
     */
    static String loginTag(Function<String, String> env, Logger log) {
        String tag = env.apply("IMAPLOGINTAG");
        if (tag == null || tag.isEmpty()) {
            return null;
        }
        if (!tag.matches("[\\x21-\\x7e&&[^(){%*\"\\\\+\\]]]+") || tag.length() > 256) {
            log.warn("imapd: IMAPLOGINTAG is not an IMAP tag; greeting with PREAUTH instead");
            return null;
        }
        return tag;
    }

    /** MAILDIR, else $MAILDIR, else ~/Maildir; relative to the working directory, as Courier's. */
    static Path maildir(String[] args, Function<String, String> env) {
        String named = args.length == 1 ? args[0] : env.apply("MAILDIR");
        if (named == null || named.isEmpty()) {
            Path home = home(env);
            return home.resolve("Maildir");
        }
        return Path.of(named).toAbsolutePath().normalize();
    }

    private static Path home(Function<String, String> env) {
        String home = env.apply("HOME");
        return Path.of(home == null || home.isEmpty() ? System.getProperty("user.home") : home).toAbsolutePath().normalize();
    }

    /** Why the directory is not a Maildir, or null if it is one. */
    static String notAMaildir(Path dir) {
        if (!Files.exists(dir)) {
            return "no such directory";
        }
        if (!Files.isDirectory(dir)) {
            return "not a directory";
        }
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            if (!Files.isDirectory(dir.resolve(sub))) {
                return "it has no " + sub + "/ directory";
            }
        }
        if (!Files.isReadable(dir) || !Files.isWritable(dir.resolve("tmp")) || !Files.isWritable(dir.resolve("cur"))) {
            return "not readable and writable by " + System.getProperty("user.name");
        }
        return null;
    }

    /** $POSTHORN_SECRETS, else $POSTHORN_CONF/secrets, as ./posthorn run has it. */
    private static Path secrets(Function<String, String> env, String conf) {
        String s = env.apply("POSTHORN_SECRETS");
        if (s != null && !s.isEmpty()) {
            return Path.of(s);
        }
        return conf == null || conf.isEmpty() ? null : Path.of(conf, "secrets");
    }

    /** maildir.cfg's poll.interval, checked as a whole number of seconds, at least 0. */
    private static long pollInterval(Map<String, Object> maildirCfg, Path file) throws BadPoll {
        Object v = maildirCfg.get("poll.interval");
        if (v == null) {
            return 5;
        }
        String s = v.toString().strip();
        if (!s.matches("\\d{1,9}")) {
            throw new BadPoll(file + ": poll.interval=" + s + ": not a whole number of seconds, at least 0");
        }
        return Long.parseLong(s);
    }

    private static final class BadPoll extends Exception {
        BadPoll(String message) {
            super(message);
        }
    }
}
