package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * NAMESPACE (RFC 2342): one personal namespace, imapd.cfg's {@code namespace.prefix} (empty, as
 * Dovecot announces Maildir++ with {@code prefix =}, or "INBOX." as Courier-IMAP does) with the
 * store's separator; with a store that keeps ACLs, the shared namespace {@code shared.} (Dovecot's
 * form, acl.SharedMail) as the other users' namespace, as Dovecot announces it:
 * {@code * NAMESPACE (("" ".")) (("shared." ".")) NIL}.
 */
final class Namespace implements Command<SessionState.LoggedIn> {
    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.end();
        String sep = String.valueOf(state.mail().separator());
        PersonalNamespace ns = ctx.names().namespace();
        ctx.out().untagged().raw("NAMESPACE ((").string(ns.prefix()).sp().string(sep).raw(")) ");
        if (ns.sharedPrefix() == null) {
            ctx.out().raw("NIL");
        } else {
            // Dovecot 2.3 announces its type=shared namespace here too, as the other users' one.
            ctx.out().raw("((").string(ns.sharedPrefix()).sp().string(sep).raw("))");
        }
        ctx.out().raw(" NIL").crlf();
        ctx.completed(tag);
    }
}
