package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * CANCELUPDATE (RFC 5267 4.3): ends the RETURN (UPDATE) contexts the commands of these tags made.
 * Grammar (RFC 5267 5): "CANCELUPDATE" 1*(SP quoted), so an atom is BAD; a tag with no context is
 * NO, as Dovecot answers, and then none of the tags is cancelled.
 */
final class CancelUpdate implements Command<SessionState.Selected> {

    @Override
    public void execute(CommandContext ctx, SessionState.Selected state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        List<String> tags = new ArrayList<>();
        do {
            args.sp();
            if (!args.peek('"')) {
                throw new ProtocolException("CANCELUPDATE takes quoted tags");
            }
            tags.add(args.astring());
        } while (!args.atEnd());
        args.end();
        for (String t : tags) {
            if (state.mailbox().watcher(t) == null) {
                ctx.out().status(tag, Status.NO, null, "Unknown tag " + t);
                return;
            }
        }
        tags.forEach(state.mailbox()::unwatch);
        ctx.ok(tag, null, "Updates cancelled");
    }
}
