package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.acl.GuardedMailbox;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * CLOSE (RFC 3501 6.4.2): expunges \Deleted messages silently in a read-write mailbox, then returns
 * to the authenticated state.
 */
final class Close implements Command<SessionState.Selected> {
    @Override
    public void execute(CommandContext ctx, SessionState.Selected selected, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.end();
        String code = null;
        try {
            // RFC 4314 4: without the e right CLOSE closes without expunging, and answers OK.
            if (!selected.mailbox().readOnly()
                    && (!(selected.mailbox().store() instanceof GuardedMailbox g) || g.may('e'))) {
                Expunge.expungeDeleted(selected.mailbox(), null);
                if (selected.mailbox().qresync()
                        && selected.mailbox().highestModSeq() != posthorn.store.api.ModSeqMailbox.NOMODSEQ) {
                    // RFC 7162 3.2.8: the HIGHESTMODSEQ after the expunges, since no VANISHED is sent
                    selected.mailbox().store().sync();
                    code = "HIGHESTMODSEQ " + selected.mailbox().highestModSeq();
                }
            }
        } finally {
            ctx.unselect();
        }
        ctx.out().status(tag, Status.OK, code, "CLOSE completed");
    }
}
