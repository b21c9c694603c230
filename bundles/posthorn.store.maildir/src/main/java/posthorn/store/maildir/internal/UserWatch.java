package posthorn.store.maildir.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.store.api.MailListener;

/**
 * The {@link posthorn.store.api.WatchMail} listeners on one user's Maildir, and the watch on its root
 * directory that finds folders created, deleted or renamed (Maildir++ keeps every folder as a
 * {@code .Name} directory in the root) and the subscription file replaced by another process. Changes
 * made through this process are told directly by {@link MaildirUserMail} ({@link #hierarchyChanged},
 * {@link #renamed}, {@link #subscriptionsChanged}), so they do not wait for the kernel or the poller.
 * The store keeps one per root while it has listeners (the first starts the root's kernel watch and its
 * place in the poll round, the last stops them), so a user nobody watches costs nothing.
 *
 * <p>Threading: thread-safe; listeners are called on the caller's thread (the kernel watch thread,
 * the poller, or a session's) and must not block (the {@link MailListener} contract).
 */
final class UserWatch implements ChangeWatcher.Watched {
    private static final Logger LOG = LoggerFactory.getLogger(UserWatch.class);
    private static final String[] ROOT_ITSELF = {""};

    private final Path root;
    private final CopyOnWriteArraySet<MailListener> listeners = new CopyOnWriteArraySet<>();
    /**
     * Renames through this process under way: the kernel's notices of their directories moving are
     * not passed on as changes of the hierarchy, since {@link #renamed} follows and tells them with
     * both names (RFC 5465 OLDNAME) instead of as a deletion and a creation.
     */
    private final AtomicInteger renaming = new AtomicInteger();
    /**
     * Held for writing from a rename's first move until its listeners have been told, for reading by a
     * listing of the folders: a listing shows a rename through this process only once the listeners have
     * its notice, so a watcher comparing a listing with what it knew never sees the new name appear
     * before it can tell it was a rename (RFC 5465 5.4: one event, not a deletion and a creation).
     */
    private final ReentrantReadWriteLock hierarchy =
            new ReentrantReadWriteLock();

    UserWatch(Path root) {
        this.root = root;
    }

    /** Adds a listener; whether it is the first (the caller then starts watching). */
    boolean add(MailListener listener) {
        listeners.add(listener);
        return listeners.size() == 1;
    }

    /** Removes a listener; whether none is left (the caller then stops watching). */
    boolean remove(MailListener listener) {
        listeners.remove(listener);
        return listeners.isEmpty();
    }

    @Override
    public Path watchedDir() {
        return root;
    }

    @Override
    public String[] watchedSubdirs() {
        return ROOT_ITSELF;
    }

    /**
     * From the kernel (with names) or the poller (without): a {@code .Name} entry is a folder created,
     * removed or renamed; the subscription file replaced is a subscription change. Other entries of the
     * root (INBOX's UID database, the quota file, temporary files) are no concern of a watcher. Without
     * names both may have changed: the listeners compare with what they knew.
     */
    @Override
    public void noticed(List<Path> entries) {
        boolean hierarchy = entries.isEmpty();
        boolean subscriptions = entries.isEmpty();
        for (Path p : entries) {
            String name = p.toString();
            if (name.startsWith(".") && !name.equals(".") && !name.equals("..")) {
                hierarchy = true;
            } else if (name.equals(MaildirUserMail.SUBSCRIPTIONS)) {
                subscriptions = true;
            }
        }
        if (hierarchy && renaming.get() == 0) {
            hierarchyChanged();
        }
        if (subscriptions) {
            subscriptionsChanged();
        }
    }

    void hierarchyChanged() {
        for (MailListener l : listeners) {
            try {
                l.mailboxesChanged();
            } catch (RuntimeException e) {
                LOG.warn("event=watch.listener.failed root={} reason=\"{}\"", root, e.toString());
            }
        }
    }

    /** A rename through this process starts; pair with {@link #renameEnds}, after {@link #renamed}. */
    void renameStarts() {
        renaming.incrementAndGet();
        hierarchy.writeLock().lock();
    }

    void renameEnds() {
        hierarchy.writeLock().unlock();
        renaming.decrementAndGet();
    }

    /** Taken around a listing of the folders (see {@link #hierarchy}); never held while waiting on anything else. */
    Lock listingLock() {
        return hierarchy.readLock();
    }

    void renamed(String from, String to) {
        for (MailListener l : listeners) {
            try {
                l.mailboxRenamed(from, to);
            } catch (RuntimeException e) {
                LOG.warn("event=watch.listener.failed root={} reason=\"{}\"", root, e.toString());
            }
        }
    }

    void subscriptionsChanged() {
        for (MailListener l : listeners) {
            try {
                l.subscriptionsChanged();
            } catch (RuntimeException e) {
                LOG.warn("event=watch.listener.failed root={} reason=\"{}\"", root, e.toString());
            }
        }
    }
}
