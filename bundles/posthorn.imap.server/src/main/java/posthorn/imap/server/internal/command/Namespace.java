package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * NAMESPACE (RFC 2342): one personal namespace, imapd.cfg's {@code namespace.prefix} (empty, as
 * Dovecot announces Maildir++ with {@code prefix =}, or "INBOX." as Courier-IMAP does) with the
 * store's separator; no other users' or shared namespaces.
 */
final class Namespace implements Command<SessionState.LoggedIn> {
    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.end();
        String sep = String.valueOf(state.mail().separator());
        ctx.out().untagged().raw("NAMESPACE ((").string(ctx.names().namespace().prefix()).sp().string(sep).raw(")) NIL NIL").crlf();
        ctx.completed(tag);
    }
}
