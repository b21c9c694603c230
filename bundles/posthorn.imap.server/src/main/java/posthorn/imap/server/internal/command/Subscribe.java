package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.session.Session;
import posthorn.store.api.StoreException;

/** SUBSCRIBE and UNSUBSCRIBE (RFC 3501 6.3.6, 6.3.7). */
final class Subscribe implements Command {
    private final boolean subscribe;

    Subscribe(boolean subscribe) {
        this.subscribe = subscribe;
    }

    @Override
    public String name() {
        return subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE";
    }

    @Override
    public Set<State> states() {
        return AUTHENTICATED;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException, StoreException {
        args.sp();
        String name = Mailboxes.name(session, args);
        args.end();
        Mailboxes.mail(session).subscribe(name, subscribe);
        session.log().info("s{} {} {}", session.id(), name(), name);
        session.ok(tag, null, name() + " completed");
    }
}
