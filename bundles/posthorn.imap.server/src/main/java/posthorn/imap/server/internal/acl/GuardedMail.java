package posthorn.imap.server.internal.acl;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import posthorn.auth.api.UserRecord;
import posthorn.store.api.AclEntry;
import posthorn.store.api.AclMail;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MailboxInfo;
import posthorn.store.api.MailboxStatus;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.Quota;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * A user's mail with RFC 4314 rights enforced: what a logged-in session holds when the store keeps
 * ACLs. Every operation computes the user's rights on the mailbox from its ACL (ACL2=UNION, see
 * {@link Rights}) and refuses with NO [NOPERM] (or NO [NONEXISTENT] where the user may not even see
 * the mailbox) what they do not allow, following RFC 4314 section 4: LIST shows only mailboxes with
 * {@code l}; SELECT, EXAMINE and STATUS need {@code r}; CREATE {@code k} on the parent (INBOX for a
 * top-level one); DELETE {@code x}; RENAME {@code x} and {@code k} on the new parent; APPEND, COPY and
 * MOVE {@code i} on the target, keeping only the flags the user may set there; flag changes {@code s},
 * {@code t} or {@code w} ({@link GuardedMailbox}); EXPUNGE {@code e}; the ACL commands {@code a}.
 * Rights are read anew for every operation (the store caches the parsed file), so a change another
 * session makes takes effect at this session's next command. Not thread-safe, like the mail it wraps.
 */
public final class GuardedMail implements UserMail {
    private final AclMail own;
    private final Rights.Who who;
    /** Whose mail this is: the login name of the user the store opened it for. */
    private final String owner;

    /** The user's own mail. */
    public GuardedMail(AclMail own, UserRecord user) {
        this(own, user, user.name());
    }

    /** The mail of {@code owner} as {@code user} may use it. */
    public GuardedMail(AclMail own, UserRecord user, String owner) {
        this.own = own;
        this.owner = owner;
        Set<String> groups = new HashSet<>();
        String g = user.options().get("group");
        if (g != null) {
            for (String s : g.split(",")) {
                if (!s.isBlank()) {
                    groups.add(s.strip());
                }
            }
        }
        this.who = new Rights.Who(user.name(), Set.copyOf(groups));
    }

    /** The store's mail of the user, with no check: for what belongs to the user alone (uploads). */
    public AclMail unguarded() {
        return own;
    }

    /** The user's rights on a mailbox, as the store's ACL gives them. */
    public String rights(String name) throws StoreException {
        return Rights.compute(own.acl(name), who, owner);
    }

    /** MYRIGHTS (RFC 4314 3.5): needs one of l r i k x a. */
    public String myRights(String name) throws StoreException {
        String r = rights(name);
        Rights.require(r, Rights.ANY, true, name, "MYRIGHTS");
        return r;
    }

    /** GETACL (RFC 4314 3.3): the ACL with wire identifiers, in stored order; needs a. */
    public List<AclEntry> getAcl(String name) throws StoreException {
        Rights.require(rights(name), "a", false, name, "GETACL");
        List<AclEntry> out = new ArrayList<>();
        for (AclEntry e : own.acl(name)) {
            String w = Identifiers.wire(e.identifier());
            if (w != null) {
                out.add(new AclEntry(w, Rights.normal(e.rights())));
            }
        }
        return out;
    }

    /** LISTRIGHTS (RFC 4314 3.4): needs a. */
    public List<String> listRights(String name, String storedId) throws StoreException {
        Rights.require(rights(name), "a", false, name, "LISTRIGHTS");
        return Identifiers.listRights(storedId, owner);
    }

    /**
     * SETACL (with a modification) and DELETEACL (with null): needs a. Refused with NO [CANNOT] when
     * the result would take {@code l} or {@code a} from the owner or any right from the administrators
     * group (maildiracl(1), "irrevocable access rights"), as Courier refuses it.
     */
    public void setAcl(String name, String storedId, Rights.Modification change) throws StoreException {
        Rights.require(rights(name), "a", false, name, change == null ? "DELETEACL" : "SETACL");
        if (Identifiers.administrators(storedId)) {
            throw new StoreException(StoreException.Reason.CANNOT, "The administrators group always has every right");
        }
        List<AclEntry> acl = own.acl(name);
        String old = "";
        String key = storedId;
        for (AclEntry e : acl) {
            if (Identifiers.same(e.identifier(), storedId)) {
                old = e.rights();
                key = e.identifier();
            }
        }
        String rights = change == null ? null : change.apply(old);
        List<AclEntry> after = new ArrayList<>();
        for (AclEntry e : acl) {
            if (!e.identifier().equals(key)) {
                after.add(e);
            }
        }
        if (rights != null) {
            after.add(new AclEntry(key, rights));
        }
        String ownerRights = Rights.compute(after, new Rights.Who(owner, Set.of()), owner);
        String ownerEntry = ownerEntry(after);
        if (!Rights.has(ownerRights, 'l') || !Rights.has(ownerEntry, 'l') || !Rights.has(ownerEntry, 'a')) {
            throw new StoreException(StoreException.Reason.CANNOT,
                    "The owner of a mailbox always keeps the rights l and a");
        }
        if (change == null) {
            boolean present = false;
            for (AclEntry e : acl) {
                present |= e.identifier().equals(key);
            }
            if (!present) {
                return; // RFC 4314 3.2: nothing to remove is no failure
            }
        }
        own.setAcl(name, key, rights);
    }

    /**
     * The rights of the identifier {@code owner} itself, with {@code anyone}'s and less their negative
     * rights: Courier refuses to write an ACL where that lacks {@code l} or {@code a}, so Posthorn
     * never writes one Courier could not change afterwards.
     */
    private static String ownerEntry(List<AclEntry> acl) {
        String granted = "";
        String revoked = "";
        for (AclEntry e : acl) {
            boolean negative = e.identifier().startsWith("-");
            String id = negative ? e.identifier().substring(1) : e.identifier();
            if (id.equals("owner") || id.equals("anyone") || id.equals("anonymous")) {
                if (negative) {
                    revoked = Rights.union(revoked, e.rights());
                } else {
                    granted = Rights.union(granted, e.rights());
                }
            }
        }
        return Rights.minus(granted, revoked);
    }

    @Override
    public char separator() {
        return own.separator();
    }

    /**
     * LIST (RFC 4314 4): only the mailboxes the user has {@code l} on, never NO for one left out; a
     * level without a mailbox of its own (\Noselect) only where a mailbox under it is shown.
     */
    @Override
    public List<MailboxInfo> list() throws StoreException {
        List<MailboxInfo> all = own.list();
        List<Boolean> visible = new ArrayList<>();
        List<String> shown = new ArrayList<>();
        for (MailboxInfo info : all) {
            Boolean v;
            try {
                v = Rights.has(rights(info.name()), 'l');
            } catch (StoreException e) {
                if (e.reason() != StoreException.Reason.NONEXISTENT) {
                    throw e;
                }
                v = null; // a level without a mailbox, or one deleted meanwhile
            }
            visible.add(v);
            if (Boolean.TRUE.equals(v)) {
                shown.add(info.name());
            }
        }
        List<MailboxInfo> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            MailboxInfo info = all.get(i);
            Boolean v = visible.get(i);
            if (v == null) {
                String prefix = info.name() + separator();
                v = shown.stream().anyMatch(n -> n.startsWith(prefix));
            }
            if (v) {
                out.add(info);
            }
        }
        return out;
    }

    @Override
    public List<String> subscriptions() throws StoreException {
        return own.subscriptions();
    }

    @Override
    public void subscribe(String name, boolean subscribed) throws StoreException {
        own.subscribe(name, subscribed);
    }

    /**
     * A handle whose operations check rights: reading the mailbox (its first sync, a message's text)
     * needs {@code r}, appending {@code i}. Opening needs one of {@code l r i}, so that APPEND to a
     * mailbox the user may only insert into works.
     */
    @Override
    public Mailbox open(String name, boolean readOnly) throws StoreException {
        return open(name, readOnly, name, null);
    }

    /**
     * Opens a mailbox that the session knows as {@code shown} (its name in the shared namespace);
     * COPY and MOVE targets are then resolved by {@code router}, which may lead into another user's mail.
     */
    GuardedMailbox open(String name, boolean readOnly, String shown, SharedMail router) throws StoreException {
        Rights.require(rights(name), "lri", true, shown, "Opening");
        return new GuardedMailbox(own.open(name, readOnly), this, shown, router);
    }

    @Override
    public MailboxStatus status(String name) throws StoreException {
        Rights.require(rights(name), "r", false, name, "STATUS");
        return own.status(name);
    }

    @Override
    public void create(String name) throws StoreException {
        String parent = parent(name);
        Rights.require(rights(parent), "k", false, parent, "CREATE");
        own.create(name);
    }

    /** CREATE with special uses (RFC 6154 3): {@code k} on the parent, as {@link #create(String)}. */
    public void create(String name, Set<String> uses) throws StoreException {
        String parent = parent(name);
        Rights.require(rights(parent), "k", false, parent, "CREATE");
        if (!(own instanceof posthorn.store.api.SpecialUseMail special)) {
            throw new StoreException(StoreException.Reason.CANNOT, "This server's store keeps no special uses");
        }
        special.create(name, uses);
    }

    @Override
    public void delete(String name) throws StoreException {
        Rights.require(rights(name), "x", false, name, "DELETE");
        own.delete(name);
    }

    @Override
    public void rename(String from, String to) throws StoreException {
        Rights.require(rights(from), "x", false, from, "RENAME");
        String parent = parent(to);
        Rights.require(rights(parent), "k", false, parent, "RENAME");
        own.rename(from, to);
    }

    /**
     * The nearest existing parent of a mailbox name; INBOX for a top-level name (Courier keeps the
     * create right of top-level folders on INBOX).
     */
    private String parent(String name) throws StoreException {
        String n = name.endsWith(String.valueOf(separator())) ? name.substring(0, name.length() - 1) : name;
        Set<String> existing = new HashSet<>();
        for (MailboxInfo info : own.list()) {
            // a \Noselect level (Work of Work.2024.Q1 with no .Work of its own) has no ACL to ask
            if (!info.attributes().contains("\\Noselect") && !info.attributes().contains("\\NonExistent")) {
                existing.add(info.name());
            }
        }
        int cut = n.lastIndexOf(separator());
        while (cut > 0) {
            n = n.substring(0, cut);
            if (existing.contains(n)) {
                return n;
            }
            cut = n.lastIndexOf(separator());
        }
        return "INBOX";
    }

    @Override
    public List<Quota> quota() throws StoreException {
        return own.quota();
    }

    @Override
    public MessageUpload upload() throws StoreException {
        return own.upload();
    }

    /** The wrapped mail, for a copy within it. */
    AclMail store() {
        return own;
    }

    /** Whether the flags map of a copy must be filtered. */
    static boolean allFlagRights(String rights) {
        return Rights.has(rights, 's') && Rights.has(rights, 'w') && Rights.has(rights, 't');
    }

    @Override
    public void close() {
        own.close();
    }

}
