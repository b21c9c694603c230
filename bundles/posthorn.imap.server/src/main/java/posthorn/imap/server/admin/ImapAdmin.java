package posthorn.imap.server.admin;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The running IMAP server, as its operator sees it. Registered by the server bundle while the server
 * runs. Thread-safe; every method returns at once except {@link #authtest} and {@link #mailboxes},
 * which ask the auth chain and the store, and {@link #kick}, which waits a moment for sessions that
 * are between commands.
 */
@ProviderType
public interface ImapAdmin {

    /** The open sessions, oldest first. */
    List<SessionInfo> sessions();

    /**
     * Ends sessions: those of a user (by login name), or one session (by its number, {@code 12} or
     * {@code s12}). Each gets {@code * BYE reason} and is closed; a session in the middle of a command
     * (an APPEND whose message is still arriving, a FETCH being written) finishes it first, so that
     * nothing is lost, and is closed right after its tagged answer. A session in IDLE or waiting for
     * its next command is closed at once.
     *
     * @param who    a login name, or a session number
     * @param reason the text after {@code * BYE}; blank for a standard one. Line breaks and control
     *               characters are replaced, so that a reason cannot forge protocol lines
     * @return the sessions told to end; empty if none matched
     */
    List<Kicked> kick(String who, String reason);

    /** The auth chain, in the configured order, with each backend's state and counts since start. */
    List<BackendInfo> backends();

    /** Counters of the whole server since it started. */
    ServerStats stats();

    /**
     * Runs the auth chain as a login would (Courier's authtest, {@code doveadm auth test}): with a
     * password, the password databases in order, then the user record; without one (null or empty),
     * only the user databases' lookup. The cache of verified logins and the brute-force delay are
     * bypassed; the backends' counts include the attempt. The password is used for this check only:
     * it is neither kept, nor logged, nor part of the answer.
     */
    AuthTest authtest(String user, String password);

    /**
     * A user's mailboxes with their counts and sizes, and the quota where the store keeps one. The user
     * is looked up as a login would (the user databases of the chain), the mail opened as a session
     * would open it, read only.
     *
     * @throws IllegalArgumentException if no user database knows the user
     * @throws IllegalStateException    if the user's mail cannot be opened now (the reason says why)
     */
    UserMailboxes mailboxes(String user);

    /**
     * Whether the server takes logins now: it listens, has a configuration, a store and at least one
     * running backend. Answers at once, from what the server knows; asks no backend.
     */
    Health health();
}
