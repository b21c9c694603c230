package posthorn.console.internal;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One console connection: a Gogo command session whose standard output and error are frames on the
 * socket ({@link Frames}). Commands run one at a time, in the order they arrive, on this connection's
 * thread; the session keeps its variables between them. A command's result is printed as Gogo's own
 * console prints it. Commands get an empty standard input.
 */
final class ConsoleConnection {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleConnection.class);

    private final String id;
    private final SocketChannel channel;
    private final CommandProcessor processor;
    private final int lineMax;
    /** A command is running; set and read across the connection's thread and the console's stop. */
    private volatile boolean busy;
    private volatile boolean closing;

    ConsoleConnection(String id, SocketChannel channel, CommandProcessor processor, int lineMax) {
        this.id = id;
        this.channel = channel;
        this.processor = processor;
        this.lineMax = lineMax;
    }

    /** Greets, then runs commands until the client closes its side or the console stops. */
    void serve() throws IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel)));
        OutputStream out = Channels.newOutputStream(channel);
        Frames.FrameStream stdout = new Frames.FrameStream(out, Frames.OUT);
        Frames.FrameStream stderr = new Frames.FrameStream(out, Frames.ERR);
        PrintStream sessionOut = new PrintStream(stdout, true, StandardCharsets.UTF_8);
        PrintStream sessionErr = new PrintStream(stderr, true, StandardCharsets.UTF_8);
        CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]), sessionOut, sessionErr);
        try {
            Frames.write(out, Frames.HELLO, Frames.GREETING);
            Frames.Frame f;
            while ((f = Frames.read(in, lineMax)) != null) {
                if (f.type() != Frames.COMMAND) {
                    throw new Frames.BadFrame("frame of type " + (f.type() & 0xff) + " where a command belongs");
                }
                busy = true;
                if (closing) {
                    return;
                }
                int status = run("console " + id, session, f.text(), sessionOut, sessionErr);
                sessionOut.flush();
                sessionErr.flush();
                Frames.exit(out, status);
                busy = false;
                if (closing) {
                    return;
                }
            }
        } finally {
            session.close();
        }
    }

    /**
     * The console stops: a connection waiting for its next command is closed now; one running a
     * command (it may be {@code stop 0} itself, whose stop deactivates the console) is closed once
     * the command's status is sent.
     */
    void stop() {
        closing = true;
        if (!busy) {
            try {
                channel.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /**
     * Runs one command line in the session and prints its result; the exit status is {@link Frames#OK},
     * {@link Frames#NOT_FOUND} or {@link Frames#FAILED}. Logs the command's name, never its arguments.
     *
     * @param who the connection in the log line ("console c3", "ssh s2")
     */
    static int run(String who, CommandSession session, String line, PrintStream out, PrintStream err) {
        String name = line.strip().split("\\s+", 2)[0];
        if (name.isEmpty()) {
            return Frames.OK;
        }
        int status;
        try {
            Object result = session.execute(line);
            session.put("_", result);
            if (result != null) {
                out.println(session.format(result, Converter.INSPECT));
            }
            status = Frames.OK;
        } catch (Exception e) {
            // Gogo names an unknown command with its own exception type (not exported): by its name.
            if (e.getClass().getSimpleName().equals("CommandNotFoundException")) {
                err.println(e.getMessage() == null ? "Command not found: " + name : e.getMessage());
                status = Frames.NOT_FOUND;
            } else {
                err.println(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
                status = Frames.FAILED;
            }
        }
        // Only the command's name: its arguments may hold a password (imap:authtest USER PASS).
        LOG.info("{} ran {}: exit status {}", who, name, status);
        return status;
    }
}
