package posthorn.imap.server.internal.acl;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * A logged-in user's mail with the shared namespace (RFC 2342 "other users' namespace"), in
 * Dovecot's form: {@code shared.OWNER.FOLDER} is the folder {@code FOLDER} of user {@code OWNER}
 * ({@code shared.alice.INBOX} her INBOX), with the store's separator, as Dovecot 2.3 serves it with
 * {@code namespace { type = shared; separator = .; prefix = shared.%%u. }} (Dovecot refuses a
 * {@code shared/} prefix beside a {@code .} personal namespace). Every other name is the user's own.
 *
 * <p>Another user's mail is found through the auth chain (the user record, as at login) and opened by
 * the store without being created ({@code Owners}), when a name first needs it, and closed with this
 * session's mail. It is used through a {@link GuardedMail} of that owner for this user, so every right
 * is checked against the owner's ACLs as for one's own mailboxes. A name that reaches no mailbox the
 * user may see (no such user, no such folder, or no {@code l}/{@code r}) is NO [NONEXISTENT] in the
 * same words, so that nobody learns who exists. Owner names with {@code /}, control characters, or
 * that are {@code .} or {@code ..} are never looked up, and the folder part is the owner's store's to
 * check, as for the owner's own names: nothing leaves the owner's Maildir.
 *
 * <p>A user name may itself hold the separator ({@code john.doe}, {@code bob@example.org}): the longest
 * owner that exists wins ({@code shared.john.doe.X} is john.doe's X if john.doe exists, else john's
 * doe.X), at most {@value #MAX_OWNER_LEVELS} levels tried. LIST shows the mailboxes of the owners the
 * {@link SharedIndex} names for this user on which the user has {@code l}, under {@code \Noselect}
 * levels {@code shared} and {@code shared.OWNER} (RFC 3501 6.3.8, RFC 5258). Not thread-safe, like
 * the mail it wraps.
 */
public final class SharedMail implements UserMail {
    private static final Logger LOG = LoggerFactory.getLogger(SharedMail.class);
    /** The first level of every shared name. */
    public static final String ROOT = "shared";
    /** Levels of a shared name tried as the owner's name. */
    static final int MAX_OWNER_LEVELS = 8;
    /** Owners found missing, remembered per session (bounded). */
    private static final int MAX_MISSING = 256;

    /** How another user's mail is found: never created, never for a name that is not a login. */
    @FunctionalInterface
    public interface Owners {
        /** The owner's mail, or null if there is no such user or they have no mail. */
        AclMail open(String owner) throws StoreException;
    }

    /** Where a name leads: whose mail, and the name in it. */
    public record Target(GuardedMail mail, String owner, String name) {
    }

    private final GuardedMail own;
    private final UserRecord user;
    private final Owners owners;
    private final SharedIndex index;
    private final String prefix;
    private final Map<String, GuardedMail> opened = new LinkedHashMap<>();
    private final Set<String> missing = new HashSet<>();

    public SharedMail(GuardedMail own, UserRecord user, Owners owners, SharedIndex index) {
        this.own = own;
        this.user = user;
        this.owners = owners;
        this.index = index;
        this.prefix = ROOT + own.separator();
    }

    /** The namespace's prefix as NAMESPACE announces it ({@code shared.}). */
    public String prefix() {
        return prefix;
    }

    /** The user's own mail. */
    public GuardedMail own() {
        return own;
    }

    /**
     * The user's rights on a mailbox of the session's mail, or null when the mail keeps no ACLs.
     *
     * @throws StoreException NONEXISTENT if the mailbox does not exist or names no owner's
     */
    public static String rightsOf(UserMail mail, String name) throws StoreException {
        if (mail instanceof SharedMail s) {
            try {
                Target t = s.resolve(name);
                return t.mail().rights(t.name());
            } catch (StoreException e) {
                throw s.hidden(name, e);
            }
        }
        return mail instanceof GuardedMail g ? g.rights(name) : null;
    }

    /** Whether a name lies in the shared namespace (its root level included). */
    public boolean shared(String name) {
        return name.equals(ROOT) || name.startsWith(prefix);
    }

    /**
     * Where a mailbox name leads.
     *
     * @throws StoreException NONEXISTENT for a name in the shared namespace that names no owner's
     *         mailbox (a level of the namespace, an owner that does not exist or has no mail)
     */
    public Target resolve(String name) throws StoreException {
        if (!shared(name)) {
            return new Target(own, user.name(), name);
        }
        String sep = String.valueOf(own.separator());
        String rest = name.equals(ROOT) ? "" : name.substring(prefix.length());
        String[] parts = rest.split(java.util.regex.Pattern.quote(sep), -1);
        if (!rest.isEmpty() && parts.length >= 2) {
            for (int k = Math.min(parts.length - 1, MAX_OWNER_LEVELS); k >= 1; k--) {
                String owner = String.join(sep, java.util.Arrays.copyOfRange(parts, 0, k));
                GuardedMail m = mailOf(owner);
                if (m != null) {
                    String folder = String.join(sep, java.util.Arrays.copyOfRange(parts, k, parts.length));
                    return new Target(m, owner, folder.equalsIgnoreCase("INBOX") ? "INBOX" : folder);
                }
            }
        }
        throw new StoreException(StoreException.Reason.NONEXISTENT, "No such mailbox: " + name);
    }

    /** Whether a name is only a level of the shared namespace ({@code shared}, {@code shared.x}). */
    private boolean level(String name) {
        return name.equals(ROOT) || name.equals(prefix)
                || (name.startsWith(prefix) && name.indexOf(own.separator(), prefix.length()) < 0);
    }

    /**
     * Another user's mail without this user's rights applied, for what the owner authorized by other
     * means: a URLAUTH URL whose token the owner's key signed (RFC 4467), fetched by a submission
     * server. Null if there is no such user or they have no mail.
     */
    public UserMail ownerMail(String owner) throws StoreException {
        GuardedMail m = mailOf(owner);
        return m == null ? null : m.unguarded();
    }

    /** The owner's mail as this user may use it, opened once per session; null if none. */
    private GuardedMail mailOf(String owner) throws StoreException {
        if (owner.equals(user.name())) {
            return own;
        }
        if (!loginName(owner) || missing.contains(owner)) {
            return null;
        }
        GuardedMail m = opened.get(owner);
        if (m != null) {
            return m;
        }
        AclMail acl = owners.open(owner);
        if (acl == null) {
            if (missing.size() >= MAX_MISSING) {
                missing.clear();
            }
            missing.add(owner);
            return null;
        }
        m = new GuardedMail(acl, user, owner);
        opened.put(owner, m);
        LOG.debug("shared mail of {} opened for {}", owner, user.name());
        return m;
    }

    /** A name that may be looked up as a login: no path tricks, no control characters. */
    static boolean loginName(String owner) {
        if (owner.isEmpty() || owner.length() > 255 || owner.equals(".") || owner.equals("..")) {
            return false;
        }
        for (int i = 0; i < owner.length(); i++) {
            char c = owner.charAt(i);
            if (c < 0x21 || c == 0x7f || c == '/' || c == '\\' || (c >= 0x80 && c < 0xa0)) {
                return false;
            }
        }
        return true;
    }

    /** The stored identifiers that name this user (ACL2=UNION: the user, anyone, the user's groups). */
    private Set<String> identifiers() {
        Set<String> ids = new HashSet<>(Set.of("user=" + user.name(), "anyone", "anonymous", "authuser"));
        String g = user.options().get("group");
        if (g != null) {
            for (String s : g.split(",")) {
                if (!s.isBlank()) {
                    ids.add("group=" + s.strip());
                }
            }
        }
        return ids;
    }

    /**
     * After an ACL of {@code t}'s owner changed: the index learns whom the owner's ACLs grant
     * something now (every folder's list, positive entries, the owner and administrators left out).
     */
    public void aclChanged(Target t) {
        Set<String> ids = new TreeSet<>();
        try {
            AclMail m = t.mail().unguarded();
            for (MailboxInfo info : m.list()) {
                if (info.attributes().contains("\\Noselect") || info.attributes().contains("\\NonExistent")) {
                    continue;
                }
                for (AclEntry e : m.acl(info.name())) {
                    String id = e.identifier();
                    if (!id.startsWith("-") && !id.equals("owner") && !Identifiers.administrators(id)
                            && !id.equals("user=" + t.owner()) && !e.rights().isEmpty()) {
                        ids.add(id);
                    }
                }
            }
        } catch (StoreException e) {
            LOG.warn("event=shared.index.skipped owner={} reason={}", t.owner(), e.getMessage());
            return;
        }
        index.update(t.owner(), ids);
    }

    @Override
    public char separator() {
        return own.separator();
    }

    /**
     * The user's mailboxes, then those other users let the user see (l): {@code shared} and
     * {@code shared.OWNER} as \Noselect levels above them. \HasChildren counts only what is shown.
     */
    @Override
    public List<MailboxInfo> list() throws StoreException {
        List<MailboxInfo> out = new ArrayList<>();
        for (MailboxInfo info : own.list()) {
            if (!shared(info.name())) {
                out.add(info); // a personal folder under the shared root is out of reach, as in Dovecot
            }
        }
        List<MailboxInfo> others = new ArrayList<>();
        char sep = own.separator();
        for (String owner : index.ownersFor(identifiers(), user.name())) {
            GuardedMail m;
            List<MailboxInfo> visible;
            try {
                m = mailOf(owner);
                if (m == null) {
                    continue;
                }
                visible = m.list();
            } catch (StoreException e) {
                LOG.debug("LIST of {}'s shared mailboxes for {}: {}", owner, user.name(), e.getMessage());
                continue;
            }
            if (visible.isEmpty()) {
                continue;
            }
            others.add(new MailboxInfo(prefix + owner, Set.of("\\Noselect", "\\HasChildren")));
            for (MailboxInfo info : visible) {
                Set<String> attributes = new LinkedHashSet<>(info.attributes());
                attributes.remove("\\HasChildren");
                attributes.remove("\\HasNoChildren");
                String below = info.name() + sep;
                boolean children = visible.stream().anyMatch(v -> v.name().startsWith(below));
                attributes.add(children ? "\\HasChildren" : "\\HasNoChildren");
                others.add(new MailboxInfo(prefix + owner + sep + info.name(), attributes));
            }
        }
        if (!others.isEmpty()) {
            out.add(new MailboxInfo(ROOT, Set.of("\\Noselect", "\\HasChildren")));
            out.addAll(others);
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
     * The one answer for a shared name that reaches no mailbox the user may see: the store's words for
     * a missing folder and the rights check's for a hidden one must not differ (RFC 4314 6).
     */
    public StoreException hidden(String name, StoreException e) {
        if (e.reason() == StoreException.Reason.NONEXISTENT && shared(name)) {
            return new StoreException(StoreException.Reason.NONEXISTENT, "No such mailbox: " + name);
        }
        return e;
    }

    @Override
    public Mailbox open(String name, boolean readOnly) throws StoreException {
        try {
            Target t = resolve(name);
            return t.mail().open(t.name(), readOnly, name, this);
        } catch (StoreException e) {
            throw hidden(name, e);
        }
    }

    @Override
    public MailboxStatus status(String name) throws StoreException {
        try {
            Target t = resolve(name);
            return t.mail().status(t.name());
        } catch (StoreException e) {
            throw hidden(name, e);
        }
    }

    @Override
    public void create(String name) throws StoreException {
        if (shared(name) && level(name)) {
            throw new StoreException(StoreException.Reason.CANNOT,
                    name + " is a level of the shared namespace (" + prefix + "USER.FOLDER), not a mailbox");
        }
        try {
            Target t = resolve(name);
            t.mail().create(t.name());
        } catch (StoreException e) {
            throw hidden(name, e);
        }
    }

    @Override
    public void delete(String name) throws StoreException {
        try {
            Target t = resolve(name);
            t.mail().delete(t.name());
        } catch (StoreException e) {
            throw hidden(name, e);
        }
    }

    @Override
    public void rename(String from, String to) throws StoreException {
        Target f = resolve(from);
        if (shared(to) && level(to)) {
            throw new StoreException(StoreException.Reason.CANNOT, to + " is a level of the shared namespace, not a mailbox");
        }
        Target t = resolve(to);
        if (f.mail() != t.mail()) {
            throw new StoreException(StoreException.Reason.CANNOT, "A mailbox cannot be renamed into another user's mail");
        }
        f.mail().rename(f.name(), t.name());
    }

    @Override
    public List<Quota> quota() throws StoreException {
        return own.quota();
    }

    @Override
    public MessageUpload upload() throws StoreException {
        return own.upload();
    }

    /** Closes the user's mail and every other user's mail this session opened. */
    @Override
    public void close() {
        for (GuardedMail m : opened.values()) {
            try {
                m.close();
            } catch (RuntimeException e) {
                LOG.warn("closing shared mail for {}: {}", user.name(), e.toString());
            }
        }
        opened.clear();
        own.close();
    }
}
