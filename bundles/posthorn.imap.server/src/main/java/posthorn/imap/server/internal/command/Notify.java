package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;
import posthorn.store.api.WatchMail;

/**
 * NOTIFY (RFC 5465 3.1): {@code NOTIFY NONE} ends the notifications; {@code NOTIFY SET [STATUS]
 * groups} replaces them, answering for the selected mailbox at once (an implicit NOOP) and, with
 * STATUS, each watched mailbox's STATUS before the tagged OK. A refused SET leaves the notifications
 * that were in force. Announced only with a store whose mail has {@link WatchMail}.
 */
final class Notify implements Command<SessionState.LoggedIn> {
    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        NotifySpec spec = NotifySpec.parse(args);
        WatchMail watchable = NotifySession.watchable(state.mail());
        if (watchable == null) {
            throw new ProtocolException("NOTIFY is not available with this store");
        }
        boolean metadata = MetadataCommands.available(ctx);
        Set<String> refused = spec.refused(metadata);
        if (!refused.isEmpty()) {
            // 3.1: NO, not BAD, listing every event the server supports
            ctx.log().info("s{} NOTIFY refused: unsupported events {}", ctx.id(), refused);
            ctx.out().status(tag, posthorn.imap.protocol.Status.NO, NotifySpec.badEventList(metadata), "Unsupported event: "
                    + String.join(" ", refused));
            return;
        }
        if (spec.none()) {
            ctx.notifications(null);
            ctx.completed(tag);
            return;
        }
        UserMail own = NotifySession.own(state.mail());
        NotifySession session = new NotifySession(spec, ctx.names(), own, watchable, ctx.notifyMaxMailboxes(),
                ctx.mimeLimits(), ctx.notifyWake());
        // RFC 5465 5.1: FlagChange elsewhere is told by HIGHESTMODSEQ once CONDSTORE is on (RFC 7162 3.1;
        // QRESYNC turns it on too); MailboxMetadataChange and ServerMetadataChange by METADATA (5.6, 5.7)
        session.condStore(() -> ctx.enabled(CondStore.CONDSTORE), name -> Status.highestModSeq(own, name));
        if (spec.wantsMetadata()) {
            session.metadata(ctx.metadataNotices(), state.user().name());
        }
        try {
            session.start(ctx.out(), state);
        } catch (NotifySession.Overflow e) {
            session.close();
            ctx.log().info("s{} NOTIFY refused: {}", ctx.id(), e.getMessage());
            ctx.out().status(tag, posthorn.imap.protocol.Status.NO, "NOTIFICATIONOVERFLOW", "Too many mailboxes to watch; at most "
                    + ctx.notifyMaxMailboxes());
            return;
        } catch (StoreException | IOException | RuntimeException e) {
            session.close();
            throw e;
        }
        ctx.notifications(session);
        ctx.log().info("s{} event=notify.set mailboxes={}", ctx.id(), session.watchedCount());
        ctx.ok(tag, null, "NOTIFY completed");
    }
}
