package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.store.api.StoreException;
import posthorn.imap.server.internal.session.Session;

/**
 * NAMESPACE (RFC 2342): one personal namespace, "INBOX." with "." as separator, as Courier-IMAP
 * announces it for Maildir++; no other users' or shared namespaces.
 */
final class Namespace implements Command {
    @Override
    public String name() {
        return "NAMESPACE";
    }

    @Override
    public Set<State> states() {
        return AUTHENTICATED;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException, StoreException {
        args.end();
        String sep = String.valueOf(Mailboxes.mail(session).separator());
        session.out().untagged().raw("NAMESPACE ((").string("INBOX" + sep).sp().string(sep).raw(")) NIL NIL").crlf();
        session.ok(tag, null, "NAMESPACE completed");
    }
}
