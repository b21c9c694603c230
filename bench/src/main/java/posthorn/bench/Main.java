package posthorn.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.commons.codec.digest.Crypt;

/**
 * ./posthorn bench: generates the data once (cached by seed and size), then runs every workload
 * against Dovecot, Courier-IMAP and Posthorn in turn, each server on its own copy of the data,
 * and writes the results as Markdown. Started by the launcher script, which installs the
 * reference servers, builds Posthorn and drops root privileges first; run as root it refuses.
 *
 * <p>Usage: {@code Main [--quick] [--scale] --top REPO --work DIR --courier UNPACKED_ROOT [--out FILE]
 * [--commit TEXT] [--servers dovecot,dovecot-fts,courier,posthorn] [--messages N] [--seed N]}
 *
 * <p>{@code --scale} runs {@link Scale} instead (the growth of a few workloads with the mailbox
 * size and the number of IDLE sessions); {@code --quick} runs the workloads and a small scale pass.
 */
public final class Main {

    /** Sizes and durations of one run. */
    record Plan(boolean quick, int messages, int rounds, int coldRounds, int stressUsers, int stressMessages,
            int stressClients, int stressSeconds, int idleTarget, int idleFolders, int idleRampSeconds,
            int deliveries, int deliveryTimeoutSeconds, int setupClients, int setupSeconds, int mboxMessages, long seed) {

        static Plan full(long seed) {
            return new Plan(false, 50_000, 3, 2, 10, 1_000, 40, 10, 10_000, 100, 180, 8, 3, 20, 5, 2_000, seed);
        }

        static Plan quick(long seed) {
            return new Plan(true, 2_000, 1, 1, 3, 200, 8, 3, 200, 10, 30, 3, 3, 5, 2, 200, seed);
        }

        Plan withMessages(int n) {
            return new Plan(quick, n, rounds, coldRounds, stressUsers, stressMessages, stressClients, stressSeconds,
                idleTarget, idleFolders, idleRampSeconds, deliveries, deliveryTimeoutSeconds, setupClients,
                setupSeconds, mboxMessages, seed);
        }

        Plan withIdle(int n) {
            return new Plan(quick, messages, rounds, coldRounds, stressUsers, stressMessages, stressClients, stressSeconds,
                n, idleFolders, idleRampSeconds, deliveries, deliveryTimeoutSeconds, setupClients,
                setupSeconds, mboxMessages, seed);
        }
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        boolean scale = false;
        Path top = null;
        Path work = null;
        Path courier = null;
        Path out = null;
        String commit = "unknown";
        String servers = null;
        Integer messages = null;
        Integer idle = null;
        long seed = 5;
        java.util.Set<String> only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--scale" -> scale = true;
                case "--top" -> top = Path.of(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--courier" -> courier = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--commit" -> commit = args[++i];
                case "--servers" -> servers = args[++i];
                case "--messages" -> messages = Integer.parseInt(args[++i]);
                case "--idle" -> idle = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                // For iterating on one workload: cold,warm,stress,pipe,setup,idle (rows of the others stay "-").
                case "--only" -> only = java.util.Set.of(args[++i].split(","));
                default -> {
                    System.err.println("bench: unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (top == null || work == null || courier == null) {
            System.err.println("bench: --top, --work and --courier are required (run it through ./posthorn bench)");
            System.exit(2);
        }
        if (Server.ids()[0] == 0) {
            System.err.println("bench: refusing to run as root (Dovecot and Courier want an unprivileged user); "
                + "./posthorn bench drops privileges by itself");
            System.exit(2);
        }
        Plan plan = quick ? Plan.quick(seed) : Plan.full(seed);
        if (messages != null) {
            plan = plan.withMessages(messages);
        }
        if (idle != null) {
            plan = plan.withIdle(idle);
        }
        long started = System.nanoTime();
        String password = "bench-" + HexFormat.of().formatHex(java.security.SecureRandom.getSeed(6));
        String hash = Crypt.crypt(password, "$6$" + HexFormat.of().formatHex(java.security.SecureRandom.getSeed(8)));
        Servers make = new Servers(password, hash, top, commit, courier);
        // The scale curve leaves out Dovecot with fts-xapian unless asked for by name: its first
        // indexing (about 0.1 s a message here) would take hours at 200,000 messages.
        List<String> scaleServers = List.of((servers == null ? "dovecot,courier,posthorn" : servers).split(","));
        if (servers == null) {
            servers = "dovecot,dovecot-fts,courier,posthorn";
        }
        if (scale && servers != null && servers.startsWith("csv:")) {
            // --scale --servers csv:A.csv,B.csv: the tables of earlier scale runs' points together
            List<Path> csvs = java.util.Arrays.stream(servers.substring(4).split(",")).map(Path::of).toList();
            System.out.println(Scale.report(quick ? Scale.Plan.quick(seed) : Scale.Plan.full(seed), csvs, commit));
            System.exit(0);
        }
        if (scale) {
            Scale.Plan sp = quick ? Scale.Plan.quick(seed) : Scale.Plan.full(seed);
            System.exit(new Scale(sp, make, work, out, commit).run(scaleServers));
        }
        Data data = Data.prepare(plan, work.resolve("data"));
        List<byte[]> mbox = MailGenerator.readMbox(data.mbox());
        List<String> users = new ArrayList<>(List.of("bench", "idle"));
        for (int k = 1; k <= plan.coldRounds(); k++) {
            users.add("cold" + k);
        }
        for (int k = 1; k <= plan.stressUsers(); k++) {
            users.add("stress" + k);
        }

        PipelinedWorkload.Settings pipe = PipelinedWorkload.Settings.of(plan);
        Path pipeData = PipelinedWorkload.prepare(work.resolve("data"), plan.seed(), pipe.messages());
        if (only != null && only.equals(java.util.Set.of("pipe"))) {
            users.clear(); // --only pipe: the pipelined users' small mailboxes, without copying the big ones
        }
        users.addAll(pipe.userNames());

        Results results = new Results();
        Path runs = work.resolve("run");
        for (String name : servers.split(",")) {
            Path dir = runs.resolve(name);
            delete(dir);
            Server server = make.server(name, dir, plan.idleTarget());
            // Dovecot with fts-xapian is run for UID SEARCH only, on the big mailbox alone.
            boolean searchOnly = server instanceof DovecotServer d && d.fts;
            List<String> serverUsers = searchOnly ? List.of("bench") : users;
            if (searchOnly) {
                results.onlyRows.put(server.name, Results.SEARCH_ROWS);
            }
            results.servers.add(server.name);
            results.versions.put(server.name, server.version());
            long t0 = System.nanoTime();
            log("%s: copying the data for %d users", server.name, serverUsers.size());
            FtsCache fts = searchOnly ? FtsCache.of(plan, data, work.resolve("data"), server) : null;
            // Three copies at a time: copying 50,000 files is mostly system time, and there are two cores.
            java.util.concurrent.Semaphore copies = new java.util.concurrent.Semaphore(3);
            List<Thread> copiers = new ArrayList<>();
            java.util.concurrent.atomic.AtomicReference<Exception> copyFailure = new java.util.concurrent.atomic.AtomicReference<>();
            for (String u : serverUsers) {
                Path src = u.startsWith("pipe") ? pipeData : u.equals("bench") || u.startsWith("cold") ? data.big()
                    : u.equals("idle") ? data.idle() : data.stress();
                if (fts != null) {
                    fts.restoreOr(server.maildir(u));
                    src = fts.source();
                }
                Files.createDirectories(server.home(u));
                Path from = src;
                copiers.add(Thread.ofVirtual().start(() -> {
                    copies.acquireUninterruptibly();
                    try {
                        if (Files.exists(server.maildir(u))) {
                            return; // restored from the fts-xapian index cache
                        }
                        copy(from, server.maildir(u));
                    } catch (Exception e) {
                        copyFailure.compareAndSet(null, e);
                    } finally {
                        copies.release();
                    }
                }));
            }
            for (Thread t : copiers) {
                t.join();
            }
            if (copyFailure.get() != null) {
                throw copyFailure.get();
            }
            log("%s: copied in %.1f s; starting", server.name, (System.nanoTime() - t0) / 1e9);
            try {
                server.start(serverUsers);
            } catch (Exception e) {
                log("%s: did not start: %s", server.name, e);
                for (Results.Row r : Results.ROWS) {
                    results.error(r.id(), server.name, "server did not start: " + e.getMessage());
                }
                server.stop();
                continue;
            }
            Workloads w = new Workloads(plan, server, results, mbox);
            if (searchOnly) {
                step(server, "UID SEARCH TEXT (first: index build)", w::search);
                server.stop();
                fts.keep(server.maildir("bench"), results);
                log("%s: done in %.1f s", server.name, (System.nanoTime() - t0) / 1e9);
                delete(dir.resolve("home"));
                continue;
            }
            java.util.Set<String> run = only == null ? java.util.Set.of("cold", "warm", "stress", "pipe", "setup", "idle") : only;
            if (run.contains("cold")) {
                step(server, "cold LOGIN+SELECT and FETCH ENVELOPE", w::cold);
            }
            if (run.contains("warm")) {
                step(server, "warm LOGIN+SELECT and big-mailbox commands", w::warm);
            }
            if (run.contains("stress")) {
                step(server, "mixed stress", w::stress);
            }
            if (run.contains("pipe")) {
                step(server, "pipelined FETCH/STORE", new PipelinedWorkload(pipe, server, results, plan.seed())::run);
            }
            if (run.contains("setup")) {
                step(server, "connection setup LOGIN+SELECT", () -> w.setup(false));
                step(server, "connection setup LOGIN+SELECT+IDLE", () -> w.setup(true));
            }
            if (run.contains("idle")) {
                step(server, "IDLE ramp to " + plan.idleTarget(), w::idle);
            }
            if (!server.alive()) {
                results.note(server.name + " was no longer running at the end of its workloads (see " + dir + ")");
            }
            server.stop();
            log("%s: done in %.1f s", server.name, (System.nanoTime() - t0) / 1e9);
            delete(dir.resolve("home"));
        }
        for (String s : results.servers) {
            if (s.equals("Courier")) {
                results.note("Courier: no LOGIN (imapd runs pre-authenticated behind couriertcpd, one port per user), so "
                    + "its LOGIN+SELECT and setup figures are connect + PREAUTH greeting + SELECT, without password checks");
            }
        }
        double total = (System.nanoTime() - started) / 1e9;
        String md = header(plan, commit, results, total, data) + "\n" + results.markdown();
        System.out.println();
        System.out.println(md);
        if (out != null) {
            Files.writeString(out, md);
        }
        List<String> missing = results.missing();
        int scaleStatus = 0;
        if (quick) {
            // The scale curve at a small size, so CI sees its workloads run too.
            scaleStatus = new Scale(Scale.Plan.quick(seed), make, work, work.resolve("scale-result.md"), commit)
                .run(scaleServers);
        }
        if (!missing.isEmpty() && only == null) {
            System.err.println("bench: workloads that neither ran nor were n/a:");
            missing.forEach(m -> System.err.println("  " + m));
            System.exit(1);
        }
        System.exit(scaleStatus);
    }

    /** Makes a server by its --servers name; what every run needs to start one. */
    record Servers(String password, String hash, Path top, String commit, Path courier) {

        /** {@code maxSessions}: the most sessions a workload will hold, so that limits are set above it. */
        Server server(String name, Path dir, int maxSessions) {
            return switch (name) {
                case "dovecot" -> new DovecotServer(dir, password, hash, maxSessions, false);
                case "dovecot-fts" -> new DovecotServer(dir, password, hash, maxSessions, true);
                case "courier" -> new CourierServer(dir, courier, maxSessions + 1000);
                case "posthorn" -> new PosthornServer(dir, password, hash, top, commit, maxSessions);
                default -> throw new IllegalArgumentException("unknown server " + name
                    + " (dovecot, dovecot-fts, courier, posthorn)");
            };
        }
    }

    private static void step(Server server, String what, Runnable r) {
        long t0 = System.nanoTime();
        log("%s: %s", server.name, what);
        r.run();
        log("%s: %s took %.1f s", server.name, what, (System.nanoTime() - t0) / 1e9);
    }

    private static String header(Plan plan, String commit, Results results, double seconds, Data data) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("## ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
            .append(plan.quick() ? " (quick run)" : "").append("\n\n");
        h.append("- machine: ").append(machine()).append('\n');
        h.append("- commit: ").append(commit).append('\n');
        h.append("- servers: ").append(String.join("; ", results.versions.values())).append('\n');
        h.append(String.format(Locale.ROOT, "- data: %,d messages (%,.0f MB, seed %d); %d warm rounds, %d cold; stress %d clients x %d s; "
                + "IDLE target %,d; setup %d clients x %d s; whole run %.0f s%n", plan.messages(), data.bigBytes() / 1e6,
            plan.seed(), plan.rounds(), plan.coldRounds(), plan.stressClients(), plan.stressSeconds(), plan.idleTarget(),
            plan.setupClients(), plan.setupSeconds(), seconds));
        return h.toString();
    }

    static String machine() {
        String cpu = "?";
        long memKb = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    memKb = Long.parseLong(line.trim().split("\\s+")[1]);
                }
            }
            String kernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
            return String.format(Locale.ROOT, "%d CPUs (%s), %.1f GB RAM, Linux %s", Runtime.getRuntime().availableProcessors(),
                cpu, memKb / 1024.0 / 1024.0, kernel);
        } catch (IOException e) {
            return "?";
        }
    }

    /** The generated data, made once per seed and size and kept under the work folder. */
    record Data(Path big, Path stress, Path idle, Path mbox, long bigBytes) {

        static Data prepare(Plan plan, Path root) throws IOException {
            Path dir = root.resolve("s" + plan.seed() + "-n" + plan.messages() + "-v1");
            Path done = dir.resolve("DONE");
            if (!Files.exists(done)) {
                delete(dir);
                long t0 = System.nanoTime();
                log("generating %,d messages into %s", plan.messages(), dir);
                new MailGenerator(plan.seed()).maildir(dir.resolve("big"), plan.messages());
                MailGenerator stress = new MailGenerator(plan.seed() + 1);
                stress.maildir(dir.resolve("stress"), plan.stressMessages());
                stress.mbox(dir.resolve("stress.mbox"), plan.mboxMessages());
                MailGenerator idle = new MailGenerator(plan.seed() + 2);
                idle.maildir(dir.resolve("idle"), 20);
                for (int f = 0; f < plan.idleFolders(); f++) {
                    Path folder = dir.resolve("idle").resolve("." + Workloads.folderName(f));
                    idle.maildir(folder, 5);
                    Files.createFile(folder.resolve("maildirfolder"));
                }
                Files.writeString(dir.resolve("idle/courierimapsubscribed"), "");
                long bytes = size(dir.resolve("big"));
                Files.writeString(done, Long.toString(bytes));
                log("generated in %.1f s (%,.0f MB)", (System.nanoTime() - t0) / 1e9, bytes / 1e6);
            }
            return new Data(dir.resolve("big"), dir.resolve("stress"), dir.resolve("idle"), dir.resolve("stress.mbox"),
                Long.parseLong(Files.readString(done).trim()));
        }

        private static long size(Path dir) throws IOException {
            try (Stream<Path> files = Files.walk(dir)) {
                return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            }
        }
    }

    /** A real copy (servers rename files, so hard links would let one server's changes reach another). */
    static void copy(Path from, Path to) throws IOException, InterruptedException {
        // Timestamps kept: servers take INTERNALDATE from the file's mtime.
        Process p = new ProcessBuilder("cp", "-R", "--preserve=mode,timestamps", "--reflink=auto", from.toString(), to.toString())
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("cp " + from + " " + to + " failed: " + out);
        }
    }

    static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    static void log(String format, Object... args) {
        System.err.println(String.format(Locale.ROOT, "bench %s ", java.time.LocalTime.now().withNano(0))
            + String.format(Locale.ROOT, format, args));
    }
}
