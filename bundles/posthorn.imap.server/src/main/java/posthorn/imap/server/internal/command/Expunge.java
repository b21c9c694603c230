package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.SequenceSet;
import posthorn.imap.server.internal.acl.GuardedMailbox;
import posthorn.imap.server.internal.acl.Rights;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * EXPUNGE (RFC 3501 6.4.3) and UID EXPUNGE (RFC 4315): removes the messages marked \Deleted (of
 * the given UIDs); the EXPUNGE responses come from the store's change records, as for every other
 * session.
 */
final class Expunge implements Command<SessionState.Selected> {
    private final boolean uid;

    Expunge(boolean uid) {
        this.uid = uid;
    }

    @Override
    public void execute(CommandContext ctx, SessionState.Selected state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        SequenceSet only = null;
        if (uid) {
            args.sp();
            only = args.sequenceSet();
        }
        args.end();
        SelectedMailbox view = state.mailbox();
        if (view.readOnly()) {
            throw new StoreException(StoreException.Reason.CANNOT, "The mailbox is read-only");
        }
        if (view.store() instanceof GuardedMailbox guarded) {
            // RFC 4314 4: EXPUNGE needs e, whether or not a message carries \Deleted.
            Rights.require(guarded.rights(), "e", false, view.store().name(), "EXPUNGE");
        }
        expungeDeleted(view, only);
        if (view.qresync() && view.highestModSeq() != posthorn.store.api.ModSeqMailbox.NOMODSEQ) {
            // RFC 7162 3.2.7 (as Dovecot): the tagged OK carries the HIGHESTMODSEQ after the expunges,
            // read once their VANISHED is out (EXPUNGE may report them now: it breaks sequence numbers)
            view.sync(ctx.out(), true);
            ctx.ok(tag, "HIGHESTMODSEQ " + view.highestModSeq(), ctx.command() + " completed");
            return;
        }
        ctx.completed(tag);
    }

    /** Expunges the messages with \Deleted, of those whose UIDs are in {@code only} if given. */
    static List<Long> expungeDeleted(SelectedMailbox view, SequenceSet only) throws StoreException {
        List<Long> deleted = new ArrayList<>();
        long max = view.exists() == 0 ? 0 : view.uidAt(view.exists());
        Set<Long> savedUids = only != null && only.isSaved() ? new HashSet<>(view.savedResult()) : null;
        for (int seq = 1; seq <= view.exists(); seq++) {
            long u = view.uidAt(seq);
            if (only != null && !(savedUids != null ? savedUids.contains(u) : only.contains(u, max))) {
                continue;
            }
            if (!view.isExpunged(u) && view.isDeleted(u)) {
                deleted.add(u);
            }
        }
        return deleted.isEmpty() ? deleted : view.store().expunge(deleted);
    }
}
