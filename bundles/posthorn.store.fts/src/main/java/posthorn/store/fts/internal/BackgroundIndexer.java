package posthorn.store.fts.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.store.api.ArrivalStore;
import posthorn.store.api.StoreUser;

/**
 * Keeps users' indexes up to date off the session threads: the store's arrival notices
 * ({@link ArrivalStore}) queue the mailbox, and a few low-priority worker threads index it.
 *
 * <p>Bounds: the queue holds at most {@code maxUsers} users (a notice for another user beyond that is
 * dropped and counted: that mailbox is indexed at its next notice or by a search, which still answers
 * exactly), each with at most {@link #MAX_MAILBOXES} mailboxes; notices for a user already queued are
 * coalesced. One user is worked on by one worker at a time.
 *
 * <p>Threading: {@link #changed} runs on store threads (often under a mailbox's lock) and only takes
 * this object's short monitor. The workers are platform daemon threads at the lowest priority; they
 * are never interrupted (an interrupt closes Lucene's file channels under it): {@link #stop} asks them
 * to stop between messages and waits a bounded time.
 */
final class BackgroundIndexer implements ArrivalStore.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundIndexer.class);
    /** Mailboxes queued per user; a user with more has the rest indexed at their next notice. */
    static final int MAX_MAILBOXES = 1000;

    /** Indexes one mailbox of a user, as far as {@code keepGoing} lets it; runs on a worker thread. */
    @FunctionalInterface
    interface Work {
        void index(StoreUser user, String mailbox, BooleanSupplier keepGoing);
    }

    private record Job(StoreUser user, Set<String> mailboxes) {
    }

    private final int threads;
    private final int maxUsers;
    private final Work work;
    private final Counters counters;
    /** User name to the mailboxes to index, in arrival order. Guarded by itself, as are busy and active. */
    private final LinkedHashMap<String, Job> pending = new LinkedHashMap<>();
    private final Set<String> busy = new HashSet<>();
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean stopping;
    private long lastDropLog;

    BackgroundIndexer(int threads, int maxUsers, Counters counters, Work work) {
        this.threads = threads;
        this.maxUsers = maxUsers;
        this.work = work;
        this.counters = counters;
    }

    void start() {
        synchronized (pending) {
            for (int i = 0; i < threads; i++) {
                Thread t = Thread.ofPlatform().daemon().name("fts-indexer-" + i).priority(Thread.MIN_PRIORITY)
                        .unstarted(this::run);
                workers.add(t);
                t.start();
            }
        }
    }

    /** Queues a mailbox (store.api ArrivalStore); never blocks beyond a short monitor. */
    @Override
    public void changed(StoreUser user, String mailbox) {
        synchronized (pending) {
            if (stopping) {
                return;
            }
            Job job = pending.get(user.name());
            if (job == null) {
                if (pending.size() >= maxUsers) {
                    dropped(user.name(), mailbox);
                    return;
                }
                job = new Job(user, new LinkedHashSet<>());
                pending.put(user.name(), job);
            }
            if (job.mailboxes().size() >= MAX_MAILBOXES && !job.mailboxes().contains(mailbox)) {
                dropped(user.name(), mailbox);
                return;
            }
            job.mailboxes().add(mailbox);
            pending.notifyAll();
        }
    }

    private void dropped(String user, String mailbox) {
        counters.dropped.increment();
        long now = System.nanoTime();
        if (now - lastDropLog > 10_000_000_000L || lastDropLog == 0) {
            lastDropLog = now;
            LOG.warn("event=fts.queue.full user={} mailbox=\"{}\" queued.users={} dropped.total={}"
                    + " reason=\"background.queue reached; indexed at its next notice or search\"", user, mailbox,
                    pending.size(), counters.dropped.sum());
        }
    }

    private void run() {
        while (!stopping) {
            Job job;
            synchronized (pending) {
                job = null;
                for (Iterator<Map.Entry<String, Job>> it = pending.entrySet().iterator(); it.hasNext();) {
                    Map.Entry<String, Job> e = it.next();
                    if (!busy.contains(e.getKey())) {
                        job = e.getValue();
                        it.remove();
                        busy.add(e.getKey());
                        break;
                    }
                }
                if (job == null) {
                    try {
                        pending.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                    continue;
                }
            }
            long started = System.nanoTime();
            try {
                for (String mailbox : job.mailboxes()) {
                    if (stopping) {
                        break;
                    }
                    work.index(job.user(), mailbox, () -> !stopping);
                }
            } catch (RuntimeException e) {
                LOG.warn("event=fts.background.failed user={} reason=\"{}\"", job.user().name(), e.toString());
            } finally {
                synchronized (pending) {
                    busy.remove(job.user().name());
                    if (busy.isEmpty() && pending.isEmpty() && !stopping) {
                        // Nothing queued and nothing being indexed: what a benchmark or a test waits for.
                        LOG.info("event=fts.idle user={} ms={} background.indexed={}", job.user().name(),
                                (System.nanoTime() - started) / 1_000_000, counters.backgroundIndexed.sum());
                    }
                    pending.notifyAll();
                }
            }
        }
    }

    /** Users queued, for the metrics page. */
    int queued() {
        synchronized (pending) {
            return pending.size();
        }
    }

    /** Users being indexed now. */
    int busy() {
        synchronized (pending) {
            return busy.size();
        }
    }

    /**
     * Stops the workers between two messages and waits for them up to {@code millis}; the queue is
     * dropped (the next notice or search of each mailbox finds what is missing). What they indexed is
     * committed when the indexes close.
     */
    void stop(long millis) {
        synchronized (pending) {
            stopping = true;
            pending.clear();
            pending.notifyAll();
        }
        long deadline = System.nanoTime() + millis * 1_000_000;
        for (Thread t : workers) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left > 0) {
                try {
                    t.join(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
