package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells folders when their directories may have changed, for {@link posthorn.store.api.Mailbox#watch}.
 * One per store: one kernel watch service (one inotify instance on Linux) for every watched folder, one
 * watch per directory no matter how many sessions watch it, and one polling task for file systems
 * that report nothing (NFS).
 *
 * <p>A folder is watched while it has listeners ({@link #watch}/{@link #unwatch}, called by the folder
 * under its listener lock). The kernel thread and the poller call {@link MaildirFolder#changed()}, which
 * must not block. Thread-safe.
 */
final class ChangeWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeWatcher.class);
    /** The folder's subdirectories and files whose changes matter: deliveries, renames, keyword updates. */
    private static final String[] WATCHED = {"new", "cur", CourierKeywords.DIR};

    private final Map<WatchKey, MaildirFolder> keys = new ConcurrentHashMap<>();
    private final Map<MaildirFolder, List<WatchKey>> byFolder = new ConcurrentHashMap<>();
    /** Last seen modification stamps of each polled folder's directories. */
    private final Map<MaildirFolder, List<Object>> stamps = new ConcurrentHashMap<>();
    private final Set<MaildirFolder> watched = ConcurrentHashMap.newKeySet();
    private final Ticker ticker;
    private WatchService service; // created on first use; null if the platform has none
    private boolean serviceTried;
    private Thread kernelThread;
    private Ticker.Rounds pollTask;
    private long pollSeconds;
    private volatile boolean closed;
    /** Whether kernel notifications are used (maildir.cfg watch=auto) or polling alone (watch=poll). */
    private volatile boolean kernelWatches = true;

    /**
     * What runs the poll round on time: in the store a daemon thread ({@link #daemonThread}), in tests
     * the test itself, which then needs no sleeping to see a round run.
     */
    interface Ticker {
        /** Scheduled rounds; stopping them lets a round that is running finish. */
        interface Rounds {
            void stop();
        }

        /** Runs {@code round} every {@code interval}, the first time one interval from now. */
        Rounds every(Duration interval, Runnable round);

        /** Stops every round for good. */
        void shutdown();
    }

    /** The ticker of a running store: one daemon thread, rounds with a fixed delay between them. */
    static Ticker daemonThread() {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "posthorn-maildir-poll");
            t.setDaemon(true);
            return t;
        });
        return new Ticker() {
            @Override
            public Rounds every(Duration interval, Runnable round) {
                long ns = interval.toNanos();
                ScheduledFuture<?> f = executor.scheduleWithFixedDelay(round, ns, ns, TimeUnit.NANOSECONDS);
                return () -> f.cancel(false);
            }

            @Override
            public void shutdown() {
                executor.shutdownNow();
            }
        };
    }

    /** @param ticker runs the poll rounds: {@link #daemonThread()} in a running store */
    ChangeWatcher(long pollSeconds, Ticker ticker) {
        this.ticker = ticker;
        setPollInterval(pollSeconds);
    }

    /** Seconds between polls of watched folders; 0 turns polling off. Takes effect at once. */
    synchronized void setPollInterval(long seconds) {
        long s = Math.max(0, seconds);
        if (s == pollSeconds && (pollTask != null || s == 0)) {
            return;
        }
        pollSeconds = s;
        if (pollTask != null) {
            pollTask.stop();
            pollTask = null;
        }
        if (s > 0 && !closed) {
            pollTask = ticker.every(Duration.ofSeconds(s), this::poll);
        }
    }

    synchronized long pollInterval() {
        return pollSeconds;
    }

    /**
     * maildir.cfg watch: true (auto) uses the kernel's notifications where there are any, beside polling;
     * false (poll) polls only, for a store several hosts share, where the kernel reports only what its
     * own host did and a watch per directory is a cost for nothing. Takes effect at once, for the folders
     * watched now too.
     */
    void setKernelWatches(boolean on) {
        if (kernelWatches == on) {
            return;
        }
        kernelWatches = on;
        for (MaildirFolder folder : watched) {
            if (on) {
                registerKernelWatches(folder);
            } else {
                dropKernelWatches(folder);
            }
        }
    }

    /** Starts watching a folder's directories. */
    void watch(MaildirFolder folder) {
        if (closed || !watched.add(folder)) {
            return;
        }
        stamps.put(folder, stampsOf(folder));
        if (kernelWatches) {
            registerKernelWatches(folder);
        }
    }

    private void registerKernelWatches(MaildirFolder folder) {
        WatchService ws = service();
        if (ws == null) {
            return;
        }
        List<WatchKey> registered = new ArrayList<>();
        for (String sub : WATCHED) {
            Path p = folder.dir.resolve(sub);
            if (!Files.isDirectory(p)) {
                continue;
            }
            try {
                WatchKey key = p.register(ws, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);
                keys.put(key, folder);
                registered.add(key);
            } catch (IOException | ClosedWatchServiceException e) {
                LOG.warn("Cannot watch {} (polling still covers it): {}", p, e.toString());
            }
        }
        byFolder.put(folder, registered);
    }

    /** Stops watching a folder once it has no listeners. */
    void unwatch(MaildirFolder folder) {
        watched.remove(folder);
        stamps.remove(folder);
        List<WatchKey> registered = byFolder.remove(folder);
        if (registered != null) {
            for (WatchKey k : registered) {
                keys.remove(k);
                k.cancel();
            }
        }
    }

    /** Forgets a folder's kernel watches (watch=poll; tests: as on a file system that reports nothing). */
    void dropKernelWatches(MaildirFolder folder) {
        List<WatchKey> registered = byFolder.remove(folder);
        if (registered != null) {
            registered.forEach(k -> {
                keys.remove(k);
                k.cancel();
            });
        }
    }

    /** For tests: how many directories the kernel watches for us. */
    int kernelWatches() {
        return keys.size();
    }

    private synchronized WatchService service() {
        if (!serviceTried && !closed) {
            serviceTried = true;
            try {
                service = FileSystems.getDefault().newWatchService();
                kernelThread = new Thread(this::kernelLoop, "posthorn-maildir-watch");
                kernelThread.setDaemon(true);
                kernelThread.start();
            } catch (IOException | UnsupportedOperationException e) {
                LOG.warn("No file change notification here ({}); relying on polling every {} s", e.toString(),
                        pollSeconds);
                service = null;
            }
        }
        return service;
    }

    private void kernelLoop() {
        WatchService ws;
        synchronized (this) {
            ws = service;
        }
        while (!closed) {
            WatchKey key;
            try {
                key = ws.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            // The events themselves do not matter: any of them means "sync to find out".
            key.pollEvents();
            MaildirFolder folder = keys.get(key);
            if (!key.reset()) {
                keys.remove(key);
            }
            if (folder != null) {
                folder.contentsChanged();
            }
        }
    }

    /**
     * One poll round: tells each watched folder whose directory stamps changed since the last round.
     * Directory stamps change on every rename into, out of or within a directory.
     */
    private void poll() {
        for (MaildirFolder folder : watched) {
            try {
                List<Object> now = stampsOf(folder);
                List<Object> before = stamps.put(folder, now);
                if (before != null && !before.equals(now) && watched.contains(folder)) {
                    folder.contentsChanged();
                }
            } catch (RuntimeException e) {
                LOG.warn("Polling {} failed: {}", folder.dir, e.toString());
            }
        }
    }

    private static List<Object> stampsOf(MaildirFolder folder) {
        List<Object> out = new ArrayList<>(WATCHED.length * 2);
        for (String sub : WATCHED) {
            try {
                BasicFileAttributes a = Files.readAttributes(folder.dir.resolve(sub), BasicFileAttributes.class);
                out.add(a.lastModifiedTime());
                out.add(Objects.toString(a.fileKey()));
            } catch (IOException e) {
                out.add("-");
            }
        }
        return out;
    }

    @Override
    public void close() {
        WatchService ws;
        synchronized (this) {
            closed = true;
            ws = service;
            if (pollTask != null) {
                pollTask.stop();
            }
        }
        ticker.shutdown();
        if (ws != null) {
            try {
                ws.close();
            } catch (IOException e) {
                LOG.debug("Closing the watch service: {}", e.toString());
            }
        }
        keys.clear();
        byFolder.clear();
        watched.clear();
    }
}
