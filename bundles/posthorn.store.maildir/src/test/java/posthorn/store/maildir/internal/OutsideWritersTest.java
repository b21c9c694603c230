package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.Change;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * Everyone at once on one Maildir: an MDA delivering into new/ (tmp/ then rename) at full speed, a
 * second store process ({@link StoreWorker}: append, copy, move, expunge), Courier-IMAP's imapd
 * (SELECT claims new/, APPEND), and two store instances in this JVM syncing all the time. No UID is
 * reused or given twice, no message is lost or shown twice, and Courier and this store end up with
 * the same UIDs.
 */
class OutsideWritersTest {
    private static final Pattern MARKER = Pattern.compile("X-Marker: ([a-z]\\d+)");
    private static final int DELIVERIES = 400;
    private static final int WORKER_MESSAGES = 120;

    @TempDir
    Path home;

    @Test
    void mdaSecondProcessAndCourierTogether() throws Exception {
        Path maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        StoreUser user = new StoreUser("alice", home, null, null);
        MaildirStore a = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        MaildirStore b = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        try (UserMail mail = a.open(user)) {
            mail.create("Target");
        }
        CourierImapd courier = courierOrNull();
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService pool = Executors.newCachedThreadPool();
        Set<String> courierAppended = ConcurrentHashMap.newKeySet();
        long started = System.nanoTime();
        try (UserMail mailA = a.open(user); UserMail mailB = b.open(user)) {
            Process worker = CrashTest.startWorker(maildir, 0, WORKER_MESSAGES);
            Future<?> mda = pool.submit(() -> {
                for (int i = 0; i < DELIVERIES; i++) {
                    String base = (1700000000L + i) + ".M" + i + "P7.mda";
                    MaildirStoreTest.deliver(maildir, base, "Subject: d" + i + "\nX-Marker: d" + i + "\n\nd\n");
                }
                return null;
            });
            Future<?> courierLoop = pool.submit(() -> {
                for (int i = 0; courier != null && i < 4; i++) {
                    String marker = "c" + i;
                    courier.session(maildir, Map.of(), "SELECT INBOX",
                            CourierImapd.append("INBOX", "\\Seen", "X-Marker: " + marker + "\r\n\r\nc\r\n"));
                    courierAppended.add(marker);
                }
                return null;
            });
            List<Future<Map<String, Long>>> syncers = new ArrayList<>();
            for (UserMail m : List.of(mailA, mailB)) {
                Mailbox box = m.open("INBOX", false);
                syncers.add(pool.submit(() -> watchOne(box, done)));
            }
            mda.get(60, TimeUnit.SECONDS);
            courierLoop.get(60, TimeUnit.SECONDS);
            assertTrue(worker.waitFor(60, TimeUnit.SECONDS), "worker finished");
            assertEquals(0, worker.exitValue());
            done.set(true);
            for (Future<Map<String, Long>> f : syncers) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        // A fresh store sees everything once; Courier agrees on every UID.
        Map<String, Integer> count = new HashMap<>();
        Map<Long, String> inboxUids = new HashMap<>();
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user)) {
            for (String name : List.of("INBOX", "Target")) {
                try (Mailbox box = mail.open(name, true)) {
                    box.sync();
                    for (MessageMeta m : box.messages()) {
                        String marker = marker(box, m.uid());
                        count.merge(marker, 1, Integer::sum);
                        if (name.equals("INBOX")) {
                            inboxUids.put(m.uid(), marker);
                        }
                    }
                }
            }
        }
        for (int i = 0; i < DELIVERIES; i++) {
            assertEquals(1, count.getOrDefault("d" + i, 0), "delivery d" + i);
        }
        for (String c : courierAppended) {
            assertEquals(1, count.getOrDefault(c, 0), "Courier's append " + c);
        }
        for (int n = 0; n < WORKER_MESSAGES; n++) {
            assertEquals(1, count.getOrDefault("m" + n, 0), "worker message m" + n + " (moved, copied+expunged or kept)");
        }
        if (courier != null) {
            String out = courier.session(maildir, Map.of(), "EXAMINE INBOX", "FETCH 1:* (UID FLAGS)");
            Set<Long> courierUids = CourierImapd.selections(out).get(0).flags().keySet();
            assertEquals(inboxUids.keySet(), courierUids, "Courier and this store number INBOX alike");
        }
        List<String> db = Files.readAllLines(maildir.resolve(UidDb.FILE));
        Set<String> uids = new HashSet<>();
        Set<String> bases = new HashSet<>();
        for (String line : db.subList(1, db.size())) {
            String[] f = line.split(" ", 2);
            assertTrue(uids.add(f[0]) && bases.add(f[1]), "duplicate in uid db: " + line);
        }
        System.out.println("OutsideWritersTest: " + DELIVERIES + " deliveries, " + WORKER_MESSAGES + " worker messages, "
                + courierAppended.size() + " Courier appends in "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
    }

    private static CourierImapd courierOrNull() {
        try {
            return CourierImapd.find();
        } catch (org.opentest4j.TestAbortedException e) {
            System.out.println("OutsideWritersTest: without Courier: " + e.getMessage());
            return null;
        }
    }

    /** Syncs until told to stop; checks the handle's own stream of changes as it goes. */
    private static Map<String, Long> watchOne(Mailbox box, AtomicBoolean done) throws Exception {
        Map<Long, String> view = new HashMap<>();
        Set<Long> gone = new HashSet<>();
        Map<String, Long> uidOf = new HashMap<>();
        long highest = 0;
        boolean last = false;
        while (!last) {
            last = done.get();
            for (Change c : box.sync()) {
                switch (c) {
                    case Change.Added add -> {
                        long uid = add.message().uid();
                        assertTrue(uid > highest, "Added in order, never reused: " + uid + " after " + highest);
                        highest = uid;
                        String marker = marker(box, uid);
                        if (marker == null) {
                            continue; // expunged meanwhile by the worker
                        }
                        Long before = uidOf.putIfAbsent(marker, uid);
                        assertTrue(before == null || marker.startsWith("m") || before == uid,
                                marker + " shown twice: " + before + " and " + uid);
                        view.put(uid, marker);
                    }
                    case Change.Expunged ex -> {
                        assertTrue(view.containsKey(ex.uid()) || !gone.contains(ex.uid()), "expunged twice " + ex.uid());
                        assertTrue(gone.add(ex.uid()));
                        String marker = view.remove(ex.uid());
                        assertTrue(marker == null || marker.startsWith("m"), "only the worker removes: " + marker);
                    }
                    case Change.FlagsChanged f -> assertTrue(f.uid() <= highest, "flags of a message never added: " + f.uid());
                    case Change.UidValidityChanged v -> throw new AssertionError("UIDVALIDITY changed");
                }
            }
        }
        box.close();
        return uidOf;
    }

    private static String marker(Mailbox box, long uid) throws Exception {
        try (InputStream in = box.openMessage(uid)) {
            Matcher m = MARKER.matcher(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
            return m.find() ? m.group(1) : "?";
        } catch (posthorn.store.api.StoreException e) {
            return null;
        }
    }
}
