package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * NAMESPACE (RFC 2342): one personal namespace, "INBOX." with "." as separator, as Courier-IMAP
 * announces it for Maildir++; no other users' or shared namespaces.
 */
final class Namespace implements Command<SessionState.LoggedIn> {
    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.end();
        String sep = String.valueOf(state.mail().separator());
        ctx.out().untagged().raw("NAMESPACE ((").string("INBOX" + sep).sp().string(sep).raw(")) NIL NIL").crlf();
        ctx.completed(tag);
    }
}
