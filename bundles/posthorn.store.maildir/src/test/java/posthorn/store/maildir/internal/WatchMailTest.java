package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.MailListener;
import posthorn.store.api.Mailbox;
import posthorn.store.api.StoreUser;
import posthorn.store.api.Watch;
import posthorn.store.api.WatchMail;

/**
 * store.api 1.6 WatchMail on the Maildir store: deliveries into folders not open, folders created,
 * deleted and renamed (through this process and by another writer on disk), subscriptions, with the
 * kernel's notices and with polling alone (maildir.cfg watch=poll); and that an unwatched user costs
 * no watch.
 */
class WatchMailTest {
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

    /** What a listener was told, in order, as short strings. */
    static class Notices implements MailListener {
        final BlockingQueue<String> seen = new LinkedBlockingQueue<>();

        @Override
        public void messagesChanged(String mailbox) {
            seen.add("messages " + mailbox);
        }

        @Override
        public void mailboxesChanged() {
            seen.add("mailboxes");
        }

        @Override
        public void mailboxRenamed(String from, String to) {
            seen.add("renamed " + from + " " + to);
        }

        @Override
        public void subscriptionsChanged() {
            seen.add("subscriptions");
        }

        /** Waits (generously: the machine may be loaded) for a notice, skipping others. */
        void expect(String notice) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < end) {
                String n = seen.poll(100, TimeUnit.MILLISECONDS);
                if (notice.equals(n)) {
                    return;
                }
            }
            throw new AssertionError("no notice '" + notice + "'; left: " + seen);
        }
    }

    @Test
    void kernelTellsOfDeliveriesFoldersAndSubscriptions() throws Exception {
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        store.setPollInterval(0); // the kernel alone must do it
        try (WatchMail mail = store.open(user)) {
            mail.create("Lists");
            assertEquals(0, store.watcher().kernelWatches(), "nobody watches: no watch");
            Notices n = new Notices();
            Watch w = mail.watchMail(Set.of("Lists", "INBOX", "Nowhere"), n);
            assertTrue(store.watcher().kernelWatches() >= 5, "both folders' directories and the root");

            // an MDA's delivery into a folder nobody has open
            MaildirStoreTest.deliver(maildir.resolve(".Lists"), "1700000001.M1P1.host", "a\n");
            n.expect("messages Lists");
            // another process creates and removes a folder
            Files.createDirectories(maildir.resolve(".Outside/cur"));
            n.expect("mailboxes");
            // another process replaces the subscription file (as Courier does, by rename)
            Path tmp = maildir.resolve("tmp/subs");
            Files.writeString(tmp, "INBOX.Lists\n");
            Files.move(tmp, maildir.resolve(MaildirUserMail.SUBSCRIPTIONS));
            n.expect("subscriptions");

            // through this process: told at once
            mail.rename("Lists", "Lists2");
            n.expect("renamed Lists Lists2");
            mail.subscribe("Lists2", true);
            n.expect("subscriptions");
            mail.delete("Lists2");
            n.expect("mailboxes");
            w.close();
            assertEquals(0, store.watcher().kernelWatches(), "closing the watch ends every kernel watch");
        } finally {
            store.deactivate();
        }
    }

    @Test
    void pollingAloneTellsTooAsWithWatchPoll() throws Exception {
        HandTicker ticker = new HandTicker();
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE, ticker);
        store.setPollInterval(1);
        store.watcher().setKernelWatches(false); // maildir.cfg watch=poll
        try (WatchMail mail = store.open(user)) {
            mail.create("Lists");
            Notices n = new Notices();
            mail.watchMail(Set.of("Lists"), n);
            assertEquals(0, store.watcher().kernelWatches());
            n.seen.clear();
            ticker.tick();
            assertEquals(List.of(), List.copyOf(n.seen), "a round over unchanged folders tells nobody");
            MaildirStoreTest.deliver(maildir.resolve(".Lists"), "1700000001.M1P1.host", "a\n");
            Files.createDirectories(maildir.resolve(".Outside"));
            assertTrue(n.seen.isEmpty(), "without kernel watches only a poll round notices");
            ticker.tick();
            assertTrue(n.seen.contains("messages Lists"), n.seen.toString());
            assertTrue(n.seen.contains("mailboxes"), n.seen.toString());
        } finally {
            store.deactivate();
        }
    }

    @Test
    void aHandleOnAWatchedFolderStillWorksAfterTheWatchEnds() throws Exception {
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        try (WatchMail mail = store.open(user)) {
            mail.create("Lists");
            Notices n = new Notices();
            Watch w = mail.watchMail(Set.of("Lists"), n);
            try (Mailbox box = mail.open("Lists", false)) {
                box.sync();
                Api11Test.append(box, "x\r\n", Set.of());
                n.expect("messages Lists"); // a change through a handle of this process
                w.close();
                w.close(); // twice is once
                assertEquals(1, box.sync().size());
            }
        } finally {
            store.deactivate();
        }
    }

    /**
     * RFC 5465 5.1 through the store: a flag change in a watched folder nobody has open is told, by a
     * STORE through another handle of this process at once and by a file renamed in cur/ by another
     * writer through the kernel's notice; and a read-only handle opened after it (what NOTIFY's STATUS
     * reads HIGHESTMODSEQ from, RFC 7162 3.1.6) finds a higher HIGHESTMODSEQ each time.
     */
    @Test
    void flagChangesAreToldAndMoveHighestModSeq() throws Exception {
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        store.setPollInterval(0); // the kernel alone must tell of the outside rename
        try (WatchMail mail = store.open(user)) {
            mail.create("Lists");
            long uid;
            try (Mailbox box = mail.open("Lists", false)) {
                box.sync();
                uid = Api11Test.append(box, "Subject: s\r\n\r\nx\r\n", Set.of());
            }
            long before = highestModSeq(mail, "Lists");
            assertTrue(before > 0, "the Maildir store keeps MODSEQs");
            Notices n = new Notices();
            mail.watchMail(Set.of("Lists"), n);

            try (Mailbox other = mail.open("Lists", false)) {
                other.sync();
                other.store(List.of(uid), posthorn.store.api.FlagMode.ADD, Set.of(posthorn.store.api.Flags.FLAGGED));
            }
            n.expect("messages Lists");
            long afterStore = highestModSeq(mail, "Lists");
            assertTrue(afterStore > before, before + " -> " + afterStore);

            Path cur = maildir.resolve(".Lists/cur");
            Path file;
            try (var files = Files.list(cur)) {
                file = files.findFirst().orElseThrow();
            }
            String name = file.getFileName().toString();
            assertTrue(name.endsWith(":2,F"), name);
            n.seen.clear();
            Files.move(file, cur.resolve(name + "S")); // as Courier's imapd or mutt sets \Seen
            n.expect("messages Lists");
            long afterRename = highestModSeq(mail, "Lists");
            assertTrue(afterRename > afterStore, afterStore + " -> " + afterRename);
            assertEquals(0, mail.status("Lists").unseen());
        } finally {
            store.deactivate();
        }
    }

    /** The same outside flag change with polling alone (maildir.cfg watch=poll): the next round tells it. */
    @Test
    void aFlagChangedByHandIsFoundByPolling() throws Exception {
        HandTicker ticker = new HandTicker();
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE, ticker);
        store.setPollInterval(1);
        store.watcher().setKernelWatches(false);
        try (WatchMail mail = store.open(user)) {
            mail.create("Lists");
            try (Mailbox box = mail.open("Lists", false)) {
                box.sync();
                Api11Test.append(box, "Subject: s\r\n\r\nx\r\n", Set.of());
            }
            long before = highestModSeq(mail, "Lists");
            Notices n = new Notices();
            mail.watchMail(Set.of("Lists"), n);
            ticker.tick();
            n.seen.clear();
            Path cur = maildir.resolve(".Lists/cur");
            Path file;
            try (var files = Files.list(cur)) {
                file = files.findFirst().orElseThrow();
            }
            Files.move(file, cur.resolve(file.getFileName() + "F"));
            assertTrue(n.seen.isEmpty(), "without kernel watches only a poll round notices");
            ticker.tick();
            assertTrue(n.seen.contains("messages Lists"), n.seen.toString());
            assertTrue(highestModSeq(mail, "Lists") > before);
        } finally {
            store.deactivate();
        }
    }

    private static long highestModSeq(WatchMail mail, String name) throws Exception {
        try (Mailbox box = mail.open(name, true)) {
            box.sync();
            return ((posthorn.store.api.ModSeqMailbox) box).highestModSeq();
        }
    }

    /**
     * RFC 5465 5.4 through the store: a watcher that compares listings must never find a rename in a
     * listing before it has been told of it, or it reports a deletion and a creation. One thread renames
     * a folder back and forth while another lists; a listing that took no notice while it ran must agree
     * with the notices so far (an odd count: the new name).
     */
    @Test
    void aListingNeverShowsARenameBeforeItsWatchersAreTold() throws Exception {
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        try (WatchMail mail = store.open(user); WatchMail other = store.open(user)) {
            mail.create("Here");
            AtomicInteger told = new AtomicInteger();
            Watch w = mail.watchMail(Set.of("INBOX"), new Notices() {
                @Override
                public void mailboxRenamed(String from, String to) {
                    told.incrementAndGet();
                }
            });
            int renames = 400;
            Thread renamer = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < renames; i++) {
                        if (i % 2 == 0) {
                            other.rename("Here", "There");
                        } else {
                            other.rename("There", "Here");
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            int compared = 0;
            while (renamer.isAlive() || compared == 0) {
                int before = told.get();
                Set<String> names = new HashSet<>();
                for (var info : mail.list()) {
                    names.add(info.name());
                }
                int after = told.get();
                if (before != after) {
                    continue; // a rename was told while listing: either state may show
                }
                String expected = after % 2 == 0 ? "Here" : "There";
                String gone = after % 2 == 0 ? "There" : "Here";
                assertTrue(names.contains(expected) && !names.contains(gone),
                        "after " + after + " notices the listing shows " + names);
                compared++;
            }
            renamer.join();
            assertEquals(renames, told.get());
            assertTrue(compared > 0);
            w.close();
        } finally {
            store.deactivate();
        }
    }
}
