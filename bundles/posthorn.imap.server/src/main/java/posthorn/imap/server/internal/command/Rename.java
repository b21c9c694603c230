package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * RENAME (RFC 3501 6.3.5); the store moves the children along and treats INBOX specially. The URLAUTH
 * keys of the old names are dropped (RFC 4467, RFC 5092: a URL names a mailbox, not the folder).
 */
final class Rename implements Command<SessionState.LoggedIn> {
    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        String from = ctx.names().wire(args);
        args.sp();
        String to = ctx.names().wire(args);
        args.end();
        String name = ctx.names().decode(from);
        String target = ctx.names().newName(to);
        state.mail().rename(name, target);
        ctx.log().info("s{} RENAME {} -> {}", ctx.id(), name, target);
        // A URL names its mailbox: the old name's URLs must fail (the name is gone, or a new mailbox
        // may take it), and none was ever issued for the new name, so the keys are dropped, not
        // carried. INBOX's inferiors stay where they are (RFC 3501 6.3.5), so only INBOX's own key
        // goes: its messages moved. A stale key under the target (a folder made on disk) goes too.
        UrlAuth.forgetKeys(ctx, state, name, !name.equals("INBOX"));
        UrlAuth.forgetKeys(ctx, state, target, true);
        try {
            ctx.completed(tag);
        } catch (SelectedMailbox.UidValidityChangedException e) {
            // The selected mailbox was the one renamed (or one under it): its sync finds it gone and
            // the session ends with BYE. The RENAME itself is done, so the client is told so first
            // (Dovecot: OK, then BYE); without it a client could not tell whether it happened.
            ctx.out().status(tag, Status.OK, null, "RENAME completed");
            throw e;
        }
    }
}
