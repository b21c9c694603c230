package posthorn.imap.server.admin;

/**
 * A session {@link ImapAdmin#kick} told to end.
 *
 * @param id     the session's number
 * @param user   its user, or {@code null} before login
 * @param remote the client's address and port
 * @param closed {@code true} if it was closed at once (between commands, or in IDLE); {@code false}
 *               if it finishes the command it is in first and is closed right after its answer
 */
public record Kicked(long id, String user, String remote, boolean closed) {
    @Override
    public String toString() {
        return "s" + id + " " + (user == null ? "-" : user) + " " + remote + " "
                + (closed ? "closed" : "closing after its command");
    }
}
