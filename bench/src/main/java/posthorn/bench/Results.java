package posthorn.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of one run: per workload row and server, the measured samples (median reported),
 * the server CPU time per command, or why the row is n/a (the server refused the command) or
 * failed (anything else: a crash, a timeout, a protocol error).
 */
final class Results {

    /** A workload row; {@code higherIsBetter} decides how the target ratio reads. */
    record Row(String id, String label, String unit, boolean higherIsBetter, String target) {}

    static final class Cell {
        final List<Double> samples = new ArrayList<>();
        final List<Double> cpuMs = new ArrayList<>();
        String na;
        String error;
        String note;

        Double median() {
            return samples.isEmpty() ? null : Results.median(samples);
        }

        Double cpu() {
            return cpuMs.isEmpty() ? null : Results.median(cpuMs);
        }
    }

    /** The target column: issue 14's targets (issue 5's where issue 14 names none: IDLE memory per session). */
    static final List<Row> ROWS = List.of(
        new Row("select_cold", "1. LOGIN+SELECT big mailbox, cold", "ms", false, "P/D <= 1.0"),
        new Row("select_warm", "1. LOGIN+SELECT big mailbox, warm", "ms", false, "P/D <= 0.5"),
        new Row("fetch_flags", "2. FETCH 1:* (UID FLAGS)", "ms", false, "P/D <= 0.5"),
        new Row("fetch_env_cold", "2. FETCH 1:* (ENVELOPE), cold", "ms", false, "P/D <= 0.7"),
        new Row("fetch_env_warm", "2. FETCH 1:* (ENVELOPE), warm", "ms", false, "P/D <= 0.25"),
        new Row("fetch_bs", "2. FETCH 1:* (BODYSTRUCTURE)", "ms", false, "P/D <= 0.5"),
        new Row("search_first", "2. UID SEARCH TEXT, first after start", "ms", false, ""),
        new Row("search_text", "2. UID SEARCH TEXT", "ms", false, "P/D <= 0.05"),
        new Row("sort_date", "2. UID SORT (DATE)", "ms", false, "P/D <= 1.0"),
        new Row("thread_refs", "2. UID THREAD REFERENCES", "ms", false, "P/D <= 1.0"),
        new Row("stress_cps", "3. mixed stress, commands/s", "cmd/s", true, "P/D >= 2.0"),
        new Row("stress_cpu", "3. mixed stress, server CPU per command", "ms", false, "P/D <= 0.5"),
        new Row("pipe_cps", "3b. pipelined FETCH/STORE, commands/s", "cmd/s", true, ""),
        new Row("pipe_cpu", "3b. pipelined FETCH/STORE, server CPU per command", "ms", false, "P/D <= 0.5"),
        new Row("idle_held", "4. IDLE sessions held", "sessions", true, "100,000"),
        new Row("idle_mem", "4. memory growth per IDLE session (PSS)", "KB", false, "<= 64 KB"),
        new Row("idle_p50", "4. delivery to EXISTS, p50", "ms", false, ""),
        new Row("idle_p99", "4. delivery to EXISTS, p99", "ms", false, "<= 50 ms"),
        new Row("setup_idle", "5. connection setup LOGIN+SELECT+IDLE", "/s", true, "P/D >= 10"),
        new Row("setup_plain", "5. connection setup LOGIN+SELECT (no IDLE)", "/s", true, "P/D >= 10"),
        new Row("mem_pss", "server PSS, big mailbox selected", "MB", false, "P/D <= 2.0"),
        new Row("mem_rss", "server RSS (summed), big mailbox selected", "MB", false, ""));

    final List<String> servers = new ArrayList<>();
    final Map<String, Map<String, Cell>> cells = new LinkedHashMap<>();
    final List<String> notes = new ArrayList<>();
    final Map<String, String> versions = new LinkedHashMap<>();
    /** Servers run for some rows only (Dovecot with fts-xapian: the search rows); others run all. */
    final Map<String, List<String>> onlyRows = new LinkedHashMap<>();

    /** The name of Dovecot run with Debian's fts-xapian plugin, measured for UID SEARCH only. */
    static final String DOVECOT_FTS = "Dovecot+FTS";
    static final List<String> SEARCH_ROWS = List.of("search_first", "search_text");

    synchronized Cell cell(String row, String server) {
        return cells.computeIfAbsent(row, k -> new LinkedHashMap<>()).computeIfAbsent(server, k -> new Cell());
    }

    void sample(String row, String server, double value, Double cpuMs) {
        Cell c = cell(row, server);
        c.samples.add(value);
        if (cpuMs != null) {
            c.cpuMs.add(cpuMs);
        }
    }

    boolean na(String row, String server) {
        Cell c = cell(row, server);
        return c.na != null || c.error != null;
    }

    void notAvailable(String row, String server, String why) {
        Cell c = cell(row, server);
        if (c.na == null) {
            c.na = why.length() > 120 ? why.substring(0, 120) + "..." : why;
        }
    }

    void error(String row, String server, String why) {
        Cell c = cell(row, server);
        if (c.error == null) {
            c.error = why.length() > 160 ? why.substring(0, 160) + "..." : why;
        }
    }

    void note(String text) {
        synchronized (notes) {
            notes.add(text);
        }
    }

    /** Rows where some server has neither a value, nor an n/a reason: the quick mode's failure. */
    List<String> missing() {
        List<String> out = new ArrayList<>();
        for (Row r : ROWS) {
            for (String s : servers) {
                if (onlyRows.containsKey(s) && !onlyRows.get(s).contains(r.id)) {
                    continue;
                }
                Cell c = cell(r.id, s);
                if (c.error != null) {
                    out.add(r.label + " / " + s + ": " + c.error);
                } else if (c.na == null && c.samples.isEmpty()) {
                    out.add(r.label + " / " + s + ": not measured");
                }
            }
        }
        return out;
    }

    /** The results as Markdown: the main table, the CPU table, n/a reasons, notes. */
    String markdown() {
        StringBuilder md = new StringBuilder();
        String p = "Posthorn";
        String d = "Dovecot";
        String c = "Courier";
        md.append("| workload | unit | Dovecot | Courier | Posthorn | P/D | P/C | target |\n");
        md.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
        List<String> reasons = new ArrayList<>();
        for (Row r : ROWS) {
            md.append("| ").append(r.label).append(" | ").append(r.unit);
            for (String s : List.of(d, c, p)) {
                md.append(" | ").append(show(r, s, reasons));
            }
            md.append(" | ").append(ratio(r, p, d)).append(" | ").append(ratio(r, p, c)).append(" | ")
                .append(r.target).append(" |\n");
        }
        if (servers.contains(DOVECOT_FTS)) {
            String f = DOVECOT_FTS;
            md.append("\nUID SEARCH TEXT with and without a full-text index (Dovecot with Debian's dovecot-fts-xapian: "
                + "fts = xapian, fts_autoindex, fts_enforced; its index is built by the first search; "
                + "P/DF is Posthorn against it):\n\n");
            md.append("| workload | unit | Dovecot | Dovecot + fts-xapian | Courier | Posthorn | P/D | P/DF | target |\n");
            md.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
            List<String> ignored = new ArrayList<>();
            for (Row r : ROWS) {
                if (!SEARCH_ROWS.contains(r.id)) {
                    continue;
                }
                md.append("| ").append(r.label).append(" | ").append(r.unit);
                for (String s : List.of(d, f, c, p)) {
                    md.append(" | ").append(show(r, s, s.equals(f) ? reasons : ignored));
                }
                md.append(" | ").append(ratio(r, p, d)).append(" | ").append(ratio(r, p, f)).append(" | ")
                    .append(r.id.equals("search_text") ? "P/D <= 0.05, P/DF <= 1.0" : "").append(" |\n");
            }
        }
        md.append("\nServer CPU time per command (median, ms; from /proc utime+stime of the server's processes):\n\n");
        md.append("| workload | Dovecot | Courier | Posthorn |\n| --- | ---: | ---: | ---: |\n");
        for (Row r : ROWS) {
            if (r.id.startsWith("idle") || r.id.startsWith("mem") || r.id.equals("stress_cpu")
                    || r.id.equals("pipe_cpu") || r.id.equals("search_first")) {
                continue;
            }
            md.append("| ").append(r.label);
            for (String s : List.of(d, c, p)) {
                Cell cell = cell(r.id, s);
                md.append(" | ").append(cell.cpu() == null ? "-" : fmt(cell.cpu()));
            }
            md.append(" |\n");
        }
        if (!reasons.isEmpty()) {
            md.append("\nNot available (the server refused the command, or the run failed):\n\n");
            for (String reason : reasons) {
                md.append("- ").append(reason).append('\n');
            }
        }
        if (!notes.isEmpty()) {
            md.append("\nNotes:\n\n");
            for (String n : notes) {
                md.append("- ").append(n).append('\n');
            }
        }
        return md.toString();
    }

    private String show(Row r, String server, List<String> reasons) {
        if (!servers.contains(server)) {
            return "not run";
        }
        Cell c = cell(r.id, server);
        if (c.error != null) {
            reasons.add(server + ", " + r.label + ": error: " + c.error);
            return "error";
        }
        if (c.na != null) {
            reasons.add(server + ", " + r.label + ": " + c.na);
            return "n/a";
        }
        Double m = c.median();
        if (m == null) {
            return "-";
        }
        String v = fmt(m);
        if (c.note != null) {
            v += " (" + c.note + ")";
        }
        return v;
    }

    private String ratio(Row r, String a, String b) {
        Double x = cell(r.id, a).na == null && cell(r.id, a).error == null ? cell(r.id, a).median() : null;
        Double y = cell(r.id, b).na == null && cell(r.id, b).error == null ? cell(r.id, b).median() : null;
        if (x == null || y == null || y == 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2f", x / y);
    }

    static String fmt(double v) {
        if (v >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (v >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** The q-quantile (0..1) of sorted values, nearest rank. */
    static double quantile(List<Double> sorted, double q) {
        int i = (int) Math.ceil(q * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
