package posthorn.imap.server.admin;

import java.time.Duration;

/**
 * What {@link ImapAdmin#authtest} found.
 *
 * @param user            the name asked about
 * @param passwordChecked whether a password was checked (else only the user was looked up)
 * @param result          {@code ok}, {@code wrong-password}, {@code no-such-user} or {@code unavailable};
 *                        for a lookup, {@code ok} or {@code no-such-user} (or {@code unavailable})
 * @param backend         the backend that answered, or {@code null} if none did
 * @param reason          what the backend said with a refusal, or {@code null}
 * @param account         the user's record, or {@code null} when there is none (a failed check)
 * @param time            how long the chain took
 */
public record AuthTest(String user, boolean passwordChecked, String result, String backend, String reason,
                       Account account, Duration time) {

    /**
     * A user record, without any secret.
     *
     * @param name    the canonical login name
     * @param home    home directory, or {@code null}
     * @param maildir the Maildir the record names, or {@code null} (the store derives it)
     * @param uid     numeric user id, or -1
     * @param gid     numeric group id, or -1
     * @param quota   Maildir++ quota, or {@code null}
     */
    public record Account(String name, String home, String maildir, long uid, long gid, String quota) {
    }
}
