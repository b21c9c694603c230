package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.MailboxNames;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.SelectedMailbox;
import posthorn.imap.server.internal.Session;
import posthorn.imap.server.internal.SessionState;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * SELECT and EXAMINE (RFC 3501 6.3.1, 6.3.2). A mailbox already selected is closed first, without
 * expunging; if the new one cannot be opened the session is left authenticated, as the RFC says.
 */
final class Select implements Command {
    private final boolean examine;

    Select(boolean examine) {
        this.examine = examine;
    }

    @Override
    public String name() {
        return examine ? "EXAMINE" : "SELECT";
    }

    @Override
    public Set<State> states() {
        return AUTHENTICATED;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException, StoreException {
        args.sp();
        String name = MailboxNames.decode(args.mailbox());
        args.end();
        UserMail mail = switch (session.state()) {
            case SessionState.Selected s -> {
                SessionState.Authenticated a = s.deselect();
                session.state(a);
                yield a.mail();
            }
            case SessionState.Authenticated a -> a.mail();
            default -> throw new IllegalStateException();
        };
        SessionState.Authenticated auth = (SessionState.Authenticated) session.state();
        Mailbox box = mail.open(name, examine);
        SelectedMailbox view;
        try {
            view = SelectedMailbox.open(box);
        } catch (StoreException | RuntimeException e) {
            box.close();
            throw e;
        }
        ResponseWriter out = session.out();
        Set<String> flags = new TreeSet<>(Flags.SYSTEM);
        flags.addAll(box.keywords());
        out.untagged().raw("FLAGS ");
        SelectedMailbox.writeFlags(out, flags, false);
        out.crlf();
        out.untagged().raw("OK [PERMANENTFLAGS ");
        if (box.readOnly()) {
            out.raw("()");
        } else {
            out.open();
            for (String f : flags) {
                out.raw(f).sp();
            }
            out.raw("\\*").close();
        }
        out.raw("] Flags permitted").crlf();
        out.untagged().number(view.exists()).raw(" EXISTS").crlf();
        view.recentResponses(!session.rev2());
        if (!session.rev2()) {
            out.untagged().number(view.recentCount()).raw(" RECENT").crlf();
        }
        int unseen = view.firstUnseen();
        if (unseen > 0) {
            out.status(null, Status.OK, "UNSEEN " + unseen, "First unseen");
        }
        out.status(null, Status.OK, "UIDVALIDITY " + box.uidValidity(), "UIDs valid");
        out.status(null, Status.OK, "UIDNEXT " + box.uidNext(), "Predicted next UID");
        session.state(new SessionState.Selected(auth.user(), mail, view));
        session.log().info("s{} {} {} exists={} recent={}", session.id(), name(), name, view.exists(), view.recentCount());
        // The view was read just now: no second sync before the tagged OK (on 50,000 messages that
        // would be a second scan of the folder).
        out.status(tag, Status.OK, box.readOnly() ? "READ-ONLY" : "READ-WRITE", name() + " completed");
    }
}
