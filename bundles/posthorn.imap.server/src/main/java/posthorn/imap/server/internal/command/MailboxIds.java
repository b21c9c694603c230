package posthorn.imap.server.internal.command;

import posthorn.imap.server.internal.acl.GuardedMail;
import posthorn.imap.server.internal.acl.SharedMail;
import posthorn.store.api.ObjectIdMail;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * MAILBOXID (RFC 8474 4) of a mailbox as the session names it, through the server's wrappers (the
 * shared namespace, ACL checks) to the store's optional {@link ObjectIdMail}. The caller has checked
 * the rights the command needs (SELECT, STATUS: {@code r}).
 */
final class MailboxIds {
    private MailboxIds() {
    }

    /** Whether the session's mail can give MAILBOXIDs. */
    static boolean available(UserMail mail) {
        UserMail m = mail instanceof SharedMail s ? s.own() : mail;
        m = m instanceof GuardedMail g ? g.unguarded() : m;
        return m instanceof ObjectIdMail;
    }

    /** The mailbox's id, or null where the store keeps none. */
    static String of(UserMail mail, String name) throws StoreException {
        UserMail m = mail;
        String n = name;
        if (m instanceof SharedMail s) {
            SharedMail.Target t = s.resolve(n);
            m = t.mail();
            n = t.name();
        }
        if (m instanceof GuardedMail g) {
            m = g.unguarded();
        }
        return m instanceof ObjectIdMail o ? o.mailboxId(n) : null;
    }
}
