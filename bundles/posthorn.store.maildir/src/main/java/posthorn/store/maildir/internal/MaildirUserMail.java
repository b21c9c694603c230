package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.store.api.AclEntry;
import posthorn.store.api.AclMail;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MailboxInfo;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.Quota;
import posthorn.store.api.QuotaMail;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;
import posthorn.store.api.MailListener;
import posthorn.store.api.Watch;
import posthorn.store.api.WatchMail;

/**
 * One user's Maildir++ for one session. Folder operations work on directory names produced by
 * {@link FolderNames}, which keeps every name inside the Maildir root. Not thread-safe beyond what the
 * SPI asks, except {@link #close()}, which may come from another thread (an admin kick).
 */
final class MaildirUserMail implements QuotaMail, AclMail, WatchMail, posthorn.store.api.MetadataMail,
        posthorn.store.api.ObjectIdMail, posthorn.store.api.SpecialUseMail {
    private static final Logger LOG = LoggerFactory.getLogger(MaildirUserMail.class);
    static final String SUBSCRIPTIONS = "courierimapsubscribed";
    static final String FOLDER_MARKER = "maildirfolder";
    static final String QUOTA_FILE = "maildirsize";
    /** The name of the Maildir's one quota root, as Courier-IMAP names it. */
    static final String QUOTA_ROOT = "ROOT";

    private final MaildirStore store;
    private final Path root;
    private final String user;
    private final Set<MaildirMailbox> open = ConcurrentHashMap.newKeySet();
    /** Uploads not closed yet; closing the user's mail removes them. */
    private final Set<TmpMessage> uploads = ConcurrentHashMap.newKeySet();
    /** Folders this session has used, kept referenced (and their caches warm) until it closes. */
    private final Map<Path, MaildirFolder> held = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private final MaildirQuota quota;

    /** The user record's quota, as given; kept for the arrival notices' StoreUser. */
    private final String quotaDefinition;

    MaildirUserMail(MaildirStore store, Path root, String user, String quotaDefinition) {
        this.quota = new MaildirQuota(root, quotaDefinition);
        this.quotaDefinition = quotaDefinition;
        this.store = store;
        this.root = root;
        this.user = user;
    }

    MaildirQuota quotaFile() {
        return quota;
    }

    Path root() {
        return root;
    }

    @Override
    public char separator() {
        return FolderNames.SEPARATOR;
    }

    private Path dirOf(String canonical) {
        if (FolderNames.isInbox(canonical)) {
            return root;
        }
        Path dir = root.resolve(FolderNames.directory(canonical));
        if (!root.equals(dir.getParent())) {
            throw new IllegalStateException("mailbox name escaped the Maildir: " + canonical);
        }
        return dir;
    }

    /** For tests: the shared folder this session holds for a directory. */
    MaildirFolder heldFolder(Path dir) {
        return held.get(dir);
    }

    private MaildirFolder folder(Path dir) {
        MaildirFolder f = held.computeIfAbsent(dir, store::acquire);
        if (!f.hasArrivals()) {
            f.arrivals(store.arrivalNotice(user, quotaDefinition, root, dir));
        }
        return f;
    }

    /** Folder names found on disk, canonical and decoded, sorted. */
    private TreeSet<String> folderNames() throws StoreException {
        TreeSet<String> names = new TreeSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, ".*")) {
            for (Path p : entries) {
                String dirName = p.getFileName().toString();
                if (dirName.equals(".") || dirName.equals("..") || !Files.isDirectory(p)) {
                    continue;
                }
                var name = FolderNames.fromDirectory(dirName);
                if (name.isPresent()) {
                    names.add(name.get());
                } else {
                    LOG.debug("Ignoring {} in {}: not a Maildir++ folder name", dirName, root);
                }
            }
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot list the folders of " + user, e);
        }
        return names;
    }

    @Override
    public List<MailboxInfo> list() throws StoreException {
        checkOpen();
        UserWatch watch = store.userWatch(root);
        TreeSet<String> real;
        if (watch == null) {
            real = folderNames();
        } else {
            Lock listing = watch.listingLock();
            listing.lock();
            try {
                real = folderNames(); // not halfway through a rename its watchers have not heard of yet
            } finally {
                listing.unlock();
            }
        }
        TreeSet<String> all = new TreeSet<>(real);
        for (String name : real) {
            // Maildir++ has no directory for a parent level; show a missing one as \Noselect (RFC 3501 6.3.8).
            for (String p = FolderNames.parent(name); p != null && !FolderNames.isInbox(p); p = FolderNames.parent(p)) {
                all.add(p);
            }
        }
        List<MailboxInfo> result = new ArrayList<>(all.size() + 1);
        boolean inboxChildren = !all.subSet(FolderNames.INBOX + FolderNames.SEPARATOR, FolderNames.INBOX + '/').isEmpty();
        result.add(new MailboxInfo(FolderNames.INBOX, Set.of(inboxChildren ? "\\HasChildren" : "\\HasNoChildren")));
        for (String name : all) {
            // Every name starting with "name." sorts between "name." and "name/" ('/' follows '.').
            boolean children = !all.subSet(name + FolderNames.SEPARATOR, name + '/').isEmpty();
            Set<String> attrs = new LinkedHashSet<>();
            attrs.add(children ? "\\HasChildren" : "\\HasNoChildren");
            if (!real.contains(name)) {
                attrs.add("\\Noselect");
            } else {
                Set<String> stored = storedSpecialUses(dirOf(name));
                if (!stored.isEmpty()) {
                    attrs.addAll(stored);
                } else {
                    String use = specialUse(name);
                    if (use != null) {
                        attrs.add(use);
                    }
                }
            }
            result.add(new MailboxInfo(name, attrs));
        }
        return result;
    }

    /**
     * The special-use attribute (RFC 6154) of a top-level folder (a directory {@code .Sent}: Courier's
     * {@code INBOX.Sent}) with one of the names clients and Courier's own webmail use for them (Sent,
     * Drafts, Trash, Junk or Spam, Archive), in any case; null for any other folder. Maildir++ keeps no
     * such metadata of its own.
     */
    static String specialUse(String name) {
        if (name.indexOf(FolderNames.SEPARATOR) >= 0) {
            return null;
        }
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "sent", "sent messages", "sent items" -> "\\Sent";
            case "drafts" -> "\\Drafts";
            case "trash", "deleted messages", "deleted items" -> "\\Trash";
            case "junk", "spam" -> "\\Junk";
            case "archive", "archives" -> "\\Archive";
            default -> null;
        };
    }

    /** The special uses a client gave the folder at CREATE (RFC 6154 3); empty for none or unreadable. */
    private Set<String> storedSpecialUses(Path dir) {
        try {
            return FolderAttributes.specialUses(dir);
        } catch (IOException e) {
            LOG.warn("event=specialuse.unreadable dir={} reason=\"{}\"", dir, e.toString());
            return Set.of();
        }
    }

    /** RFC 6154 2: the special uses (the five the name rule above knows, and \\All and \\Flagged). */
    static final Set<String> SPECIAL_USES = Set.of("\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk",
            "\\Sent", "\\Trash");

    @Override
    public Set<String> specialUses() {
        return SPECIAL_USES;
    }

    @Override
    public void create(String name, Set<String> uses) throws StoreException {
        for (String u : uses) {
            if (!SPECIAL_USES.contains(u)) {
                throw new StoreException(Reason.CANNOT, "Special use not kept here: " + u);
            }
        }
        create(name);
        if (uses.isEmpty()) {
            return;
        }
        String n = name.length() > 1 && name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        Path dir = dirOf(FolderNames.canonical(n));
        try {
            FolderAttributes.create(dir, uses);
        } catch (IOException e) {
            try {
                delete(n); // RFC 6154 3: the mailbox exists with its uses or not at all
            } catch (StoreException again) {
                LOG.warn("event=specialuse.undo.failed mailbox={} user={} reason=\"{}\"", n, user, again.getMessage());
            }
            throw new StoreException(Reason.SERVERBUG, "Cannot keep the special use of " + n, e);
        }
        LOG.info("event=specialuse.created user={} mailbox={} uses=\"{}\"", user, n, String.join(" ", uses));
    }

    @Override
    public String mailboxId(String name) throws StoreException {
        Path dir = existing(name);
        try {
            return FolderAttributes.mailboxId(dir);
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot keep the id of " + name, e);
        }
    }

    /** The file of a mailbox's METADATA entries, or of the server's for null. */
    private Path metadataFile(String mailbox) throws StoreException {
        if (mailbox == null) {
            checkOpen();
            return root.resolve(MetadataFile.SERVER_FILE);
        }
        return existing(mailbox).resolve(MetadataFile.FOLDER_FILE);
    }

    @Override
    public java.util.SortedMap<String, byte[]> metadata(String mailbox) throws StoreException {
        Path file = metadataFile(mailbox);
        try {
            return MetadataFile.read(file);
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot read the metadata of " + (mailbox == null ? "the server" : mailbox), e);
        }
    }

    @Override
    public void setMetadata(String mailbox, Map<String, byte[]> changes) throws StoreException {
        Path file = metadataFile(mailbox);
        try {
            MetadataFile.change(file, changes);
        } catch (IllegalArgumentException e) {
            throw new StoreException(Reason.CANNOT, "Entry name cannot be kept");
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot write the metadata of " + (mailbox == null ? "the server" : mailbox), e);
        }
    }

    @Override
    public List<String> subscriptions() throws StoreException {
        checkOpen();
        List<String> names = new ArrayList<>();
        for (String line : readSubscriptions()) {
            String name = fromSubscriptionLine(line);
            if (name != null) {
                names.add(name);
            }
        }
        return names;
    }

    /**
     * Courier's courierimapsubscribed names folders as its IMAP clients see them, under its fixed
     * {@code INBOX.} namespace ({@code INBOX.Sent} for the directory {@code .Sent}); the store's names
     * have no prefix. A line outside that namespace (e.g. Courier's shared folders) is kept in the
     * file but is no name of this store: null.
     */
    static String fromSubscriptionLine(String line) {
        String prefix = FolderNames.INBOX + FolderNames.SEPARATOR;
        if (line.equals(FolderNames.INBOX)) {
            return FolderNames.INBOX;
        }
        return line.startsWith(prefix) && line.length() > prefix.length() ? line.substring(prefix.length()) : null;
    }

    static String toSubscriptionLine(String canonical) {
        return FolderNames.isInbox(canonical) ? canonical : FolderNames.INBOX + FolderNames.SEPARATOR + canonical;
    }

    /** The file's lines as they are (UTF-8, as Courier-IMAP 5 writes it), blank ones left out. */
    private LinkedHashSet<String> readSubscriptions() throws StoreException {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        try {
            for (String line : Files.readAllLines(root.resolve(SUBSCRIPTIONS), StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                names.add(line);
            }
        } catch (NoSuchFileException e) {
            return names;
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot read the subscriptions of " + user, e);
        }
        return names;
    }

    @Override
    public void subscribe(String name, boolean subscribed) throws StoreException {
        checkOpen();
        String canonical = FolderNames.canonical(name);
        Path file = root.resolve(SUBSCRIPTIONS);
        try (FolderLock.Held held = FolderLock.inProcess(file)) {
            LinkedHashSet<String> names = readSubscriptions();
            String line = toSubscriptionLine(canonical);
            boolean changed = subscribed ? names.add(line) : names.remove(line);
            if (!changed) {
                return;
            }
            StringBuilder text = new StringBuilder();
            for (String n : names) {
                text.append(n).append('\n');
            }
            writeAtomically(file, text.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot write the subscriptions of " + user, e);
        }
        UserWatch watch = store.userWatch(root);
        if (watch != null) {
            watch.subscriptionsChanged();
        }
    }

    /** Writes a whole small file so that a crash leaves the old one or the new one (tmp, fsync, rename), mode 0600. */
    static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp." + ProcessHandle.current().pid() + "."
                + Thread.currentThread().threadId());
        try {
            Files.deleteIfExists(tmp); // left by a crashed process that had the same PID
            try (var ch = OwnerOnly.createFile(tmp)) {
                var buf = java.nio.ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public Mailbox open(String name, boolean readOnly) throws StoreException {
        checkOpen();
        String canonical = FolderNames.canonical(name);
        Path dir = dirOf(canonical);
        if (!Files.isDirectory(dir)) {
            throw new StoreException(Reason.NONEXISTENT, "No mailbox " + canonical);
        }
        try {
            DirectoryScan.ensureSubdirectories(dir);
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot prepare " + dir, e);
        }
        MaildirMailbox box = new MaildirMailbox(this, folder(dir), canonical, readOnly);
        open.add(box);
        if (closed) {
            box.close();
            throw new StoreException(Reason.CANNOT, "The user's mail is closed");
        }
        return box;
    }

    /** The target of a COPY: TRYCREATE when it does not exist (RFC 3501 6.4.7). */
    MaildirFolder folderForCopy(String name) throws StoreException {
        String canonical;
        try {
            canonical = FolderNames.canonical(name);
        } catch (StoreException e) {
            if (e.reason() == Reason.NONEXISTENT) {
                throw new StoreException(Reason.TRYCREATE, e.getMessage());
            }
            throw e;
        }
        Path dir = dirOf(canonical);
        if (!Files.isDirectory(dir.resolve("cur"))) {
            if (!Files.isDirectory(dir)) {
                throw new StoreException(Reason.TRYCREATE, "No mailbox " + canonical);
            }
            try {
                DirectoryScan.ensureSubdirectories(dir);
            } catch (IOException e) {
                throw new StoreException(Reason.SERVERBUG, "Cannot prepare " + dir, e);
            }
        }
        return folder(dir);
    }

    @Override
    public void create(String name) throws StoreException {
        checkOpen();
        // RFC 3501 6.3.3: a trailing separator only says the client means to create inferiors.
        String n = name != null && name.length() > 1 && name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        String canonical;
        try {
            canonical = FolderNames.canonical(n);
        } catch (StoreException e) {
            throw new StoreException(Reason.CANNOT, e.getMessage());
        }
        if (FolderNames.isInbox(canonical)) {
            throw new StoreException(Reason.ALREADYEXISTS, "INBOX always exists");
        }
        Path dir = dirOf(canonical);
        try {
            OwnerOnly.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            throw new StoreException(Reason.ALREADYEXISTS, "Mailbox " + canonical + " already exists");
        } catch (IOException e) {
            throw new StoreException(Reason.CANNOT, "Cannot create mailbox " + canonical + ": " + e.getMessage(), e);
        }
        try {
            DirectoryScan.ensureSubdirectories(dir);
            OwnerOnly.write(dir.resolve(FOLDER_MARKER), new byte[0]);
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot create mailbox " + canonical, e);
        }
        try {
            CourierAcl.inherit(root, dir); // as Courier does at CREATE: the parent's ACL, kept
        } catch (IOException e) {
            LOG.warn("acl mailbox={} user={} reason=\"cannot write the inherited ACL: {}\"", canonical, user, e.toString());
        }
        LOG.info("User {} created mailbox {}", user, canonical);
        hierarchyChanged();
    }

    @Override
    public void delete(String name) throws StoreException {
        checkOpen();
        String canonical = FolderNames.canonical(name);
        if (FolderNames.isInbox(canonical)) {
            throw new StoreException(Reason.CANNOT, "INBOX cannot be deleted");
        }
        Path dir = dirOf(canonical);
        if (!Files.isDirectory(dir)) {
            throw new StoreException(Reason.NONEXISTENT, "No mailbox " + canonical);
        }
        // Move it out of sight in one rename first, so no reader sees a half-deleted folder.
        Path trash = root.resolve("tmp").resolve(".deleted." + MaildirFileName.unique());
        try {
            Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            throw new StoreException(Reason.NONEXISTENT, "No mailbox " + canonical);
        } catch (IOException e) {
            throw new StoreException(Reason.CANNOT, "Cannot delete mailbox " + canonical, e);
        }
        try {
            deleteTree(trash);
        } catch (IOException e) {
            LOG.warn("Mailbox {} of {} deleted, but {} could not be removed completely: {}", canonical, user, trash,
                    e.toString());
        }
        LOG.info("User {} deleted mailbox {}", user, canonical);
        hierarchyChanged();
        quota.recount("mailbox deleted");
    }

    /** Tells the watchers of this user's mail, if any, that folders came or went through this process. */
    private void hierarchyChanged() {
        UserWatch watch = store.userWatch(root);
        if (watch != null) {
            watch.hierarchyChanged();
        }
    }

    /**
     * WatchMail (store.api 1.6): a listener on each named folder that exists (the folder is kept in
     * memory while watched; its first listener starts its kernel watch and its place in the poll
     * round) and on the user's root for the hierarchy and subscriptions.
     */
    @Override
    public Watch watchMail(Set<String> mailboxes, MailListener listener) throws StoreException {
        checkOpen();
        List<Watch> parts = new ArrayList<>();
        List<MaildirFolder> acquired = new ArrayList<>();
        try {
            for (String name : mailboxes) {
                String canonical;
                try {
                    canonical = FolderNames.canonical(name);
                } catch (StoreException e) {
                    continue; // no valid name: no mailbox to watch
                }
                Path dir = dirOf(canonical);
                if (!Files.isDirectory(dir.resolve("cur"))) {
                    continue;
                }
                MaildirFolder f = store.acquire(dir);
                acquired.add(f);
                parts.add(f.addListener(() -> listener.messagesChanged(name)));
            }
            parts.add(store.watchUser(root, listener));
        } catch (RuntimeException e) {
            parts.forEach(Watch::close);
            acquired.forEach(store::release);
            throw e;
        }
        Watch[] self = new Watch[1];
        boolean[] done = new boolean[1];
        self[0] = () -> {
            synchronized (done) {
                if (done[0]) {
                    return;
                }
                done[0] = true;
            }
            parts.forEach(Watch::close);
            acquired.forEach(store::release);
            mailWatches.remove(self[0]);
        };
        mailWatches.add(self[0]);
        if (closed) {
            self[0].close();
            throw new StoreException(Reason.CANNOT, "The user's mail is closed");
        }
        return self[0];
    }

    /** Open WatchMail watches; closing the user's mail closes them. */
    private final Set<Watch> mailWatches = ConcurrentHashMap.newKeySet();

    private static void deleteTree(Path top) throws IOException {
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    @Override
    public void rename(String from, String to) throws StoreException {
        checkOpen();
        String src = FolderNames.canonical(from);
        String dst;
        try {
            dst = FolderNames.canonical(to);
        } catch (StoreException e) {
            throw new StoreException(Reason.CANNOT, e.getMessage());
        }
        if (FolderNames.isInbox(dst)) {
            throw new StoreException(Reason.ALREADYEXISTS, "INBOX always exists");
        }
        if (FolderNames.isInbox(src)) {
            renameInbox(dst);
            return;
        }
        if (!Files.isDirectory(dirOf(src))) {
            throw new StoreException(Reason.NONEXISTENT, "No mailbox " + src);
        }
        // RFC 3501 6.3.5: inferior names move along. In Maildir++ they are sibling directories.
        Map<Path, Path> moves = new LinkedHashMap<>();
        moves.put(dirOf(src), dirOf(dst));
        for (String name : folderNames()) {
            if (name.startsWith(src + FolderNames.SEPARATOR)) {
                moves.put(dirOf(name), dirOf(dst + name.substring(src.length())));
            }
        }
        for (Path target : moves.values()) {
            if (Files.exists(target)) {
                throw new StoreException(Reason.ALREADYEXISTS, "Mailbox " + to + " or an inferior already exists");
            }
        }
        // No thread of this process may hold a moving folder's dot lock (a background indexer's sync,
        // another session's): its lock file would move along, and its release would look for it under
        // the old name, leaving the new one locked until lock.stale. The in-process locks keep them out
        // (withFile takes the in-process lock first), taken in path order as moveTo takes them.
        List<Path> dirs = new ArrayList<>(moves.keySet());
        dirs.sort(Comparator.comparing(Path::toString));
        List<FolderLock.Held> held = new ArrayList<>(dirs.size());
        UserWatch watch = store.userWatch(root);
        try {
            for (Path d : dirs) {
                held.add(FolderLock.inProcess(d));
            }
            if (watch != null) {
                watch.renameStarts();
            }
            try {
                for (Map.Entry<Path, Path> m : moves.entrySet()) {
                    Files.move(m.getKey(), m.getValue(), StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (IOException e) {
                throw new StoreException(Reason.CANNOT, "Cannot rename " + src + " to " + dst, e);
            }
            LOG.info("User {} renamed mailbox {} to {}", user, src, dst);
            if (watch != null) {
                watch.renamed(src, dst); // before the hierarchy notice: its watchers report one rename
            }
        } finally {
            if (watch != null && held.size() == dirs.size()) {
                watch.hierarchyChanged(); // whatever moved, also when a later move failed
                watch.renameEnds();
            }
            for (int i = held.size() - 1; i >= 0; i--) {
                held.get(i).close();
            }
        }
        quota.recount("mailbox renamed");
    }

    /** RFC 3501 6.3.5: renaming INBOX moves its messages to a new mailbox; INBOX stays, empty. */
    private void renameInbox(String dst) throws StoreException {
        create(dst);
        Path target = dirOf(dst);
        try (FolderLock.Held held = FolderLock.withFile(root)) {
            for (String sub : new String[] {"new", "cur"}) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(root.resolve(sub))) {
                    for (Path p : files) {
                        String fileName = p.getFileName().toString();
                        if (fileName.startsWith(".")) {
                            continue;
                        }
                        try {
                            Files.move(p, target.resolve(sub).resolve(fileName), StandardCopyOption.ATOMIC_MOVE);
                        } catch (NoSuchFileException e) {
                            // expunged or renamed meanwhile; a renamed file is picked up by a later pass
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot move INBOX messages to " + dst, e);
        }
        LOG.info("User {} renamed INBOX to {}", user, dst);
        quota.recount("INBOX renamed");
    }

    /** The directory of an existing mailbox, for its ACL. */
    private Path existing(String name) throws StoreException {
        checkOpen();
        Path dir = dirOf(FolderNames.canonical(name));
        if (!Files.isDirectory(dir)) {
            throw new StoreException(Reason.NONEXISTENT, "No mailbox " + name);
        }
        return dir;
    }

    @Override
    public List<AclEntry> acl(String name) throws StoreException {
        Path dir = existing(name);
        try {
            return CourierAcl.effective(root, dir);
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot read the ACL of " + name, e);
        }
    }

    @Override
    public void setAcl(String name, String identifier, String rights) throws StoreException {
        Path dir = existing(name);
        if (!CourierAcl.validIdentifier(identifier)) {
            throw new StoreException(Reason.CANNOT, "Identifier not allowed in an ACL");
        }
        for (int i = 0; rights != null && i < rights.length(); i++) {
            char c = rights.charAt(i);
            if (c <= ' ' || c == 0x7f) {
                throw new StoreException(Reason.CANNOT, "Rights not allowed in an ACL");
            }
        }
        try {
            CourierAcl.set(root, dir, identifier, rights);
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot write the ACL of " + name, e);
        }
        LOG.info("User {} acl mailbox={} identifier={} rights={}", user, name, identifier,
                rights == null ? "(removed)" : rights);
        store.aclChanged(dir);
    }

    @Override
    public List<Quota> quota() throws StoreException {
        checkOpen();
        MaildirQuota.Usage u = quota.usage();
        if (u == null) {
            return List.of();
        }
        return List.of(quotaOf(u));
    }

    private static Quota quotaOf(MaildirQuota.Usage u) {
        return new Quota(QUOTA_ROOT, u.bytes(), u.def().bytes(), u.count(), u.def().count());
    }

    /** Every mailbox is under the one root of the Maildir, with or without limits (as Courier). */
    @Override
    public List<Quota> quotaRoots(String mailbox) throws StoreException {
        checkOpen();
        String canonical = FolderNames.canonical(mailbox);
        if (!Files.isDirectory(dirOf(canonical))) {
            throw new StoreException(Reason.NONEXISTENT, "No mailbox " + canonical);
        }
        return List.of(quota(QUOTA_ROOT));
    }

    @Override
    public Quota quota(String rootName) throws StoreException {
        checkOpen();
        if (!QUOTA_ROOT.equals(rootName)) {
            throw new StoreException(Reason.NONEXISTENT, "No quota root " + rootName);
        }
        MaildirQuota.Usage u = quota.usage();
        return u == null ? new Quota(QUOTA_ROOT, 0, -1, 0, -1) : quotaOf(u);
    }

    @Override
    public void setQuota(String rootName, long storageLimitBytes, long messagesLimit) throws StoreException {
        checkOpen();
        if (!QUOTA_ROOT.equals(rootName)) {
            throw new StoreException(Reason.NONEXISTENT, "No quota root " + rootName);
        }
        if (storageLimitBytes == 0 || messagesLimit == 0) {
            throw new StoreException(Reason.CANNOT, "A limit of 0 cannot be kept in maildirsize, where 0 means none");
        }
        quota.define(new MaildirQuota.Def(storageLimitBytes, messagesLimit));
        LOG.info("event=quota.set user={} storage={} messages={}", user, storageLimitBytes, messagesLimit);
    }

    void closed(MaildirMailbox box) {
        open.remove(box);
    }

    @Override
    public posthorn.store.api.MailboxStatus status(String name) throws StoreException {
        checkOpen();
        String canonical = FolderNames.canonical(name);
        Path dir = dirOf(canonical);
        if (!Files.isDirectory(dir)) {
            throw new StoreException(Reason.NONEXISTENT, "No mailbox " + canonical);
        }
        try {
            DirectoryScan.ensureSubdirectories(dir);
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot prepare " + dir, e);
        }
        return folder(dir).status();
    }

    /**
     * A file in the Maildir's own tmp/ (the Maildir convention's place for a message being delivered):
     * whichever folder the message goes to, the Maildir++ folders are directories inside this one, so
     * delivering it is a rename.
     */
    @Override
    public MessageUpload upload() throws StoreException {
        checkOpen();
        Path tmp = root.resolve("tmp");
        TmpMessage[] made = new TmpMessage[1];
        try {
            DirectoryScan.ensureSubdirectories(root);
            made[0] = TmpMessage.create(tmp, () -> uploads.remove(made[0]));
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot write a message into " + tmp, e);
        }
        uploads.add(made[0]);
        if (closed) {
            made[0].close();
            throw new StoreException(Reason.CANNOT, "The user's mail is closed");
        }
        return made[0];
    }

    /** Whether the upload is one of this session's, not yet closed. */
    boolean owns(TmpMessage upload) {
        return uploads.contains(upload);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Watch w : List.copyOf(mailWatches)) {
            w.close();
        }
        for (TmpMessage upload : List.copyOf(uploads)) {
            upload.close();
        }
        for (MaildirMailbox box : List.copyOf(open)) {
            box.close();
        }
        for (MaildirFolder f : held.values()) {
            store.release(f);
        }
        held.clear();
    }

    private void checkOpen() throws StoreException {
        if (closed) {
            throw new StoreException(Reason.CANNOT, "The user's mail is closed");
        }
    }
}
