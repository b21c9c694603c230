package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.session.Session;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * CREATE (RFC 3501 6.3.3). The name arrives in modified UTF-7 (UTF-8 from an IMAP4rev2 client) and
 * goes to the store decoded; the store refuses names that would leave the user's Maildir.
 */
final class Create implements Command {
    @Override
    public String name() {
        return "CREATE";
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
        UserMail mail = Mailboxes.mail(session);
        // RFC 3501 6.3.3: a trailing separator only says the client means to create children.
        String sep = String.valueOf(mail.separator());
        String n = name.endsWith(sep) ? name.substring(0, name.length() - 1) : name;
        if (n.equalsIgnoreCase("INBOX")) {
            throw new StoreException(StoreException.Reason.ALREADYEXISTS, "INBOX always exists");
        }
        mail.create(n);
        session.log().info("s{} CREATE {}", session.id(), name);
        session.ok(tag, null, "CREATE completed");
    }
}
