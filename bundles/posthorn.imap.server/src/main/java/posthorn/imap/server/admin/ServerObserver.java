package posthorn.imap.server.admin;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told of the server's events as they happen, for metrics: a whiteboard service. The server binds
 * every registered observer dynamically (0..n) and calls each on the thread of the event (a session's
 * virtual thread), so an observer must return at once and never block: count, add to a histogram,
 * nothing more. An exception from an observer is logged (once per observer) and otherwise ignored;
 * it never reaches a session. With no observer bound the server does not read the clock for these
 * calls, so that an unobserved server pays nothing.
 *
 * <p>What is counted already (sessions, IDLE, logins by result and backend, bytes) is read from
 * {@link ImapAdmin#stats()} and {@link ImapAdmin#backends()} when a metrics page is asked for, not
 * pushed here; this interface carries only what a snapshot cannot: per-event timings.
 *
 * <p>Observers implement it and the server calls it, so it is {@code @ConsumerType}: a new method
 * would need a major version; methods added later are defaults.
 */
@ConsumerType
public interface ServerObserver {

    /**
     * A command was answered (tagged OK, NO or BAD after it was found in the command table; unknown
     * commands and commands refused for the session's state are not reported).
     *
     * @param name  the command's name as the command table knows it, upper case ({@code FETCH},
     *              {@code UID FETCH}): a closed set, safe as a metric label
     * @param nanos how long it ran, from its line read to its tagged answer written
     */
    default void command(String name, long nanos) {
    }

    /**
     * The server asked the store to do something on a session's behalf.
     *
     * @param operation {@code open} (a user's mail, at login) or {@code sync} (a selected mailbox's
     *                  changes, after a command and in IDLE)
     * @param nanos     how long the store took
     * @param failed    whether it failed (a StoreException)
     */
    default void store(String operation, long nanos, boolean failed) {
    }
}
