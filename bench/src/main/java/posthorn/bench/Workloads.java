package posthorn.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The five workloads of issue 5, run against one server. Every command is timed from the client
 * (send to tagged reply) and its server CPU time taken from /proc; a command the server answers
 * NO or BAD makes its row n/a for that server, with the server's words as the reason.
 */
final class Workloads {

    private static final Pattern EXISTS = Pattern.compile("^\\* (\\d+) EXISTS");
    private static final Pattern UIDNEXT = Pattern.compile("UIDNEXT (\\d+)");
    private static final int TIMEOUT = 600_000;
    /** MemAvailable below which an IDLE ramp stops: other sessions share the machine. */
    static final long MEMORY_FLOOR_KB = 6L * 1024 * 1024;

    /** Why the last IDLE ramp stopped short of its target (null: it reached it, or failed). */
    String idleStop;

    private final Main.Plan plan;
    private final Server server;
    private final Results results;
    private final String s;
    private final List<byte[]> mbox;
    private final InetAddress[] sources;

    Workloads(Main.Plan plan, Server server, Results results, List<byte[]> mbox) throws UnknownHostException {
        this.plan = plan;
        this.server = server;
        this.results = results;
        this.s = server.name;
        this.mbox = mbox;
        // Source addresses for many connections: 127.0.0.2-127.0.0.17, each with its own ~28,000
        // ephemeral ports towards one server port (100,000 IDLE sessions need at least four).
        sources = new InetAddress[16];
        for (int i = 0; i < sources.length; i++) {
            sources[i] = InetAddress.getByName("127.0.0." + (2 + i));
        }
    }

    // ---------------------------------------------------------------- 1 and 2: big mailbox

    static final List<String[]> MAILBOX_COMMANDS = List.of(
        new String[] {"fetch_flags", "FETCH 1:* (UID FLAGS)"},
        new String[] {"fetch_env_warm", "FETCH 1:* (ENVELOPE)"},
        new String[] {"fetch_bs", "FETCH 1:* (BODYSTRUCTURE)"},
        new String[] {"search_text", "UID SEARCH TEXT " + MailGenerator.NEEDLE},
        new String[] {"sort_date", "UID SORT (DATE) UTF-8 ALL"},
        new String[] {"thread_refs", "UID THREAD REFERENCES UTF-8 ALL"});

    /** Cold LOGIN+SELECT and cold FETCH ENVELOPE, one never-opened copy per round. */
    void cold() {
        for (int k = 1; k <= plan.coldRounds(); k++) {
            String user = "cold" + k;
            try {
                ImapConnection c = loginSelect(user, "select_cold");
                if (c == null) {
                    return;
                }
                timed(c, "fetch_env_cold", "FETCH 1:* (ENVELOPE)");
                c.logout();
            } catch (Exception e) {
                fail("select_cold", e);
                fail("fetch_env_cold", e);
                return;
            }
        }
    }

    /** A warm-up pass (untimed), then rounds of warm LOGIN+SELECT and the big-mailbox commands. */
    void warm() {
        try {
            ImapConnection c = open("bench", null);
            login(c, "bench");
            ImapConnection.Reply r = c.command("SELECT INBOX");
            if (!r.ok()) {
                results.notAvailable("select_warm", s, "SELECT: " + r.refusal());
                return;
            }
            // The first SELECT announced the mailbox to a server that indexes in the background.
            long mark = server.indexMark();
            for (String[] cmd : MAILBOX_COMMANDS) {
                long t0 = System.nanoTime();
                ImapConnection.Reply w = c.command(cmd[1], cmd[0].equals("search_text"));
                if (!w.ok()) {
                    results.notAvailable(cmd[0], s, cmd[1] + " -> " + w.refusal());
                    if (cmd[0].equals("search_text")) {
                        results.notAvailable("search_first", s, cmd[1] + " -> " + w.refusal());
                    }
                } else if (cmd[0].equals("search_text")) {
                    // The first search of the session after start: where a server builds a full-text index.
                    results.sample("search_first", s, (System.nanoTime() - t0) / 1e6, null);
                    results.cell("search_first", s).note = hits(w) + " hits";
                }
            }
            c.logout();
            // Mail is searched some time after it arrived, by then indexed where a server indexes
            // arrivals in the background: the timed rounds below wait for that (the first search
            // above did not, and is the cold figure). Bounded; the wait is reported.
            if (mark >= 0) {
                double waited = server.awaitIndexed(mark, 1800);
                results.note(s + ": the timed rounds waited " + (waited < 0 ? "30 min, in vain," : String.format("%.1f s", waited))
                    + " after the warm-up pass for the background full-text index to be idle (log event=fts.idle);"
                    + " \"UID SEARCH TEXT, first after start\" did not wait");
            }
        } catch (Exception e) {
            fail("select_warm", e);
            fail("search_first", e);
            for (String[] cmd : MAILBOX_COMMANDS) {
                fail(cmd[0], e);
            }
            return;
        }
        for (int round = 1; round <= plan.rounds(); round++) {
            try {
                ImapConnection c = loginSelect("bench", "select_warm");
                if (c == null) {
                    return;
                }
                for (String[] cmd : MAILBOX_COMMANDS) {
                    if (!results.na(cmd[0], s)) {
                        timed(c, cmd[0], cmd[1]);
                    }
                }
                if (round == plan.rounds()) {
                    ProcStats.Memory m = ProcStats.memory(server.roots());
                    results.sample("mem_pss", s, m.pssMb(), null);
                    results.sample("mem_rss", s, m.rssMb(), null);
                    results.cell("mem_pss", s).note = m.processes() + " proc";
                }
                c.logout();
            } catch (Exception e) {
                for (String[] cmd : MAILBOX_COMMANDS) {
                    fail(cmd[0], e);
                }
                fail("select_warm", e);
                return;
            }
        }
    }

    /**
     * UID SEARCH TEXT only, for a server run just for that (Dovecot with fts-xapian): the first
     * search after start (which builds the full-text index) timed apart from the warm rounds.
     */
    void search() {
        String cmd = "UID SEARCH TEXT " + MailGenerator.NEEDLE;
        try {
            ImapConnection c = open("bench", null);
            login(c, "bench");
            ImapConnection.Reply sel = c.command("SELECT INBOX");
            if (!sel.ok()) {
                results.notAvailable("search_first", s, "SELECT -> " + sel.refusal());
                results.notAvailable("search_text", s, "SELECT -> " + sel.refusal());
                c.close();
                return;
            }
            // the first search builds the whole index: 10 minutes at 50,000 messages on a loaded machine
            // were not enough for fts-xapian (as the scale run, allow an hour)
            c.timeout(3_600_000);
            long t0 = System.nanoTime();
            ImapConnection.Reply r = c.command(cmd, true);
            c.timeout(TIMEOUT);
            if (!r.ok()) {
                results.notAvailable("search_first", s, cmd + " -> " + r.refusal());
                results.notAvailable("search_text", s, cmd + " -> " + r.refusal());
                c.close();
                return;
            }
            results.sample("search_first", s, (System.nanoTime() - t0) / 1e6, null);
            results.cell("search_first", s).note = hits(r) + " hits";
            c.logout();
            for (int round = 1; round <= plan.rounds(); round++) {
                c = open("bench", null);
                login(c, "bench");
                c.command("SELECT INBOX");
                timed(c, "search_text", cmd);
                c.logout();
            }
        } catch (Exception e) {
            fail("search_first", e);
            fail("search_text", e);
        }
    }

    /** How many UIDs the untagged SEARCH lines of {@code r} name (kept lines, so up to 2 KB each). */
    static int hits(ImapConnection.Reply r) {
        int n = 0;
        for (String line : r.lines()) {
            if (line.startsWith("* SEARCH")) {
                String rest = line.substring("* SEARCH".length()).trim();
                n += rest.isEmpty() ? 0 : rest.split("\\s+").length;
            }
        }
        return n;
    }

    /** Connects, logs in and selects INBOX, recording the whole as {@code row}; null if n/a. */
    private ImapConnection loginSelect(String user, String row) throws IOException {
        double cpu0 = ProcStats.cpuSeconds(server.roots());
        long t0 = System.nanoTime();
        ImapConnection c = open(user, null);
        if (!c.preauth()) {
            ImapConnection.Reply r = c.login(user, server.password);
            if (!r.ok()) {
                throw new IOException("LOGIN " + user + ": " + r.refusal());
            }
        }
        ImapConnection.Reply r = c.command("SELECT INBOX");
        long t1 = System.nanoTime();
        double cpu1 = ProcStats.cpuSeconds(server.roots());
        if (!r.ok()) {
            results.notAvailable(row, s, "SELECT -> " + r.refusal());
            c.close();
            return null;
        }
        results.sample(row, s, (t1 - t0) / 1e6, (cpu1 - cpu0) * 1000);
        return c;
    }

    private void timed(ImapConnection c, String row, String command) throws IOException {
        double cpu0 = ProcStats.cpuSeconds(server.roots());
        long t0 = System.nanoTime();
        ImapConnection.Reply r = c.command(command);
        long t1 = System.nanoTime();
        double cpu1 = ProcStats.cpuSeconds(server.roots());
        if (!r.ok()) {
            results.notAvailable(row, s, command + " -> " + r.refusal());
            return;
        }
        results.sample(row, s, (t1 - t0) / 1e6, (cpu1 - cpu0) * 1000);
    }

    // ---------------------------------------------------------------- 3: mixed stress

    /**
     * Many clients over several users, each in a loop of sessions as imaptest runs them: LOGIN,
     * SELECT, then 5-15 of UID FETCH (FLAGS) of a range, UID FETCH BODY.PEEK[] of one message, UID
     * STORE +/-FLAGS, APPEND, UID STORE \Deleted + EXPUNGE, NOOP; then LOGOUT. Counts tagged replies.
     */
    void stress() {
        String probe = probeStress();
        if (probe != null) {
            results.notAvailable("stress_cps", s, probe);
            results.notAvailable("stress_cpu", s, probe);
            return;
        }
        AtomicLong commands = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        long deadline = System.nanoTime() + plan.stressSeconds() * 1_000_000_000L;
        double cpu0 = ProcStats.cpuSeconds(server.roots());
        double self0 = ProcStats.selfCpuSeconds();
        long t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < plan.stressClients(); i++) {
            int client = i;
            threads.add(Thread.ofVirtual().start(() -> {
                SplittableRandom rnd = new SplittableRandom(plan.seed() * 31 + client);
                String user = "stress" + (1 + client % plan.stressUsers());
                while (System.nanoTime() < deadline && failure.get() == null) {
                    try {
                        stressSession(user, client, rnd, deadline, commands, refused);
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    }
                }
            }));
        }
        join(threads);
        long t1 = System.nanoTime();
        double cpu1 = ProcStats.cpuSeconds(server.roots());
        double self1 = ProcStats.selfCpuSeconds();
        if (failure.get() != null) {
            fail("stress_cps", failure.get());
            fail("stress_cpu", failure.get());
            return;
        }
        double secs = (t1 - t0) / 1e9;
        long n = commands.get();
        results.sample("stress_cps", s, n / secs, (cpu1 - cpu0) * 1000 / n);
        results.sample("stress_cpu", s, (cpu1 - cpu0) * 1000 / n, null);
        results.note(String.format(Locale.ROOT, "%s stress: %d clients, %d users, %.1f s, %,d commands (%d refused); "
                + "server used %.2f cores, the load generator %.2f cores (of %d)", s, plan.stressClients(),
            plan.stressUsers(), secs, n, refused.get(), (cpu1 - cpu0) / secs, (self1 - self0) / secs,
            Runtime.getRuntime().availableProcessors()));
    }

    /** One session of every stress command; null if all are answered OK, else what was refused. */
    private String probeStress() {
        try {
            ImapConnection c = open("stress1", null);
            login(c, "stress1");
            ImapConnection.Reply sel = c.command("SELECT INBOX", true);
            if (!sel.ok()) {
                return "SELECT -> " + sel.refusal();
            }
            long uidnext = uidNext(sel);
            String[] cmds = {"UID FETCH 1:10 (FLAGS)", "UID FETCH " + (uidnext - 1) + " (BODY.PEEK[])",
                "UID STORE " + (uidnext - 1) + " +FLAGS (\\Seen)", null, "UID STORE " + (uidnext - 2)
                + " +FLAGS.SILENT (\\Deleted)", "EXPUNGE", "NOOP"};
            for (String cmd : cmds) {
                ImapConnection.Reply r = cmd == null ? c.append("INBOX", mbox.get(0)) : c.command(cmd);
                if (!r.ok()) {
                    c.close();
                    return (cmd == null ? "APPEND" : cmd) + " -> " + r.refusal();
                }
            }
            c.logout();
            return null;
        } catch (Exception e) {
            return "probe failed: " + e;
        }
    }

    private void stressSession(String user, int client, SplittableRandom rnd, long deadline, AtomicLong commands,
            AtomicLong refused) throws IOException {
        ImapConnection c = open(user, sources[client % sources.length]);
        try {
            if (!c.preauth()) {
                count(c.login(user, server.password), commands, refused);
            }
            ImapConnection.Reply sel = c.command("SELECT INBOX", true);
            count(sel, commands, refused);
            long uidnext = uidNext(sel);
            long exists = exists(sel);
            int ops = 5 + rnd.nextInt(11);
            for (int i = 0; i < ops && System.nanoTime() < deadline; i++) {
                long lo = Math.max(1, uidnext - exists - 20);
                long uid = lo + rnd.nextLong(Math.max(1, uidnext - lo));
                int op = rnd.nextInt(100);
                ImapConnection.Reply r;
                if (op < 30) {
                    r = c.command("UID FETCH " + uid + ":" + (uid + 10) + " (FLAGS)");
                } else if (op < 50) {
                    r = c.command("UID FETCH " + uid + " (BODY.PEEK[])");
                } else if (op < 70) {
                    r = c.command("UID STORE " + uid + (rnd.nextBoolean() ? " +" : " -") + "FLAGS (\\Seen)");
                } else if (op < 80) {
                    r = c.append("INBOX", mbox.get(rnd.nextInt(mbox.size())));
                    uidnext++;
                    exists++;
                } else if (op < 90) {
                    count(c.command("UID STORE " + uid + " +FLAGS.SILENT (\\Deleted)"), commands, refused);
                    r = c.command("EXPUNGE");
                } else {
                    r = c.command("NOOP");
                }
                count(r, commands, refused);
            }
            count(c.command("LOGOUT"), commands, refused);
        } finally {
            c.close();
        }
    }

    private static void count(ImapConnection.Reply r, AtomicLong commands, AtomicLong refused) {
        commands.incrementAndGet();
        if (!r.ok()) {
            refused.incrementAndGet();
        }
    }

    // ---------------------------------------------------------------- 4: IDLE

    /**
     * Ramps to the target number of IDLE sessions (user "idle", spread over its folders, from
     * several source addresses), measures the server's memory growth per session, then delivers
     * messages into folders from outside (tmp/ then rename into new/, as an MDA does) and times
     * each delivery to the EXISTS at every session on that folder.
     */
    void idle() {
        String[] rows = {"idle_held", "idle_mem", "idle_p50", "idle_p99"};
        // probe: does the server do IDLE at all?
        try {
            ImapConnection c = open("idle", null);
            login(c, "idle");
            ImapConnection.Reply sel = c.command("SELECT " + folder(0));
            if (!sel.ok()) {
                for (String r : rows) {
                    results.notAvailable(r, s, "SELECT " + folder(0) + " -> " + sel.refusal());
                }
                c.close();
                return;
            }
            ImapConnection.Reply r = c.idle();
            if (r != null) {
                for (String row : rows) {
                    results.notAvailable(row, s, "IDLE -> " + r.refusal());
                }
                c.close();
                return;
            }
            c.done();
            c.logout();
        } catch (Exception e) {
            for (String r : rows) {
                fail(r, e);
            }
            return;
        }
        settle(0);
        int baseProcs = ProcStats.count(server.roots());
        ProcStats.Memory before = ProcStats.memory(server.roots());
        int target = plan.idleTarget();
        int folders = plan.idleFolders();
        AtomicLongArray deliveredAt = new AtomicLongArray(folders);
        AtomicIntegerArray received = new AtomicIntegerArray(folders);
        AtomicIntegerArray perFolder = new AtomicIntegerArray(folders);
        ConcurrentLinkedQueue<Double> latencies = new ConcurrentLinkedQueue<>();
        List<ImapConnection> conns = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger held = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        Semaphore inFlight = new Semaphore(64);
        long rampStart = System.nanoTime();
        long rampDeadline = rampStart + plan.idleRampSeconds() * 1_000_000_000L;
        String stopReason = null;
        int started = 0;
        for (int i = 0; i < target; i++) {
            if (System.nanoTime() > rampDeadline) {
                stopReason = "ramp time limit " + plan.idleRampSeconds() + " s reached";
                break;
            }
            // The machine is shared: stop ramping while others still have room (6 GB).
            if (i % 250 == 0 && ProcStats.memAvailableKb() < MEMORY_FLOOR_KB) {
                stopReason = String.format(Locale.ROOT, "stopped at %,d sessions: less than %d GB of memory left on the machine",
                    i, MEMORY_FLOOR_KB / 1024 / 1024);
                break;
            }
            if (failed.get() > Math.max(20, target / 100)) {
                stopReason = "stopped after " + failed.get() + " failed sessions: " + firstFailure.get();
                break;
            }
            inFlight.acquireUninterruptibly();
            started++;
            int f = i % folders;
            int idx = i;
            Thread.ofVirtual().start(() -> {
                ImapConnection c = null;
                boolean released = false;
                try {
                    c = ImapConnection.open(server.address("idle"), sources[idx % sources.length], 60_000, 4096);
                    conns.add(c);
                    login(c, "idle");
                    ImapConnection.Reply sel = c.command("SELECT " + folder(f), true);
                    if (!sel.ok()) {
                        throw new IOException("SELECT -> " + sel.refusal());
                    }
                    long exists = exists(sel);
                    ImapConnection.Reply r = c.idle();
                    if (r != null) {
                        throw new IOException("IDLE -> " + r.refusal());
                    }
                    c.timeout(0);
                    held.incrementAndGet();
                    perFolder.incrementAndGet(f);
                    inFlight.release();
                    released = true;
                    while (true) {
                        String line = c.readLine();
                        Matcher m = EXISTS.matcher(line);
                        if (m.find()) {
                            long n = Long.parseLong(m.group(1));
                            if (n > exists) {
                                exists = n;
                                long at = deliveredAt.get(f);
                                if (at != 0) {
                                    latencies.add((System.nanoTime() - at) / 1e6);
                                    received.incrementAndGet(f);
                                }
                            }
                        }
                    }
                } catch (Exception e) {
                    if (!released) {
                        failed.incrementAndGet();
                        firstFailure.compareAndSet(null, e.toString());
                        inFlight.release();
                    }
                    if (c != null) {
                        c.close();
                    }
                }
            });
        }
        // wait for the sessions still being set up
        inFlight.acquireUninterruptibly(64);
        inFlight.release(64);
        idleStop = stopReason;
        double rampSecs = (System.nanoTime() - rampStart) / 1e9;
        try {
            Thread.sleep(2000); // let the server's processes settle (login processes, page faults)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ProcStats.Memory after = ProcStats.memory(server.roots());
        int n = held.get();
        results.sample("idle_held", s, n, null);
        if (n > 0) {
            results.sample("idle_mem", s, (after.pssKb() - before.pssKb()) / (double) n, null);
        }
        results.note(String.format(Locale.ROOT, "%s IDLE: %,d of %,d sessions in %.1f s (%d failed%s); server PSS %.0f -> %.0f MB, "
                + "RSS %.0f -> %.0f MB, %d -> %d processes%s", s, n, started, rampSecs, failed.get(),
            firstFailure.get() == null ? "" : ", first: " + firstFailure.get(), before.pssMb(), after.pssMb(),
            before.rssMb(), after.rssMb(), before.processes(), after.processes(),
            stopReason == null ? "" : "; " + stopReason));

        // deliveries
        int missed = 0;
        int expectedAll = 0;
        SplittableRandom rnd = new SplittableRandom(plan.seed());
        for (int d = 0; d < plan.deliveries() && n > 0; d++) {
            int f = (d * 7) % folders;
            int expected = perFolder.get(f);
            received.set(f, 0);
            try {
                Path dir = server.maildir("idle").resolve("." + folderName(f));
                String name = System.currentTimeMillis() / 1000 + ".M" + d + "P" + ProcessHandle.current().pid()
                    + ".bench-delivery";
                Path tmp = dir.resolve("tmp").resolve(name);
                Files.write(tmp, ("From: Outside <outside@example.org>\nTo: idle@example.com\nSubject: delivery " + d
                    + "\nMessage-ID: <d" + d + "." + rnd.nextLong() + "@bench>\nDate: Tue, 24 Nov 2026 10:00:00 +0000\n\n"
                    + "Hello.\n").getBytes(StandardCharsets.US_ASCII));
                deliveredAt.set(f, System.nanoTime());
                Files.move(tmp, dir.resolve("new").resolve(name), StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                fail("idle_p50", e);
                fail("idle_p99", e);
                break;
            }
            long waitUntil = System.nanoTime() + plan.deliveryTimeoutSeconds() * 1_000_000_000L;
            while (received.get(f) < expected && System.nanoTime() < waitUntil) {
                sleep(10);
            }
            expectedAll += expected;
            missed += Math.max(0, expected - received.get(f));
            deliveredAt.set(f, 0);
            sleep(200);
        }
        List<Double> sorted = new ArrayList<>(latencies);
        for (int i = 0; i < missed; i++) {
            sorted.add(Double.POSITIVE_INFINITY);
        }
        sorted.sort(null);
        if (!sorted.isEmpty()) {
            double p50 = Results.quantile(sorted, 0.50);
            double p99 = Results.quantile(sorted, 0.99);
            String late = "> " + plan.deliveryTimeoutSeconds() + " s";
            if (Double.isInfinite(p50)) {
                results.notAvailable("idle_p50", s, "no EXISTS within " + plan.deliveryTimeoutSeconds() + " s for most sessions");
            } else {
                results.sample("idle_p50", s, p50, null);
            }
            if (Double.isInfinite(p99)) {
                results.notAvailable("idle_p99", s, "more than 1% of sessions got no EXISTS within " + late);
            } else {
                results.sample("idle_p99", s, p99, null);
            }
            results.note(String.format(Locale.ROOT, "%s IDLE deliveries: %d into %d folders, %,d EXISTS expected, %,d missed (none within %d s)",
                s, plan.deliveries(), Math.min(folders, plan.deliveries()), expectedAll, missed, plan.deliveryTimeoutSeconds()));
        }
        synchronized (conns) {
            for (ImapConnection c : conns) {
                c.close();
            }
        }
        settle(baseProcs);
    }

    /** Waits up to 60 s until the server is back to {@code procs} processes (or fewer). */
    private void settle(int procs) {
        long until = System.nanoTime() + 60_000_000_000L;
        while (procs > 0 && ProcStats.count(server.roots()) > procs + 2 && System.nanoTime() < until) {
            sleep(250);
        }
        sleep(500);
    }

    static String folderName(int f) {
        return String.format(Locale.ROOT, "f%02d", f);
    }

    private static String folder(int f) {
        return "INBOX." + folderName(f);
    }

    // ---------------------------------------------------------------- 5: connection setup

    /** Concurrent clients in a loop of connect, LOGIN, SELECT INBOX, [IDLE, DONE,] LOGOUT. */
    void setup(boolean idle) {
        String row = idle ? "setup_idle" : "setup_plain";
        try {
            ImapConnection c = open("idle", null);
            login(c, "idle");
            ImapConnection.Reply sel = c.command("SELECT INBOX");
            if (!sel.ok()) {
                results.notAvailable(row, s, "SELECT -> " + sel.refusal());
                c.close();
                return;
            }
            if (idle) {
                ImapConnection.Reply r = c.idle();
                if (r != null) {
                    results.notAvailable(row, s, "IDLE -> " + r.refusal());
                    c.close();
                    return;
                }
                c.done();
            }
            c.logout();
        } catch (Exception e) {
            fail(row, e);
            return;
        }
        AtomicLong done = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        int baseProcs = ProcStats.count(server.roots());
        long deadline = System.nanoTime() + plan.setupSeconds() * 1_000_000_000L;
        double cpu0 = ProcStats.cpuSeconds(server.roots());
        double self0 = ProcStats.selfCpuSeconds();
        long t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < plan.setupClients(); i++) {
            int client = i;
            threads.add(Thread.ofVirtual().start(() -> {
                int k = client;
                while (System.nanoTime() < deadline && failure.get() == null) {
                    try {
                        ImapConnection c = open("idle", sources[k++ % sources.length]);
                        try {
                            login(c, "idle");
                            ImapConnection.Reply r = c.command("SELECT INBOX");
                            if (!r.ok()) {
                                throw new IOException("SELECT -> " + r.refusal());
                            }
                            if (idle) {
                                if (c.idle() != null) {
                                    throw new IOException("IDLE refused");
                                }
                                c.done();
                            }
                            c.command("LOGOUT");
                        } finally {
                            c.close();
                        }
                        done.incrementAndGet();
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    }
                }
            }));
        }
        join(threads);
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpu1 = ProcStats.cpuSeconds(server.roots());
        double self1 = ProcStats.selfCpuSeconds();
        if (failure.get() != null) {
            fail(row, failure.get());
            return;
        }
        long n = done.get();
        results.sample(row, s, n / secs, (cpu1 - cpu0) * 1000 / Math.max(1, n));
        results.note(String.format(Locale.ROOT, "%s setup (%s): %d clients, %,d sessions in %.1f s; server used %.2f cores, "
                + "the load generator %.2f cores", s, idle ? "LOGIN+SELECT+IDLE" : "LOGIN+SELECT", plan.setupClients(), n,
            secs, (cpu1 - cpu0) / secs, (self1 - self0) / secs));
        settle(baseProcs);
    }

    // ---------------------------------------------------------------- helpers

    private ImapConnection open(String user, InetAddress source) throws IOException {
        return open(user, source, TIMEOUT);
    }

    private ImapConnection open(String user, InetAddress source, int timeoutMillis) throws IOException {
        InetSocketAddress a = server.address(user);
        return ImapConnection.open(a, source, timeoutMillis);
    }

    private void login(ImapConnection c, String user) throws IOException {
        if (c.preauth()) {
            return;
        }
        ImapConnection.Reply r = c.login(user, server.password);
        if (!r.ok()) {
            c.close();
            throw new IOException("LOGIN " + user + " -> " + r.refusal());
        }
    }

    static long uidNext(ImapConnection.Reply sel) {
        for (String line : sel.lines()) {
            Matcher m = UIDNEXT.matcher(line);
            if (m.find()) {
                return Long.parseLong(m.group(1));
            }
        }
        return Math.max(2, exists(sel) + 1);
    }

    static long exists(ImapConnection.Reply sel) {
        for (String line : sel.lines()) {
            Matcher m = EXISTS.matcher(line);
            if (m.find()) {
                return Long.parseLong(m.group(1));
            }
        }
        return 0;
    }

    private void fail(String row, Exception e) {
        results.error(row, s, e.toString().replace('\n', ' '));
    }

    private static void join(List<Thread> threads) {
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void sleep(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
