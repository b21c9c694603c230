package posthorn.console.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SSH channel of the console: an exec channel ({@code ssh -p PORT host 'imap:who'}) runs its one
 * command and exits with its status (0, 1 when it failed, 127 when there is no such command, as
 * {@code ./posthorn shell -c}); a shell channel reads command lines until end of input or
 * {@code exit}. With a terminal (ssh -t) the shell echoes what is typed and understands backspace,
 * Ctrl-C (drop the line) and Ctrl-D (leave); no history or completion. Each channel has its own Gogo
 * command session on its own thread; commands get an empty standard input.
 */
final class SshCommand implements Command {
    private static final Logger LOG = LoggerFactory.getLogger(SshCommand.class);
    static final String PROMPT = "posthorn> ";

    private final String id;
    /** The exec channel's command line, or null for a shell. */
    private final String line;
    private final CommandProcessor processor;
    private final AtomicInteger open;
    private final Supplier<ConsoleSettings> settings;
    private InputStream in;
    private OutputStream out;
    private OutputStream err;
    private ExitCallback exit;
    private volatile Thread thread;
    private int lineMax;

    SshCommand(String id, String line, CommandProcessor processor, AtomicInteger open, Supplier<ConsoleSettings> settings) {
        this.id = id;
        this.line = line;
        this.processor = processor;
        this.open = open;
        this.settings = settings;
    }

    @Override
    public void setInputStream(InputStream in) {
        this.in = in;
    }

    @Override
    public void setOutputStream(OutputStream out) {
        this.out = out;
    }

    @Override
    public void setErrorStream(OutputStream err) {
        this.err = err;
    }

    @Override
    public void setExitCallback(ExitCallback exit) {
        this.exit = exit;
    }

    @Override
    public void start(ChannelSession channel, Environment env) {
        boolean tty = env.getEnv().containsKey(Environment.ENV_TERM) && !env.getPtyModes().isEmpty();
        String user = env.getEnv().getOrDefault(Environment.ENV_USER, "?");
        thread = Thread.ofPlatform().name("console-ssh-" + id).daemon().start(() -> serve(user, tty));
    }

    @Override
    public void destroy(ChannelSession channel) {
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
        }
    }

    private void serve(String user, boolean tty) {
        int status = Frames.FAILED;
        int now = open.incrementAndGet();
        int max = settings.get().maxSessions();
        lineMax = settings.get().lineMax();
        // A terminal wants CR LF; the console's own output is LF.
        OutputStream o = tty ? new CrLf(out) : out;
        OutputStream e = tty ? new CrLf(err) : err;
        PrintStream sessionOut = new PrintStream(o, true, StandardCharsets.UTF_8);
        PrintStream sessionErr = new PrintStream(e, true, StandardCharsets.UTF_8);
        try {
            if (now > max) {
                LOG.warn("ssh {} refused: {} sessions open (max.sessions={})", id, now - 1, max);
                sessionErr.println("too many console sessions (max.sessions=" + max + ")");
                return;
            }
            CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]), sessionOut, sessionErr);
            try {
                if (line != null) {
                    LOG.info("ssh {} opened by {} (one command)", id, user);
                    status = ConsoleConnection.run("ssh " + id, session, line, sessionOut, sessionErr);
                } else {
                    LOG.info("ssh {} opened by {} (shell{})", id, user, tty ? ", terminal" : "");
                    status = shell(session, sessionOut, sessionErr, tty);
                }
                LOG.info("ssh {} closed", id);
            } finally {
                session.close();
            }
        } catch (IOException ex) {
            LOG.info("ssh {} closed: {}", id, ex.toString());
        } finally {
            open.decrementAndGet();
            sessionOut.flush();
            sessionErr.flush();
            exit.onExit(status);
        }
    }

    /** Runs lines until end of input, {@code exit} or Ctrl-D; the status is that of the last command. */
    private int shell(CommandSession session, PrintStream sessionOut, PrintStream sessionErr, boolean tty) throws IOException {
        int status = Frames.OK;
        sessionOut.println("Posthorn console. Commands: help, lb, imap:who ...; exit or Ctrl-D leaves.");
        while (true) {
            sessionOut.print(PROMPT);
            sessionOut.flush();
            String l = tty ? readTerminalLine(sessionOut) : readLine();
            if (l == null || l.strip().equals("exit")) {
                return status;
            }
            status = ConsoleConnection.run("ssh " + id, session, l, sessionOut, sessionErr);
            if (Thread.currentThread().isInterrupted()) {
                return status;
            }
        }
    }

    /** A line without a terminal: up to LF (a CR before it dropped); null at end of input. */
    private String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                return trimCr(b);
            }
            if (b.size() >= lineMax) {
                throw new IOException("command line longer than line.max=" + lineMax + " bytes");
            }
            b.write(c);
        }
        return b.size() == 0 ? null : trimCr(b);
    }

    private static String trimCr(ByteArrayOutputStream b) {
        String s = b.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** A line typed on a terminal: echoed; backspace, Ctrl-C, Ctrl-D; null at Ctrl-D on an empty line or end of input. */
    private String readTerminalLine(PrintStream echo) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            switch (c) {
                case '\r', '\n' -> {
                    echo.println();
                    return b.toString(StandardCharsets.UTF_8);
                }
                case 0x7f, 0x08 -> {
                    byte[] now = b.toByteArray();
                    int cut = now.length;
                    if (cut > 0) {
                        cut--;
                        while (cut > 0 && (now[cut] & 0xc0) == 0x80) {
                            cut--; // a whole UTF-8 character
                        }
                        b.reset();
                        b.write(now, 0, cut);
                        echo.print("\b \b");
                        echo.flush();
                    }
                }
                case 0x03 -> {
                    echo.println("^C");
                    b.reset();
                    echo.print(PROMPT);
                    echo.flush();
                }
                case 0x04 -> {
                    if (b.size() == 0) {
                        echo.println();
                        return null;
                    }
                }
                default -> {
                    if (c >= 0x20 || c == '\t') {
                        if (b.size() >= lineMax) {
                            throw new IOException("command line longer than line.max=" + lineMax + " bytes");
                        }
                        b.write(c);
                        echo.write(c);
                        echo.flush();
                    }
                }
            }
        }
        return null;
    }

    /** LF to CR LF, for a terminal. */
    private static final class CrLf extends OutputStream {
        private final OutputStream out;

        CrLf(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            if (b == '\n') {
                out.write('\r');
            }
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            int start = off;
            for (int i = off; i < off + len; i++) {
                if (b[i] == '\n') {
                    out.write(b, start, i - start);
                    out.write('\r');
                    start = i;
                }
            }
            out.write(b, start, off + len - start);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }
    }
}
