package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * What one IMAP command does: parses its arguments (after the command name) and runs. Its name, the
 * state it is valid in, how it treats sequence numbers and the capability it brings are its row in
 * {@link CommandTable}; the session calls it only in that state, and hands the state over typed.
 *
 * <p>Errors map to responses in one place, the session: a {@link ProtocolException} becomes BAD, a
 * {@link StoreException} NO with the response code of its reason, an {@link IOException} ends the
 * session. A command writes its untagged responses and, on success, its tagged OK itself. Commands
 * are stateless: one instance serves every session.
 *
 * @param <S> the state the command is valid in
 */
@FunctionalInterface
public interface Command<S extends SessionState> {

    void execute(CommandContext ctx, S state, String tag, ArgReader args)
            throws ProtocolException, StoreException, IOException;
}
