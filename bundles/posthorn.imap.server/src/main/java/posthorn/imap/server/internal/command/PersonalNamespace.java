package posthorn.imap.server.internal.command;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import posthorn.store.api.MailboxInfo;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * The personal namespace (RFC 2342), imapd.cfg's {@code namespace.prefix}: the one place where the
 * names clients use become the store's names and back. The store's names have no prefix (store.api
 * 1.3): INBOX, and every folder as its Maildir++ directory spells it without the dot.
 *
 * <ul>
 * <li>Prefix empty (the default; Dovecot's Maildir++ with {@code prefix =}): a client's name is the
 *     store's name. {@code Foo} is {@code .Foo}; {@code INBOX.Foo} is a child of INBOX,
 *     {@code .INBOX.Foo}, as Dovecot makes it.</li>
 * <li>Prefix {@code INBOX.} (Courier-IMAP's view of the same directories): {@code INBOX.Foo} is
 *     {@code .Foo}, {@code INBOX.INBOX.Foo} is {@code .INBOX.Foo}; a name outside the prefix is no
 *     mailbox ({@code NO}, as Courier and Dovecot answer), and {@code INBOX.INBOX} would be the
 *     Maildir root itself, so it is listed as {@code \Noselect} when it has children and refused
 *     otherwise.</li>
 * </ul>
 * INBOX is INBOX in any case under both. The separator is the store's.
 */
public final class PersonalNamespace {
    public static final String COURIER_PREFIX = "INBOX.";
    public static final PersonalNamespace NONE = new PersonalNamespace("");
    public static final PersonalNamespace COURIER = new PersonalNamespace(COURIER_PREFIX);
    private static final String INBOX = "INBOX";

    private final String prefix;
    /** The shared namespace's prefix ({@code shared.}), or null without one. */
    private final String shared;

    private PersonalNamespace(String prefix) {
        this(prefix, null);
    }

    private PersonalNamespace(String prefix, String shared) {
        this.prefix = prefix;
        this.shared = shared;
    }

    /**
     * This personal namespace beside a shared one ({@code shared.}, see acl.SharedMail): names in
     * it are the same for the client and the store. A personal folder whose name would fall into it
     * ({@code shared.x} under an empty prefix, {@code INBOX.shared.x} under {@code INBOX.}) is out of
     * reach, as in Dovecot.
     */
    public PersonalNamespace withShared(String sharedPrefix) {
        return new PersonalNamespace(prefix, sharedPrefix);
    }

    /** The shared namespace's prefix, or null if there is none. */
    public String sharedPrefix() {
        return shared;
    }

    /** Whether a name (client's or store's, the same there) is in the shared namespace. */
    public boolean inShared(String name) {
        return shared != null && (name.startsWith(shared) || name.equals(shared.substring(0, shared.length() - 1)));
    }

    /** The namespace of a prefix imapd.cfg allows: empty or {@code INBOX.}. */
    public static PersonalNamespace of(String prefix) {
        return switch (prefix) {
            case "" -> NONE;
            case COURIER_PREFIX -> COURIER;
            default -> throw new IllegalArgumentException("namespace prefix must be empty or INBOX.: " + prefix);
        };
    }

    /** The prefix as NAMESPACE announces it. */
    public String prefix() {
        return prefix;
    }

    /**
     * The store's name of a mailbox the client names (decoded from the wire).
     *
     * @throws StoreException {@link StoreException.Reason#NONEXISTENT} for a name outside the namespace
     */
    public String toStore(String client) throws StoreException {
        if (inShared(client)) {
            return client;
        }
        if (!prefix.isEmpty() && client.length() > prefix.length()
                && client.regionMatches(true, 0, prefix, 0, prefix.length()) && inShared(client.substring(prefix.length()))) {
            throw new StoreException(StoreException.Reason.NONEXISTENT,
                    "No such mailbox: " + client.substring(prefix.length()) + " is the shared namespace's");
        }
        if (client.equalsIgnoreCase(INBOX) || prefix.isEmpty()) {
            return client.equalsIgnoreCase(INBOX) ? INBOX : client;
        }
        if (client.length() > prefix.length() && client.regionMatches(true, 0, prefix, 0, prefix.length())) {
            String rest = client.substring(prefix.length());
            if (!rest.equalsIgnoreCase(INBOX)) {
                return rest;
            }
        }
        throw new StoreException(StoreException.Reason.NONEXISTENT,
                "No such mailbox: mailboxes live under " + prefix + " on this server (namespace.prefix)");
    }

    /** The client's name of one of the store's mailboxes. */
    public String toClient(String store) {
        if (inShared(store)) {
            return store;
        }
        return store.equals(INBOX) ? INBOX : prefix + store;
    }

    /**
     * What LIST sees: the store's mailboxes in client names, INBOX first. Under {@code INBOX.} every
     * other mailbox is INBOX's child, and {@code INBOX.INBOX} is a \Noselect level when the store has
     * children of its INBOX.
     */
    public List<MailboxInfo> list(UserMail mail) throws StoreException {
        List<MailboxInfo> stored = mail.list();
        if (prefix.isEmpty()) {
            return stored;
        }
        List<MailboxInfo> out = new ArrayList<>(stored.size() + 1);
        List<MailboxInfo> others = new ArrayList<>();
        boolean inboxChildren = false;
        for (MailboxInfo info : stored) {
            if (info.name().equals(INBOX)) {
                inboxChildren = info.attributes().contains("\\HasChildren");
                continue;
            }
            if (inShared(info.name())) {
                others.add(info);
                continue;
            }
            out.add(new MailboxInfo(toClient(info.name()), info.attributes()));
        }
        if (inboxChildren) {
            out.add(new MailboxInfo(prefix + INBOX, Set.of("\\Noselect", "\\HasChildren")));
        }
        Set<String> inbox = new LinkedHashSet<>();
        inbox.add(out.isEmpty() ? "\\HasNoChildren" : "\\HasChildren");
        out.add(0, new MailboxInfo(INBOX, inbox));
        out.addAll(others);
        return out;
    }

    /** The store's subscriptions in client names. */
    public List<String> subscriptions(UserMail mail) throws StoreException {
        List<String> out = new ArrayList<>();
        for (String s : mail.subscriptions()) {
            out.add(toClient(s));
        }
        return out;
    }

    @Override
    public String toString() {
        return prefix.isEmpty() ? "(empty)" : prefix.toUpperCase(Locale.ROOT);
    }
}
