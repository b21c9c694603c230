package posthorn.logging.internal;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;

import ch.qos.logback.core.OutputStreamAppender;

/**
 * The server's log on standard error, one event a line.
 *
 * <p>Logback's ConsoleAppender writes to whatever {@code System.err} is at each event. Gogo points
 * {@code System.err} at the console session for the thread that runs a command, so the log lines a
 * command causes on its thread (a backend that starts after {@code start ID}, an {@code imap:authtest})
 * would reach the remote console client instead of the server's log, and multilog or the journal
 * would never see them. With {@code posthorn.log.stream=process} (the runtime sets it) this writes to
 * the process's own descriptor 2 instead, whoever runs the command; without it (the in-framework
 * tests, which read the log through {@code System.err}), it follows {@code System.err} as
 * ConsoleAppender does.
 *
 * @param <E> the event type (Logback's ILoggingEvent)
 */
public class StderrAppender<E> extends OutputStreamAppender<E> {

    /** System property: {@code process} writes to descriptor 2; anything else follows System.err. */
    public static final String STREAM = "posthorn.log.stream";

    @Override
    public void start() {
        setOutputStream("process".equals(System.getProperty(STREAM))
                ? new FileOutputStream(FileDescriptor.err) : new CurrentStderr());
        super.start();
    }

    /** System.err as it is at each write (ConsoleAppender's behaviour). */
    private static final class CurrentStderr extends OutputStream {
        @Override
        public void write(int b) {
            System.err.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            System.err.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            System.err.flush();
        }

        @Override
        public void close() {
            // System.err is not ours to close
        }
    }
}
