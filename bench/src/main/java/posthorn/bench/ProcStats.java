package posthorn.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CPU time and memory of a server's processes, read from /proc (Linux only).
 *
 * <p>A server is a set of root processes and all their descendants. Its CPU time is the sum over
 * that tree of utime+stime+cutime+cstime: a child that exits moves its time into its parent's
 * cutime/cstime when the parent reaps it (Dovecot's master, couriertcpd), so the sum only grows
 * and a delta over a workload counts the processes that came and went during it. Memory is the
 * sum of Rss and Pss from smaps_rollup over the live tree (Pss shares each shared page out among
 * the processes that map it, so summed Pss is the tree's real footprint; summed Rss counts shared
 * libraries once per process).
 */
final class ProcStats {

    /** Clock ticks per second of /proc/PID/stat times (USER_HZ; 100 on every Linux we meet). */
    static final double HZ = 100.0;

    private ProcStats() {
    }

    /** One process: parent and CPU ticks (own, and of reaped children). */
    record Proc(long pid, long ppid, long ticks, long childTicks, String comm) {}

    /** Memory of a process tree, in KB. */
    record Memory(long rssKb, long pssKb, int processes) {
        double rssMb() {
            return rssKb / 1024.0;
        }

        double pssMb() {
            return pssKb / 1024.0;
        }
    }

    /** Every process now, by pid. */
    static Map<Long, Proc> snapshot() {
        Map<Long, Proc> all = new HashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path d : dirs) {
                String name = d.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                Proc p = read(Long.parseLong(name));
                if (p != null) {
                    all.put(p.pid, p);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc", e);
        }
        return all;
    }

    static Proc read(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return null; // gone meanwhile
        }
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        String comm = stat.substring(open + 1, close);
        String[] f = stat.substring(close + 2).split(" ");
        // f[0] state, f[1] ppid, f[11] utime, f[12] stime, f[13] cutime, f[14] cstime
        return new Proc(pid, Long.parseLong(f[1]), Long.parseLong(f[11]) + Long.parseLong(f[12]),
            Long.parseLong(f[13]) + Long.parseLong(f[14]), comm);
    }

    /** The roots and all their live descendants. */
    static Set<Long> tree(Collection<Long> roots, Map<Long, Proc> all) {
        Map<Long, List<Long>> children = new HashMap<>();
        for (Proc p : all.values()) {
            children.computeIfAbsent(p.ppid, k -> new ArrayList<>()).add(p.pid);
        }
        Set<Long> out = new HashSet<>();
        ArrayDeque<Long> todo = new ArrayDeque<>();
        for (Long r : roots) {
            if (all.containsKey(r)) {
                todo.add(r);
            }
        }
        while (!todo.isEmpty()) {
            long p = todo.poll();
            if (out.add(p)) {
                todo.addAll(children.getOrDefault(p, List.of()));
            }
        }
        return out;
    }

    /** CPU seconds used so far by the tree under {@code roots}, reaped children included. */
    static double cpuSeconds(Collection<Long> roots) {
        Map<Long, Proc> all = snapshot();
        long ticks = 0;
        for (long pid : tree(roots, all)) {
            Proc p = all.get(pid);
            ticks += p.ticks + p.childTicks;
        }
        return ticks / HZ;
    }

    /** Number of live processes in the tree. */
    static int count(Collection<Long> roots) {
        return tree(roots, snapshot()).size();
    }

    /** Summed Rss and Pss of the live tree under {@code roots}. */
    static Memory memory(Collection<Long> roots) {
        long rss = 0;
        long pss = 0;
        Set<Long> pids = tree(roots, snapshot());
        for (long pid : pids) {
            long[] m = rollup(pid);
            rss += m[0];
            pss += m[1];
        }
        return new Memory(rss, pss, pids.size());
    }

    /** Rss and Pss in KB from smaps_rollup; Rss from status (Pss taken equal) where smaps is closed to us. */
    static long[] rollup(long pid) {
        long rss = 0;
        long pss = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
                if (line.startsWith("Rss:")) {
                    rss = kb(line);
                } else if (line.startsWith("Pss:")) {
                    pss = kb(line);
                }
            }
            return new long[] {rss, pss};
        } catch (IOException | RuntimeException e) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                    if (line.startsWith("VmRSS:")) {
                        rss = kb(line);
                    }
                }
            } catch (IOException | RuntimeException gone) {
                // exited meanwhile
            }
            return new long[] {rss, rss};
        }
    }

    private static long kb(String line) {
        String[] f = line.trim().split("\\s+");
        return Long.parseLong(f[1]);
    }

    /** CPU seconds this JVM (the load generator) has used. */
    static double selfCpuSeconds() {
        Proc p = read(ProcessHandle.current().pid());
        return p == null ? 0 : p.ticks / HZ;
    }

    /** MemAvailable from /proc/meminfo, in KB. */
    static long memAvailableKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return kb(line);
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return Long.MAX_VALUE;
    }

    /** Pids of processes whose command line starts with {@code exe}, owned by anyone. */
    static List<Long> byExecutable(String exe) {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path d : dirs) {
                String name = d.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                try {
                    byte[] cmd = Files.readAllBytes(d.resolve("cmdline"));
                    if (new String(cmd, StandardCharsets.ISO_8859_1).startsWith(exe)) {
                        out.add(Long.parseLong(name));
                    }
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc", e);
        }
        return out;
    }
}
