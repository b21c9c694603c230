package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.server.internal.acl.GuardedMail;
import posthorn.imap.server.internal.acl.SharedMail;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.MailStore;
import posthorn.store.api.Quota;
import posthorn.store.api.QuotaMail;
import posthorn.store.api.QuotaStore;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * QUOTA (RFC 9208): GETQUOTAROOT, GETQUOTA and SETQUOTA, over the store's optional
 * {@link QuotaMail}. The capabilities (QUOTA, QUOTA=RES-STORAGE, QUOTA=RES-MESSAGE; QUOTASET to a
 * login that may set limits) are announced only while the bound store is a {@link QuotaStore}
 * ({@link #capabilities}); without one the commands answer as unknown.
 *
 * <p>Units: the store counts bytes; STORAGE is shown in units of 1024 octets, rounded up (as
 * Courier-IMAP and Dovecot show it), and SETQUOTA's STORAGE is multiplied by 1024. A root shows only
 * the resources that have a limit: a root with none is left out of QUOTAROOT, and GETQUOTA of it
 * answers OK without a QUOTA response (Dovecot does the same), since RFC 9208's quota-list needs a
 * resource. SETQUOTA is refused with NO [NOPERM] unless imapd.cfg {@code quota.set} names the login.
 */
public final class QuotaCommands {
    /** The most a number64 (RFC 9051) may be. */
    private static final long NUMBER64_MAX = Long.MAX_VALUE;

    private QuotaCommands() {
    }

    /**
     * The quota capabilities to announce with a store: none unless it is a {@link QuotaStore}.
     *
     * @param maySet the logged-in user may SETQUOTA (QUOTASET, RFC 9208 3.1.3)
     */
    public static List<String> capabilities(MailStore store, boolean maySet) {
        if (!(store instanceof QuotaStore q)) {
            return List.of();
        }
        List<String> caps = new ArrayList<>();
        caps.add("QUOTA");
        for (String r : List.of(QuotaStore.STORAGE, QuotaStore.MESSAGE)) {
            if (q.quotaResources().contains(r)) {
                caps.add("QUOTA=RES-" + r);
            }
        }
        if (maySet) {
            caps.add("QUOTASET");
        }
        return caps;
    }

    /** The user's mail as a QuotaMail, or BAD as for an unknown command when the store keeps no quota. */
    static QuotaMail quotaMail(CommandContext ctx, SessionState.LoggedIn state) throws ProtocolException {
        QuotaMail q = quotaOf(state.mail());
        if (q != null) {
            return q;
        }
        throw new ProtocolException("Unknown command " + ctx.command() + " (this store keeps no quota)");
    }

    /**
     * The quota side of a user's mail, or null if the store keeps none. Mail wrapped for ACL checks
     * ({@link GuardedMail}) is looked through: the quota is the owner's, and counts whatever the
     * rights let through.
     */
    static QuotaMail quotaOf(UserMail mail) {
        UserMail m = mail instanceof SharedMail s ? s.own().unguarded() : mail instanceof GuardedMail g ? g.unguarded() : mail;
        return m instanceof QuotaMail q ? q : null;
    }

    /** Whether a root has a limit to show. */
    static boolean limited(Quota q) {
        return q.storageLimitBytes() > 0 || q.messagesLimit() > 0;
    }

    /** {@code * QUOTA root (STORAGE used limit MESSAGE used limit)}, the resources with a limit. */
    static void writeQuota(ResponseWriter out, Quota q) throws IOException {
        out.untagged().raw("QUOTA ").astring(q.root()).raw(" (");
        boolean first = true;
        if (q.storageLimitBytes() > 0) {
            out.raw("STORAGE ").number(kibibytes(q.storageUsedBytes())).sp().number(kibibytes(q.storageLimitBytes()));
            first = false;
        }
        if (q.messagesLimit() > 0) {
            if (!first) {
                out.sp();
            }
            out.raw("MESSAGE ").number(Math.max(0, q.messagesUsed())).sp().number(q.messagesLimit());
        }
        out.raw(")").crlf();
    }

    /** Bytes in units of 1024 octets, rounded up. */
    static long kibibytes(long bytes) {
        return bytes <= 0 ? 0 : (bytes - 1) / 1024 + 1;
    }

    /** GETQUOTAROOT mailbox (RFC 9208 4.3.3): the roots, then each root's QUOTA. */
    static final class GetQuotaRoot implements Command<SessionState.LoggedIn> {
        @Override
        public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
                throws ProtocolException, IOException, StoreException {
            QuotaMail mail = quotaMail(ctx, state);
            args.sp();
            String wire = args.mailbox();
            args.end();
            List<Quota> roots = mail.quotaRoots(ctx.names().decode(wire));
            List<Quota> shown = roots.stream().filter(QuotaCommands::limited).toList();
            ResponseWriter out = ctx.out();
            out.untagged().raw("QUOTAROOT ").astring(wire);
            for (Quota q : shown) {
                out.sp().astring(q.root());
            }
            out.crlf();
            for (Quota q : shown) {
                writeQuota(out, q);
            }
            ctx.completed(tag);
        }
    }

    /** GETQUOTA root (RFC 9208 4.3.2). */
    static final class GetQuota implements Command<SessionState.LoggedIn> {
        @Override
        public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
                throws ProtocolException, IOException, StoreException {
            QuotaMail mail = quotaMail(ctx, state);
            args.sp();
            String root = args.astring();
            args.end();
            Quota q = mail.quota(root);
            if (limited(q)) {
                writeQuota(ctx.out(), q);
            }
            ctx.completed(tag);
        }
    }

    /**
     * SETQUOTA root (resource limit ...) (RFC 9208 4.3.1): the whole list replaces the root's limits
     * (an empty list removes them). The syntax is checked before the permission, so bad syntax is BAD
     * for everyone.
     */
    static final class SetQuota implements Command<SessionState.LoggedIn> {
        @Override
        public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
                throws ProtocolException, IOException, StoreException {
            QuotaMail mail = quotaMail(ctx, state);
            args.sp();
            String root = args.astring();
            args.sp();
            Map<String, Long> limits = setquotaList(args);
            args.end();
            if (!ctx.maySetQuota()) {
                throw new StoreException(StoreException.Reason.NOPERM, "Quota limits are set by the administrator");
            }
            for (String name : limits.keySet()) {
                if (!name.equals(QuotaStore.STORAGE) && !name.equals(QuotaStore.MESSAGE)) {
                    throw new StoreException(StoreException.Reason.CANNOT, "Resource " + name + " is not supported");
                }
            }
            long storage = -1;
            if (limits.containsKey(QuotaStore.STORAGE)) {
                long kib = limits.get(QuotaStore.STORAGE);
                if (kib > NUMBER64_MAX / 1024) {
                    throw new StoreException(StoreException.Reason.LIMIT, "STORAGE limit too large");
                }
                storage = kib * 1024;
            }
            long messages = limits.getOrDefault(QuotaStore.MESSAGE, -1L);
            mail.setQuota(root, storage, messages);
            Quota q = mail.quota(root);
            if (limited(q)) {
                writeQuota(ctx.out(), q);
            }
            ctx.log().info("s{} SETQUOTA root={} storage={} messages={}", ctx.id(), root, storage, messages);
            ctx.completed(tag);
        }

        /** setquota-list = "(" [setquota-resource *(SP setquota-resource)] ")"; names upper case, each once. */
        static Map<String, Long> setquotaList(ArgReader args) throws ProtocolException {
            if (!args.skip('(')) {
                throw new ProtocolException("Expected ( before the resource limits");
            }
            Map<String, Long> limits = new LinkedHashMap<>();
            if (args.skip(')')) {
                return limits;
            }
            do {
                String name = args.atom().toUpperCase(Locale.ROOT);
                args.sp();
                long limit = number64(args.atom());
                if (limits.put(name, limit) != null) {
                    throw new ProtocolException("Resource " + name + " given twice");
                }
            } while (args.skip(' '));
            if (!args.skip(')')) {
                throw new ProtocolException("Expected ) after the resource limits");
            }
            return limits;
        }

        /** number64 (RFC 9051): digits, at most 2^63 - 1. */
        static long number64(String s) throws ProtocolException {
            if (s.isEmpty() || s.length() > 19 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new ProtocolException("Expected a resource limit (a number), not " + s);
            }
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new ProtocolException("Resource limit out of range");
            }
        }
    }
}
