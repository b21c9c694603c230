package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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
 * kill -9 at random moments: a separate JVM ({@link StoreWorker}) appends, copies, moves, stores and
 * expunges until it is killed with SIGKILL; after each kill a fresh store opens the Maildir and checks
 * that every acknowledged message is there exactly once (a COPY+EXPUNGE cut short may leave two), that
 * UIDs are unique and keep their meaning, and that the UID databases still parse (no UIDVALIDITY
 * change).
 */
class CrashTest {
    private static final int KILLS = 20;
    private static final Pattern MARKER = Pattern.compile("X-Marker: (m\\d+)");

    @TempDir
    Path home;

    static Process startWorker(Path maildir, long first, long count) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), StoreWorker.class.getName(), maildir.toString(),
                String.valueOf(first), String.valueOf(count));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        return pb.start();
    }

    @Test
    void killNineAtRandomMomentsLosesAndDuplicatesNothing() throws Exception {
        Path maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        StoreUser user = new StoreUser("alice", home, null, null);
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user)) {
            mail.create("Target");
        }
        Random random = new Random(42);
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        Map<String, Map<Long, String>> known = new HashMap<>(); // mailbox -> uid -> marker, across restarts
        Map<String, Long> validity = new HashMap<>();
        long started = System.nanoTime();
        int killedWhileWorking = 0;
        for (int round = 0; round < KILLS; round++) {
            Process worker = startWorker(maildir, round * 100_000L, 0);
            BufferedReader out = new BufferedReader(new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("READY", out.readLine());
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    String line;
                    while ((line = out.readLine()) != null) {
                        if (line.startsWith("A ")) {
                            acknowledged.add(line.split(" ")[1]);
                        }
                    }
                } catch (Exception ignored) {
                    // killed
                }
            });
            // Each round kills a worker that has done work (on a loaded machine a fixed pause may end
            // before its first append): wait for one acknowledgement, then kill at a random moment.
            int before = acknowledged.size();
            long firstDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (acknowledged.size() == before && worker.isAlive() && System.nanoTime() < firstDeadline) {
                Thread.sleep(5);
            }
            assertTrue(acknowledged.size() > before, "round " + round + ": the worker acknowledged no append in 60 s");
            Thread.sleep(random.nextInt(400));
            if (worker.isAlive()) {
                killedWhileWorking++;
            }
            worker.destroyForcibly(); // SIGKILL on Linux
            assertTrue(worker.waitFor(10, TimeUnit.SECONDS));
            reader.join(5000);
            check(user, maildir, acknowledged, known, validity);
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        System.out.println("CrashTest: " + KILLS + " kills, " + acknowledged.size() + " acknowledged appends, " + ms
                + " ms");
        assertEquals(KILLS, killedWhileWorking);
    }

    private static void check(StoreUser user, Path maildir, Set<String> acknowledged,
            Map<String, Map<Long, String>> known, Map<String, Long> validity) throws Exception {
        Map<String, Integer> copies = new HashMap<>();
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user)) {
            for (String name : List.of("INBOX", "Target")) {
                try (Mailbox box = mail.open(name, false)) {
                    for (Change c : box.sync()) {
                        assertFalse(c instanceof Change.UidValidityChanged, "UID database survived");
                    }
                    Long before = validity.putIfAbsent(name, box.uidValidity());
                    assertTrue(before == null || before == box.uidValidity(), "UIDVALIDITY of " + name + " kept");
                    Map<Long, String> uids = known.computeIfAbsent(name, k -> new HashMap<>());
                    for (MessageMeta m : box.messages()) {
                        String marker;
                        try (InputStream in = box.openMessage(m.uid())) {
                            Matcher mm = MARKER.matcher(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
                            assertTrue(mm.find(), "message intact");
                            marker = mm.group(1);
                        }
                        String was = uids.putIfAbsent(m.uid(), marker);
                        assertTrue(was == null || was.equals(marker), "UID " + m.uid() + " in " + name + " kept its message");
                        copies.merge(marker, 1, Integer::sum);
                    }
                }
            }
        }
        for (String folder : new String[] {"", ".Target"}) {
            Path db = maildir.resolve(folder.isEmpty() ? UidDb.FILE : folder + "/" + UidDb.FILE);
            assertFalse(Files.exists(db.resolveSibling(UidDb.FILE + ".corrupt")), "no corrupt uid db in " + db);
            UidDb.parse(Files.readAllBytes(db)); // throws if it does not parse
        }
        for (String marker : acknowledged) {
            long n = Long.parseLong(marker.substring(1));
            int c = copies.getOrDefault(marker, 0);
            if (n % 3 == 2) {
                assertTrue(c == 1 || c == 2, marker + " (copy then expunge) is there " + c + " times");
            } else {
                assertEquals(1, c, marker + " is there exactly once");
            }
        }
        for (Map.Entry<String, Integer> e : copies.entrySet()) {
            long n = Long.parseLong(e.getKey().substring(1));
            assertTrue(e.getValue() == 1 || (n % 3 == 2 && e.getValue() == 2), e.getKey() + " shown " + e.getValue() + " times");
        }
        List<String> leftovers = new ArrayList<>();
        try (var s = Files.list(maildir.resolve("tmp"))) {
            s.forEach(p -> leftovers.add(p.getFileName().toString()));
        }
        assertTrue(leftovers.size() < 50, "tmp/ does not fill up: " + leftovers);
    }
}
