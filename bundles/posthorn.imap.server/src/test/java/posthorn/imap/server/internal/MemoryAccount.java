package posthorn.imap.server.internal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import posthorn.store.api.MailboxInfo;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;

/**
 * One user's mailboxes by name and their subscriptions, shared by the user's sessions. Names are
 * those of the Maildir store (store.api 1.3: no namespace prefix): INBOX in any case, "INBOX.x" a
 * child of INBOX, every other mailbox by its name, with no empty level. Thread-safe.
 */
final class MemoryAccount {
    /** Sizes are unknown until measured (see MemoryStore.lazySizes). */
    volatile boolean lazySizes;
    /** The account's mailboxes keep no MODSEQs (RFC 7162 NOMODSEQ; see MemoryStore.noModSeq). */
    volatile boolean noModSeq;
    final java.util.concurrent.atomic.AtomicLong sizesMeasured = new java.util.concurrent.atomic.AtomicLong();

    static final String INBOX = "INBOX";
    static final char SEPARATOR = '.';

    /** By canonical name, INBOX included. */
    private final TreeMap<String, MemoryFolder> folders = new TreeMap<>(Map.of(INBOX, new MemoryFolder()));
    private final Set<String> subscriptions = new LinkedHashSet<>();
    /** What all mailboxes may hold together, in bytes ({@link MemoryStore#quota}). */
    volatile long quotaBytes = Long.MAX_VALUE;

    /** Bytes in all mailboxes. */
    synchronized long bytes() {
        return folders.values().stream().mapToLong(f -> f.status().size()).sum();
    }

    synchronized MemoryFolder inbox() {
        return folders.get(INBOX);
    }

    /** @throws StoreException NONEXISTENT if there is no such mailbox */
    synchronized MemoryFolder folder(String canonical) throws StoreException {
        MemoryFolder f = folders.get(canonical);
        if (f == null) {
            throw new StoreException(Reason.NONEXISTENT, "No mailbox " + canonical);
        }
        return f;
    }

    /** The target of a COPY or MOVE: TRYCREATE when it does not exist (RFC 3501 6.4.7). */
    synchronized MemoryFolder target(String name) throws StoreException {
        String canonical;
        try {
            canonical = canonical(name);
        } catch (StoreException e) {
            throw new StoreException(Reason.TRYCREATE, e.getMessage());
        }
        MemoryFolder f = folders.get(canonical);
        if (f == null) {
            throw new StoreException(Reason.TRYCREATE, "No mailbox " + canonical);
        }
        return f;
    }

    /** INBOX first, then every name sorted, with the levels between them that have no mailbox. */
    synchronized List<MailboxInfo> list() {
        TreeSet<String> all = new TreeSet<>(folders.keySet());
        all.remove(INBOX);
        for (String name : List.copyOf(all)) {
            for (String p = parent(name); p != null && !p.equals(INBOX); p = parent(p)) {
                all.add(p);
            }
        }
        List<MailboxInfo> out = new ArrayList<>();
        boolean inboxChildren = !all.subSet(INBOX + SEPARATOR, INBOX + (char) (SEPARATOR + 1)).isEmpty();
        out.add(new MailboxInfo(INBOX, Set.of(inboxChildren ? "\\HasChildren" : "\\HasNoChildren")));
        for (String name : all) {
            Set<String> attributes = new LinkedHashSet<>();
            attributes.add(all.subSet(name + SEPARATOR, name + (char) (SEPARATOR + 1)).isEmpty()
                    ? "\\HasNoChildren" : "\\HasChildren");
            if (!folders.containsKey(name)) {
                attributes.add("\\Noselect");
            } else if (specialUse(name) != null) {
                attributes.add(specialUse(name));
            }
            out.add(new MailboxInfo(name, attributes));
        }
        return out;
    }

    synchronized List<String> subscriptions() {
        return List.copyOf(subscriptions);
    }

    synchronized void subscribe(String name, boolean subscribed) throws StoreException {
        if (subscribed) {
            subscriptions.add(canonical(name));
        } else {
            subscriptions.remove(canonical(name));
        }
    }

    /**
     * The ACL of a mailbox, as the Maildir store keeps it: its own, else its nearest parent's, else
     * INBOX's default (owner every right); administrators always every right.
     */
    synchronized java.util.List<posthorn.store.api.AclEntry> acl(String name) throws StoreException {
        String canonical = canonical(name);
        folder(canonical);
        java.util.LinkedHashMap<String, String> acl = own(canonical);
        java.util.List<posthorn.store.api.AclEntry> out = new java.util.ArrayList<>();
        acl.forEach((id, r) -> out.add(new posthorn.store.api.AclEntry(id, r)));
        if (!acl.containsKey("administrators")) {
            out.add(new posthorn.store.api.AclEntry("administrators", "aeiklrstwx"));
        }
        return out;
    }

    private java.util.LinkedHashMap<String, String> own(String canonical) {
        String n = canonical;
        while (true) {
            MemoryFolder f = folders.get(n);
            if (f != null && f.acl != null) {
                return f.acl;
            }
            int dot = n.lastIndexOf(SEPARATOR);
            if (dot < 0) {
                java.util.LinkedHashMap<String, String> def = new java.util.LinkedHashMap<>();
                def.put("owner", "aeiklrstwx");
                def.put("administrators", "aeiklrstwx");
                return def;
            }
            n = n.substring(0, dot);
        }
    }

    synchronized void setAcl(String name, String identifier, String rights) throws StoreException {
        String canonical = canonical(name);
        MemoryFolder f = folder(canonical);
        java.util.LinkedHashMap<String, String> acl = new java.util.LinkedHashMap<>(own(canonical));
        if (rights == null) {
            acl.remove(identifier);
        } else {
            acl.put(identifier, rights);
        }
        f.acl = acl;
    }

    synchronized void create(String name) throws StoreException {
        // RFC 3501 6.3.3: a trailing separator only says the client means to create inferiors.
        String n = name != null && name.length() > 1 && name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        String canonical;
        try {
            canonical = canonical(n);
        } catch (StoreException e) {
            throw new StoreException(Reason.CANNOT, e.getMessage());
        }
        if (folders.containsKey(canonical)) {
            throw new StoreException(Reason.ALREADYEXISTS, "Mailbox " + canonical + " already exists");
        }
        folders.put(canonical, new MemoryFolder());
    }

    synchronized void delete(String name) throws StoreException {
        String canonical = canonical(name);
        if (canonical.equals(INBOX)) {
            throw new StoreException(Reason.CANNOT, "INBOX cannot be deleted");
        }
        if (folders.remove(canonical) == null) {
            throw new StoreException(Reason.NONEXISTENT, "No mailbox " + canonical);
        }
    }

    /**
     * Renames a mailbox and its inferiors (RFC 3501 6.3.5); renaming INBOX moves its messages into
     * a new mailbox and leaves INBOX, empty.
     */
    void rename(String from, String to) throws StoreException {
        String src = canonical(from);
        String dst;
        try {
            dst = canonical(to);
        } catch (StoreException e) {
            throw new StoreException(Reason.CANNOT, e.getMessage());
        }
        MemoryFolder inbox;
        List<Long> all;
        synchronized (this) {
            if (dst.equals(INBOX)) {
                throw new StoreException(Reason.ALREADYEXISTS, "INBOX always exists");
            }
            if (!src.equals(INBOX)) {
                folder(src);
                Map<String, String> moves = new TreeMap<>();
                for (String name : folders.keySet()) {
                    if (name.equals(src) || name.startsWith(src + SEPARATOR)) {
                        moves.put(name, dst + name.substring(src.length()));
                    }
                }
                for (String target : moves.values()) {
                    if (folders.containsKey(target)) {
                        throw new StoreException(Reason.ALREADYEXISTS, "Mailbox " + to + " or an inferior already exists");
                    }
                }
                Map<String, MemoryFolder> moved = new TreeMap<>();
                moves.forEach((a, b) -> moved.put(b, folders.remove(a)));
                folders.putAll(moved);
                return;
            }
            create(dst);
            inbox = folders.get(INBOX);
            all = new ArrayList<>();
            for (MemoryFolder.Message m : inbox.sync(false, Set.of()).messages()) {
                all.add(m.uid);
            }
        }
        inbox.transfer(all, folder(dst), true);
    }

    /**
     * The canonical spelling of a name: INBOX in upper case (RFC 3501 5.1), the rest as given.
     *
     * @throws StoreException CANNOT for an empty level, a '/' or a control character
     */
    static String canonical(String name) throws StoreException {
        if (name == null || name.isEmpty()) {
            throw new StoreException(Reason.CANNOT, "Empty mailbox name");
        }
        if (name.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '/')) {
            throw new StoreException(Reason.CANNOT, "Control character in mailbox name");
        }
        String[] levels = name.split("\\.", -1);
        for (String level : levels) {
            if (level.isEmpty()) {
                throw new StoreException(Reason.CANNOT, "Empty hierarchy level in mailbox name");
            }
        }
        if (!levels[0].equalsIgnoreCase(INBOX)) {
            return name;
        }
        return INBOX + name.substring(INBOX.length());
    }

    private static String parent(String canonical) {
        int dot = canonical.lastIndexOf(SEPARATOR);
        return dot < 0 ? null : canonical.substring(0, dot);
    }

    /** The special-use attribute (RFC 6154) the Maildir store gives a top-level folder. */
    private static String specialUse(String name) {
        if (parent(name) != null) {
            return null;
        }
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "sent", "sent messages", "sent items" -> "\\Sent";
            case "drafts" -> "\\Drafts";
            case "trash", "deleted messages", "deleted items" -> "\\Trash";
            case "junk", "spam" -> "\\Junk";
            case "archive", "archives" -> "\\Archive";
            default -> null;
        };
    }
}
