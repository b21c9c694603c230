package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.acl.GuardedMail;
import posthorn.imap.server.internal.acl.SharedMail;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.SpecialUseMail;
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
        List<String> uses = List.of();
        if (args.skip(' ')) {
            uses = useParameter(args);
        }
        args.end();
        UserMail mail = state.mail();
        // RFC 3501 6.3.3: a trailing separator only says the client means to create children.
        String sep = String.valueOf(mail.separator());
        String trimmed = wire.length() > 1 && wire.endsWith(sep) ? wire.substring(0, wire.length() - 1) : wire;
        String name = ctx.names().newName(trimmed);
        if (name.equalsIgnoreCase("INBOX")) {
            throw new StoreException(StoreException.Reason.ALREADYEXISTS, "INBOX always exists");
        }
        if (uses.isEmpty()) {
            mail.create(name);
            ctx.log().info("s{} CREATE {}", ctx.id(), name);
            ctx.completed(tag);
            return;
        }
        UserMail base = mail instanceof SharedMail s ? s.own() : mail;
        SpecialUseMail store = (base instanceof GuardedMail g ? g.unguarded() : base) instanceof SpecialUseMail su ? su : null;
        if (store == null) {
            throw new ProtocolException("CREATE parameters are not supported here"); // no CREATE-SPECIAL-USE
        }
        Set<String> kept = new LinkedHashSet<>();
        for (String use : uses) {
            String known = store.specialUses().stream().filter(u -> u.equalsIgnoreCase(use)).findFirst().orElse(null);
            if (known == null) {
                // RFC 6154 3: a use the server cannot keep is NO [USEATTR]
                ctx.log().info("s{} event=create.refused reason=useattr mailbox={} use={}", ctx.id(), name, use);
                ctx.out().status(tag, Status.NO, "USEATTR", "Special use " + use + " not supported");
                return;
            }
            kept.add(known);
        }
        if (mail instanceof SharedMail s && s.shared(name)) {
            ctx.out().status(tag, Status.NO, "USEATTR", "No special uses in the shared namespace");
            return;
        }
        if (base instanceof GuardedMail g) {
            g.create(name, kept);
        } else {
            store.create(name, kept);
        }
        ctx.log().info("s{} CREATE {} use=\"{}\"", ctx.id(), name, String.join(" ", kept));
        ctx.completed(tag);
    }

    /**
     * RFC 4466 create-params as RFC 6154 3 uses them: {@code (USE (\Drafts ...))}. Another parameter
     * is BAD (none else is announced); an empty list of uses creates a plain mailbox.
     */
    static List<String> useParameter(ArgReader args) throws ProtocolException {
        args.listOpen();
        List<String> uses = new ArrayList<>();
        boolean first = true;
        while (!args.peek(')')) {
            if (!first) {
                args.sp();
            }
            first = false;
            String param = args.atom();
            if (!param.equalsIgnoreCase("USE")) {
                throw new ProtocolException("Unknown CREATE parameter " + param);
            }
            args.sp();
            uses.addAll(args.flagList());
        }
        args.listClose();
        return uses;
    }
}
