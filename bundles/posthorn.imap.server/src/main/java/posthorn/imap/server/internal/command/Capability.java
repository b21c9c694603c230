package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.session.Session;
import posthorn.store.api.StoreException;

/** CAPABILITY (RFC 3501 6.1.1). */
final class Capability implements Command {
    @Override
    public String name() {
        return "CAPABILITY";
    }

    @Override
    public Set<State> states() {
        return ALL;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException, StoreException {
        args.end();
        session.out().untagged().raw("CAPABILITY ").raw(session.capabilities()).crlf();
        session.ok(tag, null, "CAPABILITY completed");
    }
}
