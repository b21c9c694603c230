package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.Change;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MailboxStatus;
import posthorn.store.api.Quota;
import posthorn.store.api.QuotaMail;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * STATUS (RFC 3501 6.3.10), with SIZE (RFC 8438), DELETED (RFC 9051 6.3.11; also for IMAP4rev1, as
 * RFC 9208 allows with QUOTA) and DELETED-STORAGE (RFC 9208 4.2: only while QUOTA=RES-STORAGE is
 * announced, i.e. the store keeps quotas; the sum of the RFC822.SIZEs of the messages marked
 * \Deleted, in octets, which the RFC allows in place of the exact space) and APPENDLIMIT (RFC 7889 3:
 * literal.max, or less where a quota root over the mailbox has less storage left).
 */
final class Status implements Command<SessionState.LoggedIn> {
    private static final Set<String> ITEMS = Set.of("MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "SIZE",
            "DELETED", "DELETED-STORAGE", "MAILBOXID", "HIGHESTMODSEQ", "APPENDLIMIT");

    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        String wire = args.mailbox();
        args.sp();
        List<String> items = items(args);
        args.end();
        supported(items, state.mail());
        if (items.contains("HIGHESTMODSEQ")) {
            // RFC 7162 3.1.6; a CONDSTORE enabling command (3.1)
            CondStore.enable(ctx, state instanceof SessionState.Selected sel ? sel.mailbox() : null);
        }
        String name = ctx.names().decode(wire);
        // STATUS of the selected mailbox: its \Recent messages are this session's (it took them at
        // SELECT), so the store, which reports them without taking them, has none to show; the
        // session's own count is the answer (RFC 3501 6.3.10 asks for "the mailbox's" count; Dovecot
        // answers so too, found by the conformance harness)
        long recent = -1;
        if (state instanceof SessionState.Selected sel && sel.mailbox().store().name().equals(name)) {
            recent = sel.mailbox().recentCount();
        }
        write(ctx.out(), wire, items, state.mail(), name, recent, ctx.appendLimit());
        ctx.ok(tag, null, "STATUS completed");
    }

    /** A parenthesised list of status items (RFC 3501 status-att), upper case. */
    static List<String> items(ArgReader args) throws ProtocolException {
        if (!args.skip('(')) {
            throw new ProtocolException("Expected ( before the status items");
        }
        List<String> items = new ArrayList<>();
        do {
            String item = args.atom().toUpperCase(Locale.ROOT);
            if (!ITEMS.contains(item)) {
                throw new ProtocolException("Unknown status item " + item);
            }
            items.add(item);
        } while (args.skip(' '));
        if (!args.skip(')')) {
            throw new ProtocolException("Expected ) after the status items");
        }
        return items;
    }

    /** Refuses, as unknown, the items this store does not support (DELETED-STORAGE without quota). */
    static void supported(List<String> items, UserMail mail) throws ProtocolException {
        if (items != null && items.contains("DELETED-STORAGE") && QuotaCommands.quotaOf(mail) == null) {
            throw new ProtocolException("Unknown status item DELETED-STORAGE");
        }
        if (items != null && items.contains("MAILBOXID") && !MailboxIds.available(mail)) {
            throw new ProtocolException("Unknown status item MAILBOXID"); // RFC 8474: only with OBJECTID
        }
    }

    /**
     * One STATUS response; shared with LIST-STATUS (RFC 5819). {@code recent}, unless negative, is the
     * RECENT to report (the selected mailbox's); {@code appendLimit} the server's APPENDLIMIT.
     */
    static void write(ResponseWriter out, String wireName, List<String> items, UserMail mail, String name,
                      long recent, long appendLimit) throws IOException, StoreException {
        MailboxStatus st = mail.status(name);
        long[] deleted = items.contains("DELETED") || items.contains("DELETED-STORAGE")
                ? deleted(mail, name) : new long[2];
        out.untagged().raw("STATUS ").astring(wireName).raw(" (");
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                out.sp();
            }
            String item = items.get(i);
            if (item.equals("MAILBOXID")) {
                // RFC 8474 4.1: MAILBOXID (objectid)
                out.raw("MAILBOXID (").raw(MailboxIds.of(mail, name)).raw(")");
                continue;
            }
            long value = switch (item) {
                case "MESSAGES" -> st.messages();
                case "RECENT" -> recent >= 0 ? recent : st.recent();
                case "UIDNEXT" -> st.uidNext();
                case "UIDVALIDITY" -> st.uidValidity();
                case "UNSEEN" -> st.unseen();
                case "SIZE" -> st.size();
                case "DELETED" -> deleted[0];
                case "DELETED-STORAGE" -> deleted[1];
                case "HIGHESTMODSEQ" -> highestModSeq(mail, name);
                case "APPENDLIMIT" -> appendLimit(mail, name, appendLimit);
                default -> throw new IllegalStateException(item);
            };
            out.raw(item).sp().number(value);
        }
        out.raw(")").crlf();
    }

    /**
     * HIGHESTMODSEQ (RFC 7162 3.1.6): the mailbox opened read-only and synced; 0 where the store keeps
     * no MODSEQs for it (NOMODSEQ, 3.1.2.2).
     */
    static long highestModSeq(UserMail mail, String name) throws StoreException {
        Mailbox box = mail.open(name, true);
        try {
            box.sync();
            return box instanceof posthorn.store.api.ModSeqMailbox m ? m.highestModSeq() : 0;
        } finally {
            box.close();
        }
    }

    /**
     * A mailbox's APPENDLIMIT (RFC 7889 3): the server's limit, or the storage left under the quota
     * roots over the mailbox where that is less (a message larger than it would be refused OVERQUOTA).
     */
    static long appendLimit(UserMail mail, String name, long serverLimit) throws StoreException {
        long limit = serverLimit;
        QuotaMail quota = QuotaCommands.quotaOf(mail);
        if (quota != null) {
            for (Quota q : quota.quotaRoots(name)) {
                if (q.storageLimitBytes() > 0) {
                    limit = Math.min(limit, Math.max(0, q.storageLimitBytes() - q.storageUsedBytes()));
                }
            }
        }
        return limit;
    }

    /**
     * The messages with \Deleted (RFC 9051 6.3.11, DELETED) and the sum of their sizes
     * (DELETED-STORAGE). The store's status has no such count, so the mailbox is opened read-only
     * and its flags counted.
     */
    static long[] deleted(UserMail mail, String name) throws StoreException {
        Mailbox box = mail.open(name, true);
        try {
            long[] n = new long[2];
            List<Long> deleted = new ArrayList<>();
            for (Change c : box.sync()) {
                if (c instanceof Change.Added a && a.message().flags().contains(Flags.DELETED)) {
                    deleted.add(a.message().uid());
                }
            }
            n[0] = deleted.size();
            for (long size : box.sizes(deleted).values()) { // measured where unknown (store.api 1.5)
                n[1] += size;
            }
            return n;
        } finally {
            box.close();
        }
    }
}
