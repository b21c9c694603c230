package posthorn.imap.server.admin;

import java.time.Instant;

/**
 * One open session, as it was when asked.
 *
 * @param id       the session's number, as log lines show it ({@code s12} is 12)
 * @param user     the logged-in user, or {@code null} before login
 * @param remote   the client's address and port
 * @param tls      whether the connection is encrypted (IMAPS, or after STARTTLS)
 * @param since    when the client connected
 * @param state    {@code not-authenticated}, {@code authenticated}, {@code selected} or {@code logout}
 * @param mailbox  the selected mailbox, or {@code null}
 * @param commands commands the session has run
 * @param bytesIn  bytes read from the client as they crossed the connection: compressed ones under
 *                 COMPRESS=DEFLATE (RFC 4978), the plaintext of TLS
 * @param bytesOut bytes written to the client, counted the same way
 * @param idle     whether the session waits in IDLE (RFC 2177)
 */
public record SessionInfo(long id, String user, String remote, boolean tls, Instant since, String state,
                          String mailbox, long commands, long bytesIn, long bytesOut, boolean idle) {
    @Override
    public String toString() {
        return "s" + id + " " + (user == null ? "-" : user) + " " + remote + (tls ? " TLS" : "") + " since " + since
                + " " + state + (mailbox == null ? "" : " " + mailbox) + (idle ? " IDLE" : "") + " commands=" + commands
                + " in=" + bytesIn + " out=" + bytesOut;
    }
}
