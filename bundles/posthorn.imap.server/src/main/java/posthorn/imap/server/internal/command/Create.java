package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * CREATE (RFC 3501 6.3.3). The name arrives in modified UTF-7 (UTF-8 from an IMAP4rev2 client) and
 * goes to the store decoded; the store refuses names that would leave the user's Maildir.
 */
final class Create implements Command<SessionState.LoggedIn> {
    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        String wire = ctx.names().wire(args);
        args.end();
        UserMail mail = state.mail();
        // RFC 3501 6.3.3: a trailing separator only says the client means to create children.
        String sep = String.valueOf(mail.separator());
        String trimmed = wire.length() > 1 && wire.endsWith(sep) ? wire.substring(0, wire.length() - 1) : wire;
        String name = ctx.names().newName(trimmed);
        if (name.equalsIgnoreCase("INBOX")) {
            throw new StoreException(StoreException.Reason.ALREADYEXISTS, "INBOX always exists");
        }
        mail.create(name);
        ctx.log().info("s{} CREATE {}", ctx.id(), name);
        ctx.completed(tag);
    }
}
