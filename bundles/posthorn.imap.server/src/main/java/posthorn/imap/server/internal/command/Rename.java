package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.session.Session;
import posthorn.store.api.StoreException;

/** RENAME (RFC 3501 6.3.5); the store moves the children along and treats INBOX specially. */
final class Rename implements Command {
    @Override
    public String name() {
        return "RENAME";
    }

    @Override
    public Set<State> states() {
        return AUTHENTICATED;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException, StoreException {
        args.sp();
        String name = Mailboxes.name(session, args);
        args.sp();
        String target = Mailboxes.name(session, args);
        args.end();
        Mailboxes.mail(session).rename(name, target);
        session.log().info("s{} RENAME {} -> {}", session.id(), name, target);
        session.ok(tag, null, "RENAME completed");
    }
}
