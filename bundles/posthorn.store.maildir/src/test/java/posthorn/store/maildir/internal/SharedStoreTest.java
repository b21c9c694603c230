package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.Mailbox;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * A store several hosts share (issue 16): watch=poll keeps no kernel watches and polling still
 * notices; a lock left by a dead process on another host is broken once it is lock.stale old, and a
 * waiter waits that long (lock.timeout is longer); a lock held here is kept young while held, so
 * another host never breaks it; the keys refuse values that would break these.
 */
class SharedStoreTest {
    @TempDir
    Path home;
    Path maildir;
    StoreUser user;

    @BeforeEach
    void maildir() throws Exception {
        maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        user = new StoreUser("alice", home, null, null);
    }

    @AfterEach
    void defaults() {
        FolderLock.configure(FolderLock.DEFAULT_STALE_S, FolderLock.DEFAULT_TIMEOUT_S);
    }

    private static MaildirStore.Config config(Map<String, String> values) {
        return (MaildirStore.Config) Proxy.newProxyInstance(MaildirStore.Config.class.getClassLoader(),
                new Class<?>[] {MaildirStore.Config.class}, (proxy, m, args) -> {
                    String v = values.get(m.getName().replace('_', '.'));
                    if (v == null) {
                        return m.getDefaultValue();
                    }
                    return m.getReturnType() == long.class ? Long.parseLong(v.trim()) : v;
                });
    }

    /** Configures the store as DS would from maildir.cfg; returns the maildir.cfg lines logged. */
    private static List<String> configure(MaildirStore store, Map<String, String> values) {
        Map<String, Object> props = new HashMap<>(values);
        props.put("service.pid", "maildir");
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            store.configure(config(values), props);
        } finally {
            System.setErr(err);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        err.print(text);
        return text.lines().filter(l -> l.contains("maildir.cfg") || l.contains("Maildir store:")).toList();
    }

    @Test
    void badValuesOfTheSharedStoreKeysAreRefusedWithTheKeyNamed() {
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        try {
            assertTrue(configure(store, Map.of("watch", "inotify")).get(0).contains("maildir.cfg refused: watch: must be auto or poll"));
            assertTrue(configure(store, Map.of("watch", "poll", "poll.interval", "0")).get(0)
                    .contains("maildir.cfg refused: watch: poll needs a poll.interval above 0"));
            assertTrue(configure(store, Map.of("lock.stale", "5")).get(0).contains("maildir.cfg refused: lock.stale: must be from 10"));
            assertTrue(configure(store, Map.of("lock.stale", "120", "lock.timeout", "60")).get(0)
                    .contains("maildir.cfg refused: lock.timeout: must be longer than lock.stale (120 s)"));
            assertEquals(FolderLock.DEFAULT_STALE_S, FolderLock.settings()[0], "refused: the lock settings from before stay");
            List<String> ok = configure(store, Map.of("watch", "poll", "poll.interval", "1", "lock.stale", "30", "lock.timeout", "45"));
            assertTrue(ok.get(0).contains("poll.interval 1 s, watch poll, lock.stale 30 s, lock.timeout 45 s"), ok.toString());
            assertEquals(30, FolderLock.settings()[0]);
            assertEquals(45, FolderLock.settings()[1]);
        } finally {
            store.deactivate();
        }
    }

    @Test
    void watchPollKeepsNoKernelWatchesAndPollingStillNotices() throws Exception {
        HandTicker ticker = new HandTicker();
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE, ticker);
        try (UserMail mail = store.open(user); Mailbox a = mail.open("INBOX", false)) {
            a.sync();
            Semaphore notices = new Semaphore(0);
            a.watch(notices::release);
            assertTrue(store.watcher().kernelWatches() >= 2, "auto: the kernel watches new/ and cur/");
            assertTrue(configure(store, Map.of("watch", "poll", "poll.interval", "2")).get(0).contains("watch poll"));
            assertEquals(0, store.watcher().kernelWatches(), "poll: the folder watched already lost its kernel watches");
            notices.drainPermits();
            MaildirStoreTest.deliver(maildir, "1700000001.M1P1.otherhost", "a\n");
            Thread.sleep(200); // a kernel notice, were there a watch, would have come by now
            assertEquals(0, notices.availablePermits(), "nothing but a poll round notices");
            ticker.tick();
            assertEquals(1, notices.availablePermits(), "the poll round noticed the delivery of another host");
            configure(store, Map.of("watch", "auto"));
            assertTrue(store.watcher().kernelWatches() >= 2, "back to auto: watched again");
        } finally {
            store.deactivate();
        }
    }

    @Test
    void aLockLeftByADeadProcessOnAnotherHostIsBrokenOnceStaleAndTheWaiterOutlastsIt() throws Exception {
        FolderLock.configure(10, 20);
        Path lock = maildir.resolve("tmp").resolve(FolderLock.LOCK_FILE);
        // another host's lock: its PID cannot be checked from here, only its age
        Files.writeString(lock, "4242:node-that-died.example");
        Files.setLastModifiedTime(lock, FileTime.from(Instant.now().minusSeconds(7)));
        long t0 = System.nanoTime();
        try (FolderLock.Held held = FolderLock.withFile(maildir)) {
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 2000, "a young lock of another host is waited for: " + ms + " ms");
            assertTrue(ms < 15_000, "and broken once 10 s old, within lock.timeout: " + ms + " ms");
            assertTrue(Files.readString(lock).startsWith(ProcessHandle.current().pid() + ":"), "now this process's");
        }
        assertFalse(Files.exists(lock), "released");
    }

    @Test
    void aLockHeldHereIsKeptYoungSoAnotherHostNeverTakesItForStale() throws Exception {
        FolderLock.configure(10, 20); // refreshed every 2 s
        Path lock = maildir.resolve("tmp").resolve(FolderLock.LOCK_FILE);
        try (FolderLock.Held held = FolderLock.withFile(maildir)) {
            Files.setLastModifiedTime(lock, FileTime.from(Instant.now().minusSeconds(3600)));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (Files.getLastModifiedTime(lock).toInstant().isBefore(Instant.now().minusSeconds(60))) {
                assertTrue(System.nanoTime() < deadline, "the held lock's time was not refreshed");
                Thread.sleep(100);
            }
        }
        assertFalse(Files.exists(lock));
        Files.writeString(lock, "4242:node-that-died.example");
        Thread.sleep(3000);
        assertTrue(Files.exists(lock), "a lock not held here is not refreshed (nor removed) by the refresher");
        assertTrue(Files.getLastModifiedTime(lock).toInstant().isBefore(Instant.now().minusSeconds(2)));
    }
}
