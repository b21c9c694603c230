package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.acl.Rights;
import posthorn.imap.server.internal.acl.SharedMail;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MailboxInfo;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * SELECT and EXAMINE (RFC 3501 6.3.1, 6.3.2). A mailbox already selected is closed first, without
 * expunging; if the new one cannot be opened the session is left authenticated, as the RFC says.
 * After ENABLE IMAP4rev2 (RFC 9051 6.3.2, 7.1): OK [CLOSED] when a mailbox was selected, a LIST
 * response for the mailbox, and neither RECENT nor the UNSEEN response code.
 */
final class Select implements Command<SessionState.LoggedIn> {
    private final boolean examine;

    Select(boolean examine) {
        this.examine = examine;
    }

    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        String wire = args.mailbox();
        Qresync.Params params = Qresync.selectParams(ctx, args);
        args.end();
        if (state instanceof SessionState.Selected) {
            ctx.unselect();
            if (ctx.rev2() || ctx.enabled(CondStore.QRESYNC)) {
                // RFC 9051 7.1 and RFC 7162 3.2.11 (CLOSED): the old mailbox is closed, whether or not
                // the new one opens.
                ctx.out().status(null, Status.OK, "CLOSED", "Previous mailbox closed");
            }
        }
        String name = ctx.names().decode(wire); // after the unselect: a failed SELECT leaves none selected
        UserMail mail = state.mail();
        // RFC 4314 4: without any of s w t i e, the mailbox can only be read, and says so (READ-ONLY).
        String rights = SharedMail.rightsOf(mail, name);
        boolean readOnly = examine || (rights != null && Rights.has(rights, 'r') && !Rights.hasAny(rights, "swtie"));
        Mailbox box = mail.open(name, readOnly);
        SelectedMailbox view;
        try {
            view = SelectedMailbox.open(box);
        } catch (StoreException | RuntimeException e) {
            box.close();
            throw e;
        }
        ResponseWriter out = ctx.out();
        if (rights == null) {
            view.writeFlagResponses(out);
        } else {
            view.writeFlagResponses(out, f -> Rights.has(rights, Rights.rightFor(f)));
        }
        out.untagged().number(view.exists()).raw(" EXISTS").crlf();
        view.recentResponses(!ctx.rev2());
        if (!ctx.rev2()) {
            out.untagged().number(view.recentCount()).raw(" RECENT").crlf();
        }
        if (!ctx.rev2() && !ctx.enabled("UIDONLY")) {
            // IMAP4rev2 has no UNSEEN response code; its clients SEARCH UNSEEN (RFC 9051 appendix E).
            // UNSEEN is a message sequence number, which UIDONLY never sends (RFC 9586 3).
            int unseen = view.firstUnseen();
            if (unseen > 0) {
                out.status(null, Status.OK, "UNSEEN " + unseen, "First unseen");
            }
        }
        out.status(null, Status.OK, "UIDVALIDITY " + box.uidValidity(), "UIDs valid");
        out.status(null, Status.OK, "UIDNEXT " + box.uidNext(), "Predicted next UID");
        String mailboxId = MailboxIds.of(mail, name);
        if (mailboxId != null) {
            out.status(null, Status.OK, "MAILBOXID (" + mailboxId + ")", "Ok"); // RFC 8474 4.2
        }
        if (ctx.rev2()) {
            listLine(ctx, mail, name);
        }
        view.qresync(ctx.enabled(CondStore.QRESYNC));
        view.uidOnly(ctx.enabled("UIDONLY")); // RFC 9586
        view.condStore(ctx.enabled(CondStore.CONDSTORE));
        if (view.condStore()) {
            CondStore.highestModSeq(ctx, view); // RFC 7162 3.1.2.1, 3.1.2.2
        }
        if (params != null && params.uidValidity() == box.uidValidity()) {
            Qresync.resync(ctx, view, params); // RFC 7162 3.2.5: VANISHED (EARLIER), then FETCH
        }
        ctx.select(view);
        ctx.log().info("s{} {} {} exists={} recent={}", ctx.id(), ctx.command(), name, view.exists(), view.recentCount());
        // The view was read just now: no second sync before the tagged OK (on 50,000 messages that
        // would be a second scan of the folder).
        out.status(tag, Status.OK, box.readOnly() ? "READ-ONLY" : "READ-WRITE", ctx.command() + " completed");
    }

    /**
     * RFC 9051 6.3.2: SELECT and EXAMINE return a LIST response with the mailbox's name and its
     * attributes, as LIST would give them.
     */
    private static void listLine(CommandContext ctx, UserMail mail, String name) throws IOException, StoreException {
        Set<String> attributes = new TreeSet<>();
        String client = ctx.names().namespace().toClient(name);
        for (MailboxInfo info : ctx.names().namespace().list(mail)) {
            if (info.name().equals(client)) {
                attributes.addAll(info.attributes());
                break;
            }
        }
        ctx.out().untagged().raw("LIST (").raw(String.join(" ", attributes)).raw(") ")
                .string(String.valueOf(mail.separator())).sp().astring(ctx.names().encode(name)).crlf();
    }
}
