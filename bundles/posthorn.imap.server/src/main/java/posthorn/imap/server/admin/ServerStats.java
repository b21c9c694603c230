package posthorn.imap.server.admin;

import java.time.Duration;
import java.time.Instant;

/**
 * The whole server, since it started.
 *
 * @param started           when the server started
 * @param uptime            how long it has run
 * @param connectionsNow    open connections
 * @param connectionsTotal  connections admitted since start (refused ones not counted)
 * @param logins            login attempts by result
 * @param commandsPerSecond1m commands per second over the last minute
 * @param commandsPerSecond5m commands per second over the last five minutes
 * @param bytesIn           bytes read from clients, sessions that ended included, as they crossed the
 *                          connections (compressed under COMPRESS, see {@link SessionInfo})
 * @param bytesOut          bytes written to clients, the same
 * @param idle              sessions waiting in IDLE now
 * @param heapUsed          JVM heap in use, bytes
 * @param heapMax           the most heap the JVM may use, bytes ({@code -1} if unbounded)
 */
public record ServerStats(Instant started, Duration uptime, int connectionsNow, long connectionsTotal,
                          LoginCounts logins, double commandsPerSecond1m, double commandsPerSecond5m, long bytesIn,
                          long bytesOut, int idle, long heapUsed, long heapMax) {

    /**
     * Login attempts (LOGIN and AUTHENTICATE) by how they were answered.
     *
     * @param ok          logged in
     * @param failed      wrong password or unknown user (NO [AUTHENTICATIONFAILED], or a malformed exchange)
     * @param unavailable the chain could not answer, or the user's mail could not be opened (NO [UNAVAILABLE])
     * @param refused     a password in the clear where that is not allowed (NO [PRIVACYREQUIRED])
     */
    public record LoginCounts(long ok, long failed, long unavailable, long refused) {
    }
}
