package posthorn.store.maildir.internal;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.store.api.Watch;

/**
 * The change listeners of one folder's open handles ({@link posthorn.store.api.Mailbox#watch}). The
 * first listener starts watching the directory (kernel watch and polling), the last one to go stops
 * it, so an unwatched folder costs nothing.
 *
 * <p>Threading: thread-safe. Adding and removing are serialized (the start and stop callbacks run
 * under that lock); {@link #fire} reads a snapshot without locking, so the kernel watch thread and
 * the poller never wait on a handle.
 */
final class FolderListeners {
    private static final Logger LOG = LoggerFactory.getLogger(FolderListeners.class);

    private final Path dir;
    private final Runnable startWatching;
    private final Runnable stopWatching;
    /** Guarded by itself. */
    private final Set<Runnable> listeners = new LinkedHashSet<>();
    private volatile Runnable[] snapshot = new Runnable[0];

    /** @param dir the folder, for log lines */
    FolderListeners(Path dir, Runnable startWatching, Runnable stopWatching) {
        this.dir = dir;
        this.startWatching = startWatching;
        this.stopWatching = stopWatching;
    }

    /** Adds a listener; closing the result removes it (once, however often it is closed). */
    Watch add(Runnable listener) {
        Runnable own = listener::run; // a distinct identity per registration
        synchronized (listeners) {
            listeners.add(own);
            snapshot = listeners.toArray(new Runnable[0]);
            if (listeners.size() == 1) {
                startWatching.run();
            }
        }
        return () -> {
            synchronized (listeners) {
                if (listeners.remove(own)) {
                    snapshot = listeners.toArray(new Runnable[0]);
                    if (listeners.isEmpty()) {
                        stopWatching.run();
                    }
                }
            }
        };
    }

    /** Tells every listener that the folder may have changed; a failing listener is logged and skipped. */
    void fire() {
        for (Runnable r : snapshot) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("A change listener of {} failed: {}", dir, e.toString());
            }
        }
    }
}
