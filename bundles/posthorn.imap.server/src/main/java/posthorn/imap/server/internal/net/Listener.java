package posthorn.imap.server.internal.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listening socket, as tcpserver keeps one: bound to an address and port, it hands every
 * connection it accepts to its handler, on an accept thread of its own, until it is closed. The
 * handler runs on that thread and must not block. Nothing a handler throws stops the listener: the
 * connection it failed on is closed, the failure logged in one line, and accepting goes on. Nor does
 * a failing accept (out of descriptors, say): it is logged, one line a failure, and retried after a
 * pause that doubles up to {@link #MAX_ACCEPT_PAUSE_MS}. Should the socket end without {@link #close}
 * (closed under it), the listener says so to its {@code lost} callback, once, and stops.
 */
public final class Listener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Listener.class);
    static final long FIRST_ACCEPT_PAUSE_MS = 50;
    static final long MAX_ACCEPT_PAUSE_MS = 2000;

    private final ServerSocket socket;
    private final Thread acceptor;
    private volatile boolean closing;

    /** A listener on a socket already bound (tests hand in one whose accept fails). */
    Listener(ServerSocket socket, String threadName, Consumer<Socket> handler, BiConsumer<Listener, String> lost) {
        this.socket = socket;
        this.acceptor = Thread.ofPlatform().name(threadName).daemon().start(() -> acceptLoop(handler, lost));
    }

    /**
     * Binds and starts accepting.
     *
     * @param port the port, or 0 for any free one ({@link #port} tells which)
     * @throws IOException if the address cannot be had (taken, not local); nothing is left open
     */
    public static Listener bind(String address, int port, String threadName, Consumer<Socket> handler)
            throws IOException {
        return bind(address, port, threadName, handler, (listener, why) -> {
        });
    }

    /**
     * Binds and starts accepting; {@code lost} hears (on the accept thread: this listener and the
     * reason) when the socket stopped listening without {@link #close}.
     */
    public static Listener bind(String address, int port, String threadName, Consumer<Socket> handler,
            BiConsumer<Listener, String> lost) throws IOException {
        ServerSocket ss = new ServerSocket();
        try {
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(InetAddress.getByName(address), port), 128);
        } catch (IOException | RuntimeException e) {
            ss.close();
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        return new Listener(ss, threadName, handler, lost);
    }

    /** The port actually bound. */
    public int port() {
        return socket.getLocalPort();
    }

    /** Stops accepting; connections already handed on are not touched. Waits for the accept thread. */
    @Override
    public void close() {
        closing = true;
        try {
            socket.close();
        } catch (IOException e) {
            LOG.debug("closing listener: {}", e.toString());
        }
        if (Thread.currentThread() != acceptor) {
            try {
                acceptor.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Closes the socket as something outside the listener would, without {@link #close} (tests). */
    void closeSocketUnderIt() throws IOException {
        socket.close();
    }

    private void acceptLoop(Consumer<Socket> handler, BiConsumer<Listener, String> lost) {
        long pause = FIRST_ACCEPT_PAUSE_MS;
        while (!closing) {
            Socket s;
            try {
                s = socket.accept();
                pause = FIRST_ACCEPT_PAUSE_MS;
            } catch (IOException | RuntimeException | Error e) {
                if (closing) {
                    break;
                }
                if (socket.isClosed()) {
                    lost.accept(this, Throwables.oneLine(e));
                    break;
                }
                // Out of descriptors, out of memory, a network stack in trouble: the socket is still
                // ours, so keep it, and try again a little later than last time.
                LOG.warn("accept on port {} failed: {}; trying again in {} ms", socket.getLocalPort(),
                        Throwables.oneLine(e), pause);
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException interrupted) {
                    break;
                }
                pause = Math.min(pause * 2, MAX_ACCEPT_PAUSE_MS);
                continue;
            }
            try {
                handler.accept(s);
            } catch (RuntimeException | Error e) {
                LOG.error("connection from {} dropped: {}", s.getRemoteSocketAddress(), Throwables.oneLine(e));
                try {
                    s.close();
                } catch (IOException closing) {
                    // gone already
                }
            }
        }
    }
}
