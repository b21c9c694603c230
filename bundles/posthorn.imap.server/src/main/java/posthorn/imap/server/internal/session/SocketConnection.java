package posthorn.imap.server.internal.session;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/** A TCP connection the listener accepted. */
public final class SocketConnection implements Connection {
    /** How long and how much a closing connection reads and drops after its last words ({@link #finish}). */
    private static final int LINGER_MILLIS = 1000;
    private static final long LINGER_BYTES = 4L * 1024 * 1024;

    private final Socket socket;
    private final String peer;
    /** The client's address: the socket's peer, or the one a trusted proxy's PROXY header named. */
    private final InetAddress client;
    /** The proxy the connection came through ({@code address:port}), or null for a direct one. */
    private final String via;

    public SocketConnection(Socket socket) {
        this(socket, null);
    }

    /**
     * A connection from a trusted proxy that named the client in a PROXY header; {@code client} null
     * for a direct connection (or a header that named none), whose client is the socket's peer.
     */
    public SocketConnection(Socket socket, InetSocketAddress client) {
        this.socket = socket;
        String direct = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
        if (client == null) {
            this.client = socket.getInetAddress();
            this.peer = direct;
            this.via = null;
        } else {
            this.client = client.getAddress();
            this.peer = client.getAddress().getHostAddress() + ":" + client.getPort();
            this.via = direct;
        }
    }

    @Override
    public InputStream input() throws IOException {
        socket.setTcpNoDelay(true);
        return socket.getInputStream();
    }

    @Override
    public OutputStream output() throws IOException {
        return socket.getOutputStream();
    }

    @Override
    public void readTimeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    @Override
    public InetAddress address() {
        return client;
    }

    @Override
    public InetAddress transportAddress() {
        return socket.getInetAddress();
    }

    @Override
    public String via() {
        return via;
    }

    @Override
    public String peer() {
        return peer;
    }

    @Override
    public Socket socket() {
        return socket;
    }

    /**
     * Closes the connection without losing what was written last. Closing a socket whose input holds
     * unread bytes makes TCP send a reset, and a reset can throw away the BYE still waiting in the
     * client's receive buffer (seen with a client sending 1 MiB of garbage: it read 12 of the 20 BADs
     * and no BYE). So the sending side is shut first (FIN after the BYE), what the client still sends
     * is read and dropped for a moment (at most {@link #LINGER_MILLIS} and {@link #LINGER_BYTES}),
     * then the socket is closed.
     */
    @Override
    public void finish() {
        try {
            socket.shutdownOutput();
            socket.setSoTimeout(LINGER_MILLIS);
            InputStream input = socket.getInputStream();
            byte[] buffer = new byte[16 * 1024];
            long deadline = System.nanoTime() + LINGER_MILLIS * 1_000_000L;
            long left = LINGER_BYTES;
            while (left > 0 && System.nanoTime() < deadline) {
                int n = input.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    break;
                }
                left -= n;
            }
        } catch (IOException | RuntimeException e) {
            // the client is gone or the wait is over: close now
        }
        close();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // already gone
        }
    }
}
