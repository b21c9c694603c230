package posthorn.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * ./posthorn bench --scale: how each server's time grows with the mailbox (LOGIN+SELECT, FETCH
 * FLAGS, SEARCH TEXT, SORT at 10,000, 50,000 and 200,000 messages) and with the number of IDLE
 * sessions (10,000, 50,000, 100,000; a server whose ramp stops short, at the machine's memory floor
 * or its own limit, is not asked for the next size). Writes Markdown tables, a CSV of every point
 * and, through tools/bench-chart.py (matplotlib), one SVG chart per workload group.
 *
 * <p>Disk: the generated mailboxes are cached under the work folder (one per size, as the full
 * benchmark caches its own); each server gets hard links to them, not copies. That is safe here
 * because the mailbox workloads never change a message: a server may rename its own link (new/ to
 * cur/) and write its own index files, neither of which reaches the other servers' links. The
 * page cache is shared as a consequence, so every figure is a warm-cache figure; the first
 * SELECT and first SEARCH after a server's start are reported apart, as that is where a server
 * builds its index (Dovecot's dovecot.index, fts-xapian's index, Posthorn's).
 */
final class Scale {

    /** The sizes of one scale run. */
    record Plan(boolean quick, int[] sizes, int[] sessions, int rounds, long seed) {

        static Plan full(long seed) {
            // One warm round: at 200,000 messages a single SEARCH TEXT takes minutes on this machine.
            return new Plan(false, new int[] {10_000, 50_000, 200_000}, new int[] {10_000, 50_000, 100_000}, 1, seed);
        }

        static Plan quick(long seed) {
            return new Plan(true, new int[] {100, 300}, new int[] {100, 300}, 1, seed);
        }

        int maxSessions() {
            return sessions[sessions.length - 1];
        }

        Main.Plan base() {
            return quick ? Main.Plan.quick(seed) : Main.Plan.full(seed);
        }
    }

    /** One measured quantity; {@code group} names the chart it goes into. */
    record Metric(String id, String group, String label, String unit) {}

    static final List<Metric> METRICS = List.of(
        new Metric("select_first", "mailbox", "LOGIN+SELECT, first after start", "ms"),
        new Metric("select_warm", "mailbox", "LOGIN+SELECT, warm", "ms"),
        new Metric("fetch_flags", "mailbox", "FETCH 1:* (UID FLAGS)", "ms"),
        new Metric("search_first", "mailbox", "UID SEARCH TEXT, first after start", "ms"),
        new Metric("search_text", "mailbox", "UID SEARCH TEXT, warm", "ms"),
        new Metric("sort_date", "mailbox", "UID SORT (DATE)", "ms"),
        new Metric("idle_held", "idle", "IDLE sessions held", "sessions"),
        new Metric("idle_mem", "idle", "server memory growth per IDLE session (PSS)", "KB"),
        new Metric("idle_p99", "idle", "outside delivery to EXISTS, p99", "ms"));

    /** The longest first search (fts-xapian index build) a size is run for, estimated from the last size. */
    static final long FTS_BUDGET_MS = 20 * 60_000;

    /** The metrics a search-only server (Dovecot with fts-xapian) is measured for. */
    private static final List<String> SEARCH_ONLY = List.of("search_first", "search_text");

    /** A point: its samples (median reported), or why it is n/a, or the error that ended it. */
    static final class Point {
        final List<Double> samples = new ArrayList<>();
        String na;
        String error;

        Double value() {
            return samples.isEmpty() || na != null || error != null ? null : Results.median(samples);
        }
    }

    private final Plan plan;
    private final Main.Servers make;
    private final Path work;
    private final Path out;
    private final String commit;
    /** metric, server name, x (messages or sessions) */
    final Map<String, Map<String, TreeMap<Integer, Point>>> points = new LinkedHashMap<>();
    final List<String> servers = new ArrayList<>();
    final Map<String, String> versions = new LinkedHashMap<>();
    final List<String> notes = new ArrayList<>();
    private final Map<Integer, Long> bytes = new TreeMap<>();
    /** Which groups to run: "all", "mailbox" or "idle" (a run split over processes: see BENCHMARKS.md). */
    String part = System.getProperty("posthorn.bench.scale.part", "all");

    Scale(Plan plan, Main.Servers make, Path work, Path out, String commit) {
        this.plan = plan;
        this.make = make;
        this.work = work;
        this.out = out;
        this.commit = commit;
    }

    Point point(String metric, String server, int x) {
        return points.computeIfAbsent(metric, k -> new LinkedHashMap<>()).computeIfAbsent(server, k -> new TreeMap<>())
            .computeIfAbsent(x, k -> new Point());
    }

    /** Runs every server through both groups; 0 if every point was measured or is n/a with a reason. */
    int run(List<String> names) throws Exception {
        long started = System.nanoTime();
        Path runs = work.resolve("run");
        Map<Integer, Main.Data> data = new TreeMap<>();
        for (int n : plan.sizes()) {
            data.put(n, n > GENERATED_MAX && n % GENERATED_MAX == 0
                ? replicated(n, Main.Data.prepare(plan.base().withMessages(GENERATED_MAX), work.resolve("data")))
                : Main.Data.prepare(plan.base().withMessages(n), work.resolve("data")));
            bytes.put(n, data.get(n).bigBytes());
        }
        Main.Data smallest = data.get(plan.sizes()[0]);
        for (String name : names) {
            String shown = null;
            Double msPerMessage = null;
            for (int n : part.equals("idle") ? new int[0] : plan.sizes()) {
                if (name.equals("dovecot-fts") && msPerMessage != null && msPerMessage * n > FTS_BUDGET_MS) {
                    // fts-xapian's first indexing is slow (about 0.1 s a message here): past the
                    // budget the larger sizes are estimated from the smaller one, not run.
                    String why = String.format(Locale.ROOT, "not run: building the fts-xapian index took %.0f ms a message "
                        + "at the smaller size, so about %.0f min here (budget %d min)", msPerMessage, msPerMessage * n / 60_000,
                        FTS_BUDGET_MS / 60_000);
                    point("search_first", Results.DOVECOT_FTS, n).na = why;
                    point("search_text", Results.DOVECOT_FTS, n).na = why;
                    continue;
                }
                Path dir = runs.resolve("scale-" + name + "-" + n);
                Main.delete(dir);
                Server server = make.server(name, dir, plan.maxSessions());
                shown = server.name;
                if (!servers.contains(shown)) {
                    servers.add(shown);
                    versions.put(shown, server.version());
                }
                mailbox(server, n, data.get(n));
                Double first = point("search_first", shown, n).value();
                msPerMessage = first == null ? null : first / n;
                Main.delete(dir.resolve("home")); // its logs stay until the next run
                write(started);
            }
            if (part.equals("idle") && !name.equals("dovecot-fts")) {
                Server server = make.server(name, runs.resolve("scale-" + name + "-idle"), plan.maxSessions());
                shown = server.name;
                servers.add(shown);
                versions.put(shown, server.version());
            }
            if (!(shown == null || shown.equals(Results.DOVECOT_FTS) || part.equals("mailbox"))) {
                Path dir = runs.resolve("scale-" + name + "-idle");
                Main.delete(dir);
                idle(make.server(name, dir, plan.maxSessions()), smallest);
                Main.delete(dir.resolve("home"));
                write(started);
            }
        }
        write(started);
        System.out.println();
        System.out.println(markdown((System.nanoTime() - started) / 1e9));
        List<String> missing = missing();
        if (!missing.isEmpty()) {
            System.err.println("bench: scale points that neither ran nor were n/a:");
            missing.forEach(m -> System.err.println("  " + m));
            return 1;
        }
        return chart() ? 0 : 1;
    }

    /** The mailbox group at one size: a fresh server on hard links to the cached mailbox. */
    private void mailbox(Server server, int n, Main.Data data) {
        String s = server.name;
        boolean searchOnly = s.equals(Results.DOVECOT_FTS);
        List<String> metrics = METRICS.stream().filter(m -> m.group.equals("mailbox")).map(Metric::id)
            .filter(m -> !searchOnly || SEARCH_ONLY.contains(m)).toList();
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(server.home("bench"));
            link(data.big(), server.maildir("bench"));
            server.start(List.of("bench"));
        } catch (Exception e) {
            Main.log("%s: did not start at %,d messages: %s", s, n, e);
            metrics.forEach(m -> point(m, s, n).error = "server did not start: " + e.getMessage());
            server.stop();
            return;
        }
        Main.log("%s: %,d messages: started in %.1f s", s, n, (System.nanoTime() - t0) / 1e9);
        String search = "UID SEARCH TEXT " + MailGenerator.NEEDLE;
        try {
            long a = System.nanoTime();
            ImapConnection c = loginSelect(server);
            if (!searchOnly) {
                point("select_first", s, n).samples.add((System.nanoTime() - a) / 1e6);
            }
            a = System.nanoTime();
            ImapConnection.Reply r = c.command(search, true);
            if (r.ok()) {
                point("search_first", s, n).samples.add((System.nanoTime() - a) / 1e6);
                notes.add(String.format(Locale.ROOT, "%s, %,d messages: UID SEARCH TEXT found %d messages", s, n,
                    Workloads.hits(r)));
            } else {
                point("search_first", s, n).na = search + " -> " + r.refusal();
                point("search_text", s, n).na = search + " -> " + r.refusal();
            }
            c.logout();
            for (int round = 0; round < plan.rounds(); round++) {
                a = System.nanoTime();
                c = loginSelect(server);
                if (!searchOnly) {
                    point("select_warm", s, n).samples.add((System.nanoTime() - a) / 1e6);
                    timed(c, s, n, "fetch_flags", "FETCH 1:* (UID FLAGS)");
                }
                if (n > GENERATED_MAX && !searchOnly) {
                    // Above the generated size the search is run once (the first): a scan of
                    // 2.5 GB takes minutes per server here, and the run has to fit the machine's day.
                    point("search_text", s, n).na = "searched once at this size (see the first search)";
                } else {
                    timed(c, s, n, "search_text", search);
                }
                if (!searchOnly) {
                    timed(c, s, n, "sort_date", "UID SORT (DATE) UTF-8 ALL");
                }
                c.logout();
            }
        } catch (Exception e) {
            Main.log("%s: %,d messages: %s", s, n, e);
            for (String m : metrics) {
                Point p = point(m, s, n);
                if (p.samples.isEmpty() && p.na == null) {
                    p.error = e.toString().replace('\n', ' ');
                }
            }
        } finally {
            if (!server.alive()) {
                notes.add(s + " was no longer running after its " + n + "-message workloads");
            }
            server.stop();
        }
        Main.log("%s: %,d messages done in %.1f s", s, n, (System.nanoTime() - t0) / 1e9);
    }

    private ImapConnection loginSelect(Server server) throws IOException {
        // Long timeout: a first search that builds an index of 200,000 messages takes minutes.
        ImapConnection c = ImapConnection.open(server.address("bench"), null, 3_600_000);
        if (!c.preauth()) {
            ImapConnection.Reply r = c.login("bench", server.password);
            if (!r.ok()) {
                c.close();
                throw new IOException("LOGIN -> " + r.refusal());
            }
        }
        ImapConnection.Reply r = c.command("SELECT INBOX");
        if (!r.ok()) {
            c.close();
            throw new IOException("SELECT INBOX -> " + r.refusal());
        }
        return c;
    }

    private void timed(ImapConnection c, String s, int n, String metric, String command) throws IOException {
        Point p = point(metric, s, n);
        if (p.na != null) {
            return;
        }
        long a = System.nanoTime();
        ImapConnection.Reply r = c.command(command);
        if (r.ok()) {
            p.samples.add((System.nanoTime() - a) / 1e6);
        } else {
            p.na = command + " -> " + r.refusal();
        }
    }

    /**
     * The IDLE group: one server, ramps to each number of sessions in turn (closing them between),
     * through the full benchmark's IDLE workload. A ramp that stops short (memory floor, time
     * limit, failures) ends the server's curve: the larger sizes are n/a with that reason.
     */
    private void idle(Server server, Main.Data data) {
        String s = server.name;
        List<String> metrics = METRICS.stream().filter(m -> m.group.equals("idle")).map(Metric::id).toList();
        try {
            Files.createDirectories(server.home("idle"));
            Main.copy(data.idle(), server.maildir("idle"));
            server.start(List.of("idle"));
        } catch (Exception e) {
            Main.log("%s: did not start for IDLE: %s", s, e);
            for (int k : plan.sessions()) {
                metrics.forEach(m -> point(m, s, k).error = "server did not start: " + e.getMessage());
            }
            server.stop();
            return;
        }
        String stopped = null;
        int lastAsked = 0;
        // Every session is a socket in this process and one in the server's (Posthorn: one process;
        // Dovecot's and Courier's log/notify processes also hold one per session): the hard
        // open-files limit bounds a ramp, and raising it needs CAP_SYS_RESOURCE.
        long files = openFilesLimit();
        int cap = (int) Math.min(Integer.MAX_VALUE, files - 1000);
        try {
            for (int target : plan.sessions()) {
                if (stopped != null) {
                    for (String m : metrics) {
                        point(m, s, target).na = stopped;
                    }
                    continue;
                }
                int asked = Math.min(target, cap);
                if (asked == lastAsked) {
                    for (String m : metrics) {
                        point(m, s, target).na = String.format(Locale.ROOT, "capped at %,d sessions by the open-files limit, "
                            + "as the step before", asked);
                    }
                    continue;
                }
                lastAsked = asked;
                if (asked < target) {
                    notes.add(String.format(Locale.ROOT, "%s: the ramp to %,d sessions asked for %,d only: the hard open-files "
                        + "limit (RLIMIT_NOFILE) of this process and the server is %,d, and raising it needs CAP_SYS_RESOURCE, "
                        + "which root lacks on this machine", s, target, asked, files));
                }
                Main.log("%s: IDLE ramp to %,d sessions", s, asked);
                long t0 = System.nanoTime();
                Results r = new Results();
                r.servers.add(s);
                Workloads w = new Workloads(plan.base().withIdle(asked), server, r, List.of());
                w.idle();
                for (String m : metrics) {
                    Results.Cell c = r.cell(m, s);
                    Point p = point(m, s, target);
                    p.samples.addAll(c.samples);
                    p.na = c.na;
                    p.error = c.error;
                    if (p.na == null && p.error == null && p.samples.isEmpty()) {
                        p.error = "not measured";
                    }
                }
                notes.addAll(r.notes);
                Double held = point("idle_held", s, target).value();
                if (held == null || held < asked) {
                    stopped = String.format(Locale.ROOT, "the ramp to %,d held %s%s", asked,
                        held == null ? "nothing" : String.format(Locale.ROOT, "%,.0f", held),
                        w.idleStop == null ? "" : " (" + w.idleStop + ")");
                }
                Main.log("%s: IDLE at %,d done in %.1f s", s, target, (System.nanoTime() - t0) / 1e9);
                if (!server.alive()) {
                    stopped = s + " was no longer running after the ramp to " + target;
                    notes.add(stopped);
                }
            }
        } catch (Exception e) {
            Main.log("%s: IDLE: %s", s, e);
            for (int k : plan.sessions()) {
                for (String m : metrics) {
                    Point p = point(m, s, k);
                    if (p.samples.isEmpty() && p.na == null) {
                        p.error = e.toString().replace('\n', ' ');
                    }
                }
            }
        } finally {
            server.stop();
        }
    }

    /**
     * The largest mailbox generated message by message; a larger size that is a multiple of it is
     * that mailbox repeated (generating 200,000 messages takes over half an hour on this loaded
     * 2-core machine, and as much disk again).
     */
    static final int GENERATED_MAX = 50_000;

    /**
     * A mailbox of {@code n} messages made of {@code n / GENERATED_MAX} sets of hard links to the
     * generated one, each set under its own file names (the host part of the Maildir name gets the
     * set's number), so the servers see {@code n} distinct files with the same mtimes (INTERNALDATE)
     * and flags. Its messages repeat: SEARCH finds each needle once per set, SORT meets ties, and
     * THREAD (not run here) would see each Message-ID several times. Cached like the generated data.
     */
    static Main.Data replicated(int n, Main.Data base) throws IOException {
        int sets = n / GENERATED_MAX;
        Path dir = base.big().getParent().resolveSibling(base.big().getParent().getFileName() + "-x" + sets);
        Path done = dir.resolve("DONE");
        if (!Files.exists(done)) {
            Main.delete(dir);
            long t0 = System.nanoTime();
            Main.log("linking %,d messages (%d sets of %,d) into %s", n, sets, GENERATED_MAX, dir);
            for (String sub : new String[] {"cur", "new", "tmp"}) {
                Files.createDirectories(dir.resolve("big").resolve(sub));
            }
            for (int k = 1; k <= sets; k++) {
                for (String sub : new String[] {"cur", "new"}) {
                    try (var files = Files.list(base.big().resolve(sub))) {
                        for (Path f : (Iterable<Path>) files::iterator) {
                            String name = f.getFileName().toString().replace(".bench,", ".bench" + k + ",");
                            Files.createLink(dir.resolve("big").resolve(sub).resolve(name), f);
                        }
                    }
                }
            }
            Files.writeString(done, Long.toString(base.bigBytes() * sets));
            Main.log("linked in %.1f s", (System.nanoTime() - t0) / 1e9);
        }
        return new Main.Data(dir.resolve("big"), base.stress(), base.idle(), base.mbox(),
            Long.parseLong(Files.readString(done).trim()));
    }

    /** The hard RLIMIT_NOFILE of this process (its children inherit it), from /proc/self/limits. */
    static long openFilesLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String hard = line.substring("Max open files".length()).trim().split("\\s+")[1];
                    return hard.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(hard);
                }
            }
        } catch (IOException | RuntimeException e) {
            Main.log("cannot read /proc/self/limits: %s", e);
        }
        return Long.MAX_VALUE;
    }

    /** Hard links to every file of {@code from} (cp -al): no second copy on disk (see the class comment). */
    static void link(Path from, Path to) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("cp", "-al", from.toString(), to.toString()).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("cp -al " + from + " " + to + " failed: " + text);
        }
    }

    /** Points of a server that are neither measured nor n/a. */
    List<String> missing() {
        List<String> out = new ArrayList<>();
        for (Metric m : METRICS) {
            for (String s : servers) {
                if (s.equals(Results.DOVECOT_FTS) && !SEARCH_ONLY.contains(m.id)) {
                    continue;
                }
                for (int x : xs(m)) {
                    Point p = point(m.id, s, x);
                    if (p.error != null) {
                        out.add(m.label + " / " + s + " / " + x + ": " + p.error);
                    } else if (p.na == null && p.samples.isEmpty()) {
                        out.add(m.label + " / " + s + " / " + x + ": not measured");
                    }
                }
            }
        }
        return out;
    }

    private int[] xs(Metric m) {
        return m.group.equals("idle") ? plan.sessions() : plan.sizes();
    }

    /**
     * The tables of several runs' CSVs together (a run per server, or a run cut short and one that
     * went on): each point as its run wrote it, n/a and failed points without their reasons (see
     * those runs' own reports). Ratios are then between figures of different runs.
     */
    static String report(Plan plan, List<Path> csvs, String commit) throws IOException {
        Scale scale = new Scale(plan, null, null, null, commit);
        java.util.regex.Pattern row = java.util.regex.Pattern.compile("^([^,]*),([^,]*),\"[^\"]*\",([^,]*),([^,]*),(\\d+),([^,]*),(.*)$");
        for (Path csv : csvs) {
            for (String line : Files.readAllLines(csv)) {
                java.util.regex.Matcher m = row.matcher(line);
                if (!m.matches()) {
                    continue;
                }
                String server = m.group(4);
                if (!scale.servers.contains(server)) {
                    scale.servers.add(server);
                }
                Point p = scale.point(m.group(2), server, Integer.parseInt(m.group(5)));
                if (m.group(7).equals("ok")) {
                    p.samples.add(Double.parseDouble(m.group(6)));
                    p.na = null;
                    p.error = null;
                } else if (!p.samples.isEmpty()) {
                    continue; // a run that did not measure it, beside one that did
                } else if (m.group(7).equals("error")) {
                    p.error = "failed in " + csv;
                } else {
                    p.na = "n/a in " + csv;
                }
            }
        }
        return scale.table("mailbox", "messages", plan.sizes()) + "\n" + scale.table("idle", "IDLE sessions", plan.sessions());
    }

    /** Writes the Markdown (to {@code out} and stdout at the end) and the CSV the charts are drawn from. */
    private void write(long started) throws IOException {
        StringBuilder csv = new StringBuilder("group,metric,label,unit,server,x,value,status\n");
        for (Metric m : METRICS) {
            for (String s : servers) {
                for (int x : xs(m)) {
                    Point p = points.getOrDefault(m.id, Map.of()).getOrDefault(s, new TreeMap<>()).get(x);
                    if (p == null) {
                        continue;
                    }
                    Double v = p.value();
                    csv.append(m.group).append(',').append(m.id).append(",\"").append(m.label).append("\",")
                        .append(m.unit).append(',').append(s).append(',').append(x).append(',')
                        .append(v == null ? "" : String.format(Locale.ROOT, "%.3f", v)).append(',')
                        .append(v != null ? "ok" : p.error != null ? "error" : "n/a").append('\n');
                }
            }
        }
        Files.writeString(work.resolve("scale.csv"), csv);
        String md = markdown((System.nanoTime() - started) / 1e9);
        if (out != null) {
            Files.writeString(out, md);
        }
    }

    String markdown(double seconds) {
        StringBuilder md = new StringBuilder();
        String stamp = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        md.append("## ").append(stamp).append(plan.quick() ? " (quick scale run)" : " (scale run)").append("\n\n");
        md.append("- machine: ").append(Main.machine()).append('\n');
        md.append("- commit: ").append(commit).append('\n');
        md.append("- servers: ").append(String.join("; ", versions.values())).append('\n');
        StringBuilder sizes = new StringBuilder();
        for (Map.Entry<Integer, Long> e : bytes.entrySet()) {
            sizes.append(sizes.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%,d (%,.0f MB)", e.getKey(), e.getValue() / 1e6));
        }
        md.append(String.format(Locale.ROOT, "- mailboxes: %s messages, seed %d (sizes above %,d: the %,d-message mailbox "
                + "repeated under other file names), hard-linked into each server's home; "
                + "%d warm rounds (median shown); IDLE: %s sessions; whole run %.0f s%n", sizes, plan.seed(), GENERATED_MAX,
            GENERATED_MAX, plan.rounds(),
            String.join(", ", java.util.Arrays.stream(plan.sessions()).mapToObj(k -> String.format(Locale.ROOT, "%,d", k)).toList()),
            seconds));
        md.append("- charts: [mailbox commands](bench-charts/scale-mailbox.svg), [IDLE sessions](bench-charts/scale-idle.svg)\n\n");
        md.append(table("mailbox", "messages", plan.sizes()));
        if (servers.stream().anyMatch(s -> !s.equals(Results.DOVECOT_FTS))) {
            md.append('\n');
            md.append(table("idle", "IDLE sessions", plan.sessions()));
        }
        List<String> reasons = new ArrayList<>();
        for (Metric m : METRICS) {
            for (String s : servers) {
                for (int x : xs(m)) {
                    Point p = points.getOrDefault(m.id, Map.of()).getOrDefault(s, new TreeMap<>()).get(x);
                    if (p != null && (p.na != null || p.error != null)) {
                        String why = p.error != null ? "error: " + p.error : p.na;
                        String line = s + ", " + m.label + ": " + why;
                        if (!reasons.contains(line)) {
                            reasons.add(line);
                        }
                    }
                }
            }
        }
        if (!reasons.isEmpty()) {
            md.append("\nNot measured:\n\n");
            reasons.forEach(r -> md.append("- ").append(r).append('\n'));
        }
        if (!notes.isEmpty()) {
            md.append("\nNotes:\n\n");
            notes.forEach(n -> md.append("- ").append(n).append('\n'));
        }
        return md.toString();
    }

    /**
     * One table per group: a line per workload and server with its figure at each size, the growth
     * from the smallest to the largest size measured, and Posthorn's ratio to each other server.
     */
    private String table(String group, String what, int[] xs) {
        StringBuilder md = new StringBuilder("| workload | server");
        for (int x : xs) {
            md.append(String.format(Locale.ROOT, " | %,d", x));
        }
        md.append(" | growth |\n| --- | ---").append(" | ---:".repeat(xs.length)).append(" | ---: |\n");
        for (Metric m : METRICS) {
            if (!m.group.equals(group)) {
                continue;
            }
            for (String s : servers) {
                if (s.equals(Results.DOVECOT_FTS) && !SEARCH_ONLY.contains(m.id)) {
                    continue;
                }
                md.append("| ").append(m.label).append(" (").append(m.unit).append(") | ").append(s);
                Double first = null;
                Integer firstX = null;
                Double last = null;
                Integer lastX = null;
                for (int x : xs) {
                    Point p = point(m.id, s, x);
                    Double v = p.value();
                    md.append(" | ").append(v != null ? Results.fmt(v) : p.error != null ? "error" : "n/a");
                    if (v != null) {
                        if (first == null) {
                            first = v;
                            firstX = x;
                        }
                        last = v;
                        lastX = x;
                    }
                }
                md.append(" | ").append(first != null && lastX > firstX && first > 0
                    ? String.format(Locale.ROOT, "x%.1f for x%.0f", last / first, (double) lastX / firstX) : "-").append(" |\n");
            }
            if (servers.contains("Posthorn") && !m.id.equals("idle_held")) {
                for (String other : servers) {
                    if (other.equals("Posthorn") || !SEARCH_ONLY.contains(m.id) && other.equals(Results.DOVECOT_FTS)) {
                        continue;
                    }
                    md.append("| ").append(m.label).append(" | Posthorn/").append(other);
                    for (int x : xs) {
                        Double p = point(m.id, "Posthorn", x).value();
                        Double o = point(m.id, other, x).value();
                        md.append(" | ").append(p != null && o != null && o > 0 ? String.format(Locale.ROOT, "%.2f", p / o) : "-");
                    }
                    md.append(" | |\n");
                }
            }
        }
        return md.toString();
    }

    /** Draws the charts with tools/bench-chart.py (Debian's python3 and python3-matplotlib) into the work folder's charts/; false if it failed. */
    private boolean chart() {
        Path script = make.top().resolve("tools/bench-chart.py");
        Path dir = work.resolve("charts");
        try {
            Files.createDirectories(dir);
            Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), work.resolve("scale.csv").toString(), dir.toString())
                .redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes()).trim();
            int rc = p.waitFor();
            if (rc != 0) {
                System.err.println("bench: the charts were not drawn (" + script + " exited " + rc + "): " + text);
                return false;
            }
            Main.log("charts: %s", text);
            return true;
        } catch (IOException | InterruptedException e) {
            System.err.println("bench: the charts were not drawn: " + e);
            return false;
        }
    }
}
