package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.support.keys.ConfigKeys;
import posthorn.store.api.AclStore;
import posthorn.store.api.ArrivalStore;
import posthorn.store.api.MailStore;
import posthorn.store.api.ModSeqStore;
import posthorn.store.api.QuotaStore;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;
import posthorn.store.api.WatchStore;
import posthorn.store.api.Watch;

/**
 * The Maildir++ store, Courier-compatible on disk. Owns one {@link MaildirFolder} per folder
 * directory in use, shared by every session of every user in this process, so that a directory is
 * scanned, numbered and measured in one place.
 *
 * <p>Configuration PID {@code maildir} (config/maildir.cfg), optional. Thread-safe.
 */
@Component(service = MailStore.class, configurationPid = "maildir", configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = MaildirStore.Config.class)
public final class MaildirStore implements QuotaStore, AclStore, WatchStore, ModSeqStore, posthorn.store.api.MetadataStore,
        posthorn.store.api.ObjectIdStore, posthorn.store.api.SaveDateStore, posthorn.store.api.SpecialUseStore,
        ArrivalStore {
    private static final Logger LOG = LoggerFactory.getLogger(MaildirStore.class);
    static final String DEFAULT_TEMPLATE = "%h/Maildir";
    static final long DEFAULT_POLL_SECONDS = 5;

    @ObjectClassDefinition(name = "Posthorn Maildir store", description = "Where users' Maildirs are")
    public @interface Config {
        @AttributeDefinition(name = "Maildir template", description = "A user's Maildir when the user record names"
                + " none: %u is the user name, %h the home directory, %% a percent sign")
        String template() default DEFAULT_TEMPLATE;

        @AttributeDefinition(name = "Poll interval", description = "Seconds between checks of watched folders for"
                + " changes the kernel does not report (NFS); 0 turns polling off")
        long poll_interval() default DEFAULT_POLL_SECONDS;

        @AttributeDefinition(name = "Change watching", description = "auto: the kernel's notifications (inotify) where"
                + " there are any, and polling every poll.interval; poll: polling only, for a store shared by several"
                + " hosts (NFS), where the kernel sees only its own host's changes")
        String watch() default "auto";

        @AttributeDefinition(name = "Lock wait", description = "Seconds to wait for a folder's lock (tmp/courier.lock)"
                + " before the operation fails; longer than lock.stale, so that a lock left by a dead process on"
                + " another host is broken before a waiter gives up")
        long lock_timeout() default FolderLock.DEFAULT_TIMEOUT_S;

        @AttributeDefinition(name = "Stale lock age", description = "Seconds after which a folder lock (tmp/courier.lock)"
                + " is taken as left by a dead process and removed when its holder cannot be checked (another host);"
                + " a holder in this process refreshes its lock's time while it holds it")
        long lock_stale() default FolderLock.DEFAULT_STALE_S;

        @AttributeDefinition(name = "Create missing Maildirs", description = "Create a user's Maildir (with cur/,"
                + " new/, tmp/ and any missing parent directories, owner-only) when it does not exist at login, as"
                + " Dovecot does; false refuses such a login as unavailable")
        boolean create() default true;

        @AttributeDefinition(name = "Expunges remembered", description = "How many expunged UIDs each folder"
                + " remembers with their MODSEQ for QRESYNC's VANISHED (RFC 7162); older ones are forgotten and a"
                + " client resynchronising from before them is answered from the UIDs it names")
        int modseq_expunged_max() default ModSeqs.DEFAULT_MAX_EXPUNGED;
    }

    private volatile String template = DEFAULT_TEMPLATE;
    private volatile boolean createMissing = true;
    private final ConcurrentHashMap<Path, MaildirFolder> folders = new ConcurrentHashMap<>();
    private final ChangeWatcher watcher;
    /** Wall-clock milliseconds, compared with file times. */
    private final LongSupplier clock;

    public MaildirStore() {
        this(ChangeWatcher.daemonThread(), System::currentTimeMillis);
    }

    /**
     * A store whose poll rounds run on {@code ticker} (a test's own, to run them by hand) and whose
     * idea of the time, compared with file times, is {@code clock}.
     */
    MaildirStore(ChangeWatcher.Ticker ticker, LongSupplier clock) {
        this.watcher = new ChangeWatcher(DEFAULT_POLL_SECONDS, ticker);
        this.clock = clock;
    }

    /** A store outside OSGi, for tests and tools. */
    static MaildirStore forTests(String template) {
        return forTests(template, ChangeWatcher.daemonThread());
    }

    /** A store outside OSGi whose poll rounds run on {@code ticker}. */
    static MaildirStore forTests(String template, ChangeWatcher.Ticker ticker) {
        return forTests(template, ticker, System::currentTimeMillis);
    }

    /** A store outside OSGi whose poll rounds run on {@code ticker} and whose wall clock is {@code clock}. */
    static MaildirStore forTests(String template, ChangeWatcher.Ticker ticker, LongSupplier clock) {
        MaildirStore store = new MaildirStore(ticker, clock);
        store.setTemplate(template);
        return store;
    }

    /**
     * A store outside OSGi, for a process that wires the server itself ({@code posthorn imapd}): what
     * DS makes of maildir.cfg's poll.interval and create, given as values. {@link #close} is its
     * deactivation.
     */
    public static MaildirStore standalone(long pollSeconds, boolean create) {
        MaildirStore store = new MaildirStore();
        store.watcher.setPollInterval(Math.max(0, pollSeconds));
        store.createMissing = create;
        return store;
    }

    /** Outside OSGi: what deactivation does (indexes written, watches ended). */
    public void close() {
        deactivate();
    }

    /**
     * Takes maildir.cfg whole or not at all: a near-miss key, a bad boolean or a value that does not
     * fit refuses the file in one line naming the key and why, and the settings from before (at
     * first, the defaults) stay in force.
     */
    @Activate
    @Modified
    void configure(Config config, Map<String, Object> properties) {
        String t;
        long poll;
        boolean create;
        String watch;
        long lockStale;
        long lockTimeout;
        int expungedMax;
        try {
            for (ConfigKeys.Problem p : ConfigKeys.check(properties, Config.class)) {
                if (p.refuse()) {
                    throw new IllegalArgumentException(p.key() + ": " + p.reason());
                }
                LOG.warn("maildir.cfg: {}: {}", p.key(), p.reason());
            }
            t = checkTemplate(ConfigKeys.read("template", config::template));
            poll = ConfigKeys.read("poll.interval", config::poll_interval);
            if (poll < 0 || poll > 86400) {
                throw new IllegalArgumentException("poll.interval: must be from 0 (off) to 86400 seconds");
            }
            create = ConfigKeys.read("create", config::create);
            watch = ConfigKeys.read("watch", config::watch).strip();
            if (!watch.equals("auto") && !watch.equals("poll")) {
                throw new IllegalArgumentException("watch: must be auto or poll");
            }
            if (watch.equals("poll") && poll == 0) {
                throw new IllegalArgumentException("watch: poll needs a poll.interval above 0 (with both off no change"
                        + " made by another host would be seen)");
            }
            lockStale = ConfigKeys.read("lock.stale", config::lock_stale);
            if (lockStale < 10 || lockStale > 86400) {
                throw new IllegalArgumentException("lock.stale: must be from 10 to 86400 seconds");
            }
            lockTimeout = ConfigKeys.read("lock.timeout", config::lock_timeout);
            if (lockTimeout < 1 || lockTimeout > 86400) {
                throw new IllegalArgumentException("lock.timeout: must be from 1 to 86400 seconds");
            }
            if (lockTimeout <= lockStale) {
                throw new IllegalArgumentException("lock.timeout: must be longer than lock.stale (" + lockStale
                        + " s), or a lock left by a dead host makes every waiter fail instead of being broken");
            }
            expungedMax = ConfigKeys.read("modseq.expunged.max", config::modseq_expunged_max);
            if (expungedMax < 16 || expungedMax > 10_000_000) {
                throw new IllegalArgumentException("modseq.expunged.max: must be from 16 to 10000000");
            }
        } catch (IllegalArgumentException e) {
            LOG.error("maildir.cfg refused: {}; the previous settings stay in force", e.getMessage());
            return;
        }
        template = t;
        watcher.setPollInterval(poll);
        watcher.setKernelWatches(watch.equals("auto"));
        FolderLock.configure(lockStale, lockTimeout);
        ModSeqs.configure(expungedMax);
        createMissing = create;
        LOG.info("Maildir store: template {}, poll.interval {} s, watch {}, lock.stale {} s, lock.timeout {} s, create {},"
                + " modseq.expunged.max {}", template, poll, watch, lockStale, lockTimeout, createMissing, expungedMax);
    }

    /**
     * A template that gives each user a Maildir of their own, at an absolute path: it starts with
     * {@code /} or {@code %h}, names the user ({@code %u} or {@code %h}), and uses no other escape
     * than {@code %u}, {@code %h} and {@code %%}.
     */
    static String checkTemplate(String value) {
        String t = value == null ? "" : value.strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("template: required (e.g. %h/Maildir)");
        }
        boolean user = false;
        for (int i = 0; i < t.length(); i++) {
            if (t.charAt(i) != '%') {
                continue;
            }
            char k = i + 1 < t.length() ? t.charAt(++i) : ' ';
            switch (k) {
                case 'u', 'h' -> user = true;
                case '%' -> { }
                default -> throw new IllegalArgumentException("template: unknown escape %" + (k == ' ' ? "" : k)
                        + " (%u is the user name, %h the home directory, %% a percent sign)");
            }
        }
        if (!user) {
            throw new IllegalArgumentException("template: names no user (%u or %h): every user would share one Maildir");
        }
        if (!t.startsWith("/") && !t.startsWith("%h")) {
            throw new IllegalArgumentException("template: not an absolute path (start with / or %h)");
        }
        if (t.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("template: contains NUL");
        }
        return t;
    }


    @Deactivate
    void deactivate() {
        watcher.close();
        folders.values().forEach(f -> {
            f.dropExpunged();
            if (f.indexDirty()) {
                f.flushIndex();
            }
        });
        folders.clear();
    }

    /** For tests: whether a missing Maildir is created at open (the {@code create} setting). */
    void setCreateMissing(boolean create) {
        createMissing = create;
    }

    /** For tests: the poll interval in seconds (0 = off). */
    void setPollInterval(long seconds) {
        watcher.setPollInterval(seconds);
    }

    ChangeWatcher watcher() {
        return watcher;
    }

    private void setTemplate(String value) {
        if (value == null || value.isBlank()) {
            LOG.warn("Empty Maildir template; using {}", DEFAULT_TEMPLATE);
            template = DEFAULT_TEMPLATE;
        } else {
            template = value.trim();
        }
    }

    /**
     * Opens the user's Maildir. A missing one is created, as Dovecot creates a missing mail directory
     * (with its parents, as mkdir -p), unless {@code create=false}: a new account then has a working
     * INBOX from its first login, before any delivery. Every directory made is owner-only.
     */
    /** Maildir++ counts bytes (S) and messages (C). */
    @Override
    public java.util.Set<String> quotaResources() {
        return java.util.Set.of(QuotaStore.STORAGE, QuotaStore.MESSAGE);
    }

    @Override
    public MaildirUserMail open(StoreUser user) throws StoreException {
        return open(user, createMissing);
    }

    /**
     * Another user's Maildir, for the folders they share: never created, whatever {@code create}
     * says; one that is missing is NONEXISTENT without a log line (the session asking logs what it
     * needs to, and a user who never had mail is nothing to warn about).
     */
    @Override
    public MaildirUserMail openShared(StoreUser user) throws StoreException {
        Path root = maildirOf(user);
        if (!Files.isDirectory(root)) {
            throw new StoreException(Reason.NONEXISTENT, "No Maildir for " + user.name());
        }
        return open(user, false);
    }

    private MaildirUserMail open(StoreUser user, boolean create) throws StoreException {
        Path root = maildirOf(user);
        if (!Files.isDirectory(root)) {
            if (!create) {
                LOG.warn("No Maildir for user {} at {}", user.name(), root);
                throw new StoreException(Reason.NONEXISTENT, "No Maildir at " + root);
            }
            try {
                OwnerOnly.createDirectories(root);
                LOG.info("Created the Maildir of user {} at {}", user.name(), root);
            } catch (IOException e) {
                LOG.warn("No Maildir for user {} at {}, and it cannot be created: {}", user.name(), root, e.toString());
                throw new StoreException(Reason.NONEXISTENT, "No Maildir at " + root, e);
            }
        }
        try {
            DirectoryScan.ensureSubdirectories(root);
            return new MaildirUserMail(this, root.toRealPath(), user.name(), user.quota());
        } catch (IOException e) {
            LOG.warn("Cannot open the Maildir of user {} at {}: {}", user.name(), root, e.toString());
            throw new StoreException(Reason.SERVERBUG, "Cannot open the Maildir at " + root, e);
        }
    }

    /** The user's Maildir: the record's own, else the template with %u and %h filled in. */
    Path maildirOf(StoreUser user) throws StoreException {
        if (user.maildir() != null) {
            return user.maildir().toAbsolutePath().normalize();
        }
        String t = template;
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c != '%' || i + 1 >= t.length()) {
                out.append(c);
                continue;
            }
            char k = t.charAt(++i);
            switch (k) {
                case 'u' -> {
                    String name = user.name();
                    if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                            || name.indexOf('\0') >= 0) {
                        throw new StoreException(Reason.NONEXISTENT, "User name cannot name a directory");
                    }
                    out.append(name);
                }
                case 'h' -> {
                    if (user.home() == null) {
                        LOG.warn("User {} has no home directory and no Maildir; template {} needs one", user.name(), t);
                        throw new StoreException(Reason.NONEXISTENT, "User has no home directory for the Maildir");
                    }
                    out.append(user.home());
                }
                case '%' -> out.append('%');
                default -> out.append('%').append(k);
            }
        }
        try {
            return Path.of(out.toString()).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new StoreException(Reason.NONEXISTENT, "Maildir template gives no valid path", e);
        }
    }

    /**
     * Tells the handles open on a folder in this process that its ACL changed: a session idling on
     * it syncs, and learns at once when its rights are gone (the kernel watch covers new/ and cur/,
     * not the ACL file).
     */
    void aclChanged(Path dir) {
        MaildirFolder f = folders.get(dir);
        if (f != null) {
            f.changed();
        }
    }

    /** The watched users' Maildir roots (WatchMail); empty while nobody uses NOTIFY. */
    private final ConcurrentHashMap<Path, UserWatch> userWatches = new ConcurrentHashMap<>();

    /**
     * Adds a listener for a user's hierarchy and subscriptions; the first one for a root starts
     * watching it (kernel watch where there is one, and the poll round). Closing the result removes it.
     */
    posthorn.store.api.Watch watchUser(Path root, posthorn.store.api.MailListener given) {
        // a distinct identity per registration: the same listener may be registered twice while a
        // watch is renewed (the new one first, then the old one closed)
        posthorn.store.api.MailListener listener = new posthorn.store.api.MailListener() {
            @Override
            public void messagesChanged(String mailbox) {
                given.messagesChanged(mailbox);
            }

            @Override
            public void mailboxesChanged() {
                given.mailboxesChanged();
            }

            @Override
            public void mailboxRenamed(String from, String to) {
                given.mailboxRenamed(from, to);
            }

            @Override
            public void subscriptionsChanged() {
                given.subscriptionsChanged();
            }
        };
        userWatches.compute(root, (k, u) -> {
            UserWatch w = u == null ? new UserWatch(k) : u;
            if (w.add(listener)) {
                watcher.watch(w);
            }
            return w;
        });
        boolean[] closed = new boolean[1];
        return () -> userWatches.computeIfPresent(root, (k, u) -> {
            if (closed[0]) {
                return u;
            }
            closed[0] = true;
            if (u.remove(listener)) {
                watcher.unwatch(u);
                return null;
            }
            return u;
        });
    }

    /** The watch on a user's root, if anybody watches it: for changes made through this process. */
    UserWatch userWatch(Path root) {
        return userWatches.get(root);
    }

    /** The shared folder for a directory, with one more reference. */
    MaildirFolder acquire(Path dir) {
        return folders.compute(dir, (k, f) -> {
            MaildirFolder r = f == null ? new MaildirFolder(k, watcher, clock) : f;
            r.refs++;
            return r;
        });
    }

    void release(MaildirFolder folder) {
        boolean[] last = new boolean[1];
        folders.computeIfPresent(folder.dir, (k, f) -> {
            if (f != folder) {
                return f;
            }
            last[0] = --f.refs <= 0;
            return f;
        });
        if (last[0]) {
            folder.dropExpunged();
            if (folder.indexDirty()) {
                folder.flushIndex(); // outside the map's lock: it writes a file
            }
            idle(folder);
        }
    }

    /**
     * Keeps the last folders no handle has open, so that the next SELECT of a big mailbox finds
     * its scan and index in memory (a SELECT that must rebuild them costs a directory listing and
     * the UID database of the whole folder). The least recently used one beyond the limit is
     * dropped, unless a handle opened it again meanwhile or it holds messages nobody has seen as
     * \Recent yet.
     */
    private void idle(MaildirFolder folder) {
        MaildirFolder evict = null;
        synchronized (idleFolders) {
            idleFolders.remove(folder.dir);
            idleFolders.put(folder.dir, folder);
            if (idleFolders.size() > IDLE_FOLDERS) {
                Path oldest = idleFolders.keySet().iterator().next();
                evict = idleFolders.remove(oldest);
            }
        }
        if (evict != null) {
            MaildirFolder gone = evict;
            folders.computeIfPresent(gone.dir, (k, f) -> f == gone && f.refs <= 0 && !f.hasPendingRecent() ? null : f);
        }
    }

    private static final int IDLE_FOLDERS = 64;

    /** ArrivalStore's listeners; read on every notice, changed rarely. */
    private final java.util.concurrent.CopyOnWriteArrayList<ArrivalStore.Listener> arrivalListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public Watch watchArrivals(ArrivalStore.Listener listener) {
        ArrivalStore.Listener own = listener::changed; // a distinct identity per registration
        arrivalListeners.add(own);
        return () -> arrivalListeners.remove(own);
    }

    /**
     * The notice a folder gives when its messages may have changed (see MaildirFolder#contentsChanged):
     * the user as this store can open their Maildir again (its root named), and the mailbox's name.
     * Null for a directory that names no mailbox of {@code root}.
     */
    Runnable arrivalNotice(String user, String quotaDefinition, Path root, Path dir) {
        String name = dir.equals(root) ? FolderNames.INBOX
                : root.equals(dir.getParent()) ? FolderNames.fromDirectory(dir.getFileName().toString()).orElse(null) : null;
        if (name == null) {
            return null;
        }
        StoreUser owner = new StoreUser(user, null, root, quotaDefinition);
        return () -> {
            for (ArrivalStore.Listener l : arrivalListeners) {
                try {
                    l.changed(owner, name);
                } catch (RuntimeException e) {
                    LOG.warn("event=store.arrival.listener.failed user={} mailbox=\"{}\" reason=\"{}\"", user, name, e.toString());
                }
            }
        };
    }
    private final java.util.LinkedHashMap<Path, MaildirFolder> idleFolders = new java.util.LinkedHashMap<>();

    /**
     * The in-memory index for the metrics page (store.api 1.5): {@code folders} kept in
     * memory, {@code folders_open} (a handle has them open), {@code messages} they know. From memory only.
     */
    @Override
    public java.util.Map<String, Long> sizes() {
        long all = 0;
        long open = 0;
        long messages = 0;
        for (MaildirFolder f : folders.values()) {
            all++;
            if (f.refs > 0) {
                open++;
            }
            messages += f.knownMessages();
        }
        return java.util.Map.of("folders", all, "folders_open", open, "messages", messages);
    }

    /** For tests: how many folders some handle has open right now (idle ones kept aside do not count). */
    int liveFolders() {
        return (int) folders.values().stream().filter(f -> f.refs > 0).count();
    }

    /** For tests: how many folders are kept in memory, open or idle. */
    int cachedFolders() {
        return folders.size();
    }
}
