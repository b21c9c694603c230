package posthorn.imap.server.internal.session;

import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The process's standard input and output as the connection, when they are pipes (an ssh session,
 * mutt's {@code tunnel}, offlineimap's {@code preauthtunnel}, mbsync's {@code Tunnel}). When they are
 * a socket (tcpserver, inetd) the caller uses a {@link SocketConnection} on it instead, which can
 * shut its sending side.
 *
 * <p>A read of a pipe cannot time out in Java, so one daemon thread reads standard input ahead, a
 * chunk at a time, into a queue of two chunks (back pressure: it reads no further while the session
 * does not take them); the session's reads wait on that queue with the read timeout. The streams
 * are the file descriptors themselves, never System.out: a PrintStream swallows write errors, and
 * standard output is the protocol stream that nothing else may write to.
 *
 * <p>A write blocked on a pipe whose reader stopped reading cannot be ended by closing it; the one
 * session is the whole process, so its runner ends the process instead (see {@link #closed}).
 */
public final class StdioConnection implements Connection {
    private static final int CHUNK = 16 * 1024;
    /** End of input, as the reader thread hands it over. */
    private static final byte[] EOF = new byte[0];

    private final InputStream stdin;
    private final OutputStream stdout;
    private final BlockingQueue<Object> chunks = new ArrayBlockingQueue<>(2);
    private final Thread reader;
    private final Input input = new Input();
    private volatile int timeoutMillis;
    private volatile boolean closed;

    /** The standard input and output of this process. */
    public StdioConnection() {
        this(new FileInputStream(FileDescriptor.in), new FileOutputStream(FileDescriptor.out));
    }

    /** Any pair of streams (tests). */
    public StdioConnection(InputStream in, OutputStream out) {
        this.stdin = in;
        this.stdout = out;
        this.reader = Thread.ofPlatform().name("stdin-reader").daemon().unstarted(this::readAhead);
    }

    /** The reader thread: chunks of input into the queue, then EOF or the read's exception. */
    private void readAhead() {
        try {
            while (true) {
                byte[] buffer = new byte[CHUNK];
                int n;
                try {
                    n = stdin.read(buffer);
                } catch (IOException e) {
                    chunks.put(e);
                    return;
                }
                if (n < 0) {
                    chunks.put(EOF);
                    return;
                }
                chunks.put(n == CHUNK ? buffer : Arrays.copyOf(buffer, n));
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    @Override
    public InputStream input() {
        if (reader.getState() == Thread.State.NEW) {
            reader.start();
        }
        return input;
    }

    @Override
    public OutputStream output() {
        return stdout;
    }

    @Override
    public void readTimeout(int millis) {
        timeoutMillis = millis;
    }

    @Override
    public InetAddress address() {
        return InetAddress.getLoopbackAddress();
    }

    @Override
    public String peer() {
        return "stdio";
    }

    @Override
    public Socket socket() {
        return null;
    }

    /** Pipes lose nothing on close: closing standard output is the end of the stream the client reads. */
    @Override
    public void finish() {
        close();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stdout.close();
        } catch (IOException e) {
            // gone already
        }
        try {
            stdin.close();
        } catch (IOException e) {
            // gone already
        }
        reader.interrupt();
    }

    /** Whether {@link #close} was called: a session still running after it is blocked in a write. */
    public boolean closed() {
        return closed;
    }

    /** The session's side of the queue: reads with the timeout, end of input for ever once seen. */
    private final class Input extends InputStream {
        private byte[] current = new byte[0];
        private int position;
        private Object end;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (position == current.length) {
                if (!next()) {
                    return -1;
                }
            }
            int n = Math.min(len, current.length - position);
            System.arraycopy(current, position, b, off, n);
            position += n;
            return n;
        }

        /** Takes the next chunk; false at the end of input. */
        private boolean next() throws IOException {
            if (end != null) {
                return ended();
            }
            if (closed) {
                throw new EOFException("connection closed");
            }
            Object o;
            try {
                int t = timeoutMillis;
                o = t == 0 ? chunks.take() : chunks.poll(t, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading standard input");
            }
            if (o == null) {
                throw new SocketTimeoutException("no input within " + timeoutMillis + " ms");
            }
            if (o == EOF || o instanceof IOException) {
                end = o;
                return ended();
            }
            current = (byte[]) o;
            position = 0;
            return true;
        }

        private boolean ended() throws IOException {
            if (end instanceof IOException e) {
                throw new IOException("standard input: " + e.getMessage(), e);
            }
            return false;
        }
    }
}
