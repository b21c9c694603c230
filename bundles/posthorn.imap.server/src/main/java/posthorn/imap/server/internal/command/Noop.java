package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.session.Session;
import posthorn.store.api.StoreException;

/**
 * NOOP (RFC 3501 6.1.2) and CHECK (6.4.1): nothing but the chance to report changes, which
 * {@link Session#ok} does. The Maildir store writes through, so CHECK has nothing more to do.
 */
final class Noop implements Command {
    private final String name;

    Noop(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Set<State> states() {
        return name.equals("CHECK") ? SELECTED : ALL;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException, StoreException {
        args.end();
        session.ok(tag, null, name + " completed");
    }
}
