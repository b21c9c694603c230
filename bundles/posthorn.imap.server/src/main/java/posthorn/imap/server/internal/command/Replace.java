package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.List;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.SequenceSet;
import posthorn.imap.server.internal.acl.GuardedMailbox;
import posthorn.imap.server.internal.acl.Rights;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.StoreException;

/**
 * REPLACE and UID REPLACE (RFC 8508): appends a message to a mailbox (the selected one or another)
 * and expunges the message it replaces from the selected mailbox, as one command. The store has no
 * single step for both, so the order gives what RFC 8508 3.4 asks of such a server: the append comes
 * first; if it fails, nothing changed and the command is NO; the old message is expunged only after
 * the new one is stored (a "* OK [APPENDUID ...]" untagged response tells the client its UID, RFC 8508
 * 3.3), and if that expunge fails the command is NO with the new message kept, so no message is ever
 * lost. The EXPUNGE (or VANISHED, under QRESYNC) of the old message is reported as for any expunge,
 * when the command completes.
 */
final class Replace implements Command<SessionState.Selected> {
    private final boolean uid;

    Replace(boolean uid) {
        this.uid = uid;
    }

    @Override
    public void execute(CommandContext ctx, SessionState.Selected state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        // seq-number: nz-number or "*" (RFC 8508 5, RFC 3501 9), one message
        SelectedMailbox view = state.mailbox();
        long number;
        if (args.skip('*')) {
            number = view.exists() == 0 ? 0 : uid ? view.uidAt(view.exists()) : view.exists();
        } else {
            number = args.number(true);
        }
        args.sp();
        String wire = ctx.names().wire(args);
        args.sp();
        AppendMessage message = AppendMessage.read(args, ctx, ctx.urlSettings().catenateMaxParts());
        args.end();
        if (!(message.content() instanceof AppendMessage.Literal literal)) {
            throw new ProtocolException("REPLACE takes a literal, not CATENATE");
        }
        List<Long> old;
        try {
            old = number == 0 ? List.of() : view.liveUids(SequenceSet.ofNumbers(new long[] {number}), uid);
        } catch (SelectedMailbox.BadSequenceException e) {
            throw new ProtocolException("Invalid message number: " + e.getMessage());
        }
        if (old.isEmpty()) {
            throw new StoreException(StoreException.Reason.NONEXISTENT, "No message with that UID");
        }
        if (view.readOnly()) {
            throw new StoreException(StoreException.Reason.CANNOT, "The mailbox is read-only");
        }
        if (view.store() instanceof GuardedMailbox guarded) {
            // RFC 8508 3.2 with RFC 4314: replacing sets \Deleted and expunges
            Rights.require(guarded.rights(), "t", false, view.store().name(), "REPLACE");
            Rights.require(guarded.rights(), "e", false, view.store().name(), "REPLACE");
        }
        if (literal.size() == 0) {
            throw new StoreException(StoreException.Reason.CANNOT, "Cannot append an empty message");
        }
        String name = ctx.names().decode(wire);
        Mailbox target;
        boolean own = false;
        if (view.store().name().equals(name)) {
            target = view.store();
        } else {
            try {
                target = state.mail().open(name, false);
                own = true;
            } catch (StoreException e) {
                if (e.reason() == StoreException.Reason.NONEXISTENT) {
                    throw new StoreException(StoreException.Reason.TRYCREATE, "Mailbox does not exist: " + wire);
                }
                throw e;
            }
        }
        long oldUid = old.get(0);
        try {
            long newUid = literal.upload() != null ? target.append(literal.upload(), message.flags(), message.date())
                    : target.append(new java.io.ByteArrayInputStream(literal.text()), message.flags(), message.date());
            ctx.out().untagged().raw("OK [APPENDUID ").number(target.uidValidity()).sp().number(newUid)
                    .raw("] Replacement message stored").crlf();
            ctx.log().info("s{} REPLACE {} uid={} by {} uid={}", ctx.id(), view.store().name(), oldUid, name, newUid);
        } finally {
            if (own) {
                target.close();
            }
        }
        try {
            view.store().store(List.of(oldUid), FlagMode.ADD, Set.of(Flags.DELETED));
            view.store().expunge(List.of(oldUid));
        } catch (StoreException e) {
            throw new StoreException(e.reason(), "The new message is stored, the old one not expunged: " + e.getMessage());
        }
        ctx.completed(tag);
    }
}
