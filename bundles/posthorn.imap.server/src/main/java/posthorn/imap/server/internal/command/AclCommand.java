package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.List;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.server.internal.acl.GuardedMail;
import posthorn.imap.server.internal.acl.Identifiers;
import posthorn.imap.server.internal.acl.Rights;
import posthorn.imap.server.internal.acl.SharedMail;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.AclEntry;
import posthorn.store.api.StoreException;

/**
 * The ACL commands of RFC 4314 (section 3): SETACL, DELETEACL, GETACL, LISTRIGHTS and MYRIGHTS.
 * Rights and identifiers are mapped to and from the store by {@link Rights} and {@link Identifiers};
 * what each needs is checked by {@link GuardedMail}. Announced (ACL, ACL2=UNION, RIGHTS=texk) only
 * while the bound store keeps ACLs; without one each answers NO [CANNOT].
 */
final class AclCommand implements Command<SessionState.LoggedIn> {
    enum Kind { SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS }

    /** The capabilities the ACL commands bring, in the order Courier-IMAP announces them. */
    static final String CAPABILITIES = "ACL ACL2=UNION " + Rights.CAPABILITY;

    private final Kind kind;

    AclCommand(Kind kind) {
        this.kind = kind;
    }

    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        String wire = ctx.names().wire(args);
        String identifier = null;
        String rights = null;
        if (kind == Kind.SETACL || kind == Kind.DELETEACL || kind == Kind.LISTRIGHTS) {
            args.sp();
            identifier = args.astring();
        }
        if (kind == Kind.SETACL) {
            args.sp();
            rights = args.astring();
        }
        args.end();
        Rights.Modification change = rights == null ? null : Rights.parse(rights);
        String stored = identifier == null ? null : Identifiers.stored(identifier);
        String name = ctx.names().decode(wire);
        SharedMail.Target target;
        if (state.mail() instanceof SharedMail shared) {
            target = shared.resolve(name);
        } else if (state.mail() instanceof GuardedMail own) {
            target = new SharedMail.Target(own, state.user().name(), name);
        } else {
            throw new StoreException(StoreException.Reason.CANNOT, "This server's store keeps no access control lists");
        }
        GuardedMail mail = target.mail();
        name = target.name();
        try {
            answer(ctx, mail, name, wire, identifier, stored, rights, change, state, target);
        } catch (StoreException e) {
            throw state.mail() instanceof SharedMail shared ? shared.hidden(ctx.names().decode(wire), e) : e;
        }
        ctx.completed(tag);
    }

    private void answer(CommandContext ctx, GuardedMail mail, String name, String wire, String identifier, String stored,
                        String rights, Rights.Modification change, SessionState.LoggedIn state, SharedMail.Target target)
            throws IOException, StoreException {
        ResponseWriter out = ctx.out();
        switch (kind) {
            case SETACL, DELETEACL -> {
                mail.setAcl(name, stored, change);
                if (state.mail() instanceof SharedMail shared) {
                    shared.aclChanged(target);
                }
                ctx.log().info("s{} {} {} identifier={} rights={}", ctx.id(), ctx.command(), name, stored,
                        rights == null ? "(deleted)" : rights);
            }
            case GETACL -> {
                List<AclEntry> acl = mail.getAcl(name);
                out.untagged().raw("ACL ").astring(wire);
                for (AclEntry e : acl) {
                    out.sp().astring(e.identifier()).sp().astring(Rights.wire(e.rights()));
                }
                out.crlf();
            }
            case LISTRIGHTS -> {
                List<String> sets = mail.listRights(name, stored);
                out.untagged().raw("LISTRIGHTS ").astring(wire).sp().astring(identifier);
                out.sp().astring(sets.get(0));
                for (String s : sets.subList(1, sets.size())) {
                    out.sp().astring(s);
                }
                out.crlf();
            }
            case MYRIGHTS -> {
                String r = mail.myRights(name);
                out.untagged().raw("MYRIGHTS ").astring(wire).sp().astring(Rights.wire(r));
                out.crlf();
            }
        }
    }
}
