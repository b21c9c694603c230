package posthorn.imap.server.admin;

import java.net.InetAddress;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Logins checked for a proxy (nginx's mail proxy asking through auth_http) rather than for an IMAP
 * client of this server: the same auth chain, the same brute-force delay keyed on the client's own
 * address (the one the proxy names, not the proxy's), the same counters and log lines as IMAP LOGIN,
 * but no plaintext rule (the proxy is the one that received the password, and the caller is trusted
 * to be it) and no mail opened (the node the proxy picks opens it). Registered by the server bundle
 * while the server runs. Thread-safe.
 */
@ProviderType
public interface ProxyAuth {

    /**
     * Checks a user's password as LOGIN would. Blocks the calling thread for the delay the client's
     * address and the user have earned (net/LoginDelay: none without recent failures) before the chain
     * is asked; the delay after a failure is not waited here but returned, for the proxy to wait
     * ({@link Result#waitMillis}).
     *
     * @param user     the login name as the client sent it
     * @param password the password; used for this check only, never kept or logged
     * @param protocol what the client speaks to the proxy ({@code imap}, {@code pop3}, {@code smtp}),
     *                 for log lines
     * @param client   the client's address as the proxy saw it
     */
    Result check(String user, String password, String protocol, InetAddress client);

    /**
     * How a check ended.
     *
     * @param outcome    what the proxy is to be told
     * @param user       the canonical login name the chain answered with (ok), else the name asked
     * @param waitMillis after a failure, how long the client is to wait before it is answered (the
     *                   brute-force delay its failures earned); 0 otherwise
     */
    record Result(Outcome outcome, String user, long waitMillis) {
    }

    /** The outcome of a check. */
    enum Outcome {
        /** The password is right. */
        OK,
        /** Wrong password, or no such user. */
        FAILED,
        /** The chain cannot answer now (a backend down, or none running). */
        UNAVAILABLE
    }
}
