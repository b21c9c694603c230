package posthorn.imap.server.admin;

/**
 * Whether the server takes logins now, for a proxy's and the other nodes' health checks.
 *
 * @param acceptingLogins true while the server listens, has a configuration in force, a store bound
 *                        and at least one backend of its auth chain running
 * @param reason          why not, in words for an operator; {@code null} when it does
 */
public record Health(boolean acceptingLogins, String reason) {
}
