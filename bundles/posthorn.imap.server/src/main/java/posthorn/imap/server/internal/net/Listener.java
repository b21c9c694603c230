package posthorn.imap.server.internal.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listening socket, as tcpserver keeps one: bound to an address and port, it hands every
 * connection it accepts to its handler, on an accept thread of its own, until it is closed. The
 * handler runs on that thread and must not block. Nothing a handler throws stops the listener: the
 * connection it failed on is closed, the failure logged in one line, and accepting goes on.
 */
public final class Listener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Listener.class);

    private final ServerSocket socket;
    private final Thread acceptor;

    private Listener(ServerSocket socket, String threadName, Consumer<Socket> handler) {
        this.socket = socket;
        this.acceptor = Thread.ofPlatform().name(threadName).daemon().start(() -> acceptLoop(handler));
    }

    /**
     * Binds and starts accepting.
     *
     * @param port the port, or 0 for any free one ({@link #port} tells which)
     * @throws IOException if the address cannot be had (taken, not local); nothing is left open
     */
    public static Listener bind(String address, int port, String threadName, Consumer<Socket> handler)
            throws IOException {
        ServerSocket ss = new ServerSocket();
        try {
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(InetAddress.getByName(address), port), 128);
        } catch (IOException e) {
            ss.close();
            throw e;
        }
        return new Listener(ss, threadName, handler);
    }

    /** The port actually bound. */
    public int port() {
        return socket.getLocalPort();
    }

    /** Stops accepting; connections already handed on are not touched. Waits for the accept thread. */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            LOG.debug("closing listener", e);
        }
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void acceptLoop(Consumer<Socket> handler) {
        while (!socket.isClosed()) {
            Socket s;
            try {
                s = socket.accept();
            } catch (SocketException e) {
                break; // closed
            } catch (IOException e) {
                LOG.warn("accept failed: {}", e.toString());
                continue;
            }
            try {
                handler.accept(s);
            } catch (RuntimeException | Error e) {
                LOG.error("connection from {} dropped: {}", s.getRemoteSocketAddress(), e.toString());
                try {
                    s.close();
                } catch (IOException closing) {
                    // gone already
                }
            }
        }
    }
}
