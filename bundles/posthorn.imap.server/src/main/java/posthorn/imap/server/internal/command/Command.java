package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.session.Session;
import posthorn.store.api.StoreException;

/**
 * One IMAP command: its name, the states it is valid in and how it treats sequence numbers sit here,
 * in one place; {@link #execute} parses the arguments (after the command name) and runs it.
 *
 * <p>Errors map to responses in one place, the session: a {@link ProtocolException} becomes BAD, a
 * {@link StoreException} NO with the response code of its reason, an {@link IOException} ends the
 * session. A command writes its untagged responses and, on success, its tagged OK itself.
 */
public interface Command {

    /** Session states, as far as commands care. */
    enum State {
        NOT_AUTHENTICATED, AUTHENTICATED, SELECTED
    }

    /** How a command relates to message sequence numbers (RFC 3501 7.4.1, 5.5). */
    enum Sequences {
        /** Does not touch them: pending EXPUNGEs may be sent after it. */
        NONE,
        /** Addresses messages by sequence number: no EXPUNGE may be sent while it runs. */
        USES
    }

    Set<State> ALL = Set.of(State.NOT_AUTHENTICATED, State.AUTHENTICATED, State.SELECTED);
    Set<State> NOT_AUTHENTICATED = Set.of(State.NOT_AUTHENTICATED);
    Set<State> AUTHENTICATED = Set.of(State.AUTHENTICATED, State.SELECTED);
    Set<State> SELECTED = Set.of(State.SELECTED);

    String name();

    Set<State> states();

    default Sequences sequences() {
        return Sequences.NONE;
    }

    void execute(Session session, String tag, ArgReader args) throws ProtocolException, StoreException, IOException;
}
