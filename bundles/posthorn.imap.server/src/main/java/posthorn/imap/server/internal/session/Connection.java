package posthorn.imap.server.internal.session;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;

/**
 * The byte stream a {@link Session} runs over: a TCP connection the listener accepted
 * ({@link SocketConnection}), or the process's standard input and output when the session is the
 * whole process ({@link StdioConnection}: {@code posthorn imapd} under an ssh tunnel, tcpserver or
 * inetd). The session's code is the same for both; only these few operations differ.
 *
 * <p>Threading: the session's thread reads and writes; {@link #close} may come from any thread
 * (the write watchdog, a shutdown) and must make a blocked read or write end.
 */
public interface Connection {

    /** The bytes from the client. Its reads honour {@link #readTimeout} with a SocketTimeoutException. */
    InputStream input() throws IOException;

    /** The bytes to the client, unbuffered (the session buffers and flushes). */
    OutputStream output() throws IOException;

    /** How long a read of {@link #input} may wait, in milliseconds; 0 waits for ever. */
    void readTimeout(int millis) throws IOException;

    /** The client's address, for limits, rules and log limiting; the loopback address for a local process. */
    InetAddress address();

    /** The client for log lines: {@code address:port}, or what the connection is ({@code stdio}). */
    String peer();

    /**
     * The address of the other end of the connection itself: the client's, or, behind a trusted
     * proxy (PROXY protocol), the proxy's. Whether a password may come in the clear
     * (trusted.networks) is decided on this hop, as Dovecot decides it on the proxy's address.
     */
    default InetAddress transportAddress() {
        return address();
    }

    /** The proxy the connection came through ({@code address:port}) when a PROXY header named the client; else null. */
    default String via() {
        return null;
    }

    /**
     * The TCP socket under the connection, for TLS to layer on (IMAPS, STARTTLS); null when the
     * connection is not a socket of this process's making, and then TLS is not offered.
     */
    Socket socket();

    /**
     * Ends the connection after the server's last words (BYE, LOGOUT's OK) without losing them: what
     * this takes depends on the transport (see {@link SocketConnection#finish}).
     */
    void finish();

    /** Ends the connection now, from any thread; a read or write blocked on it ends. Idempotent. */
    void close();
}
