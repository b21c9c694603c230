package posthorn.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One IMAP server under test: its own folder (config, state, logs, a home per user with its own
 * copy of the data), started on loopback ports, stopped and removed afterwards.
 */
abstract class Server {

    final String name;
    final Path dir;
    final String password;
    final List<Process> processes = new ArrayList<>();

    Server(String name, Path dir, String password) {
        this.name = name;
        this.dir = dir;
        this.password = password;
    }

    Path home(String user) {
        return dir.resolve("home").resolve(user);
    }

    Path maildir(String user) {
        return home(user).resolve("Maildir");
    }

    /** Writes the configuration for these users (their Maildirs are in place) and starts the server. */
    abstract void start(List<String> users) throws Exception;

    /** Where to connect for this user's mail. */
    abstract InetSocketAddress address(String user);

    /**
     * A mark in the server's own record of its work, taken once mail has been announced to it (after
     * the first SELECT of a mailbox), for {@link #awaitIndexed}; -1 where the server keeps no index
     * in the background (Dovecot and Courier index, where they do, during the search itself).
     */
    long indexMark() {
        return -1;
    }

    /**
     * Waits, at most {@code maxSeconds}, until the server says its background indexing of what came
     * before {@code mark} is done; returns the seconds waited, or -1 if it did not say so in time (or
     * keeps no background index).
     */
    double awaitIndexed(long mark, double maxSeconds) throws Exception {
        return -1;
    }

    abstract String version();

    /** How a session gets authenticated here, for the table's notes. */
    String loginNote() {
        return "LOGIN";
    }

    /** The processes whose trees make up the server now (CPU and memory are summed over them). */
    List<Long> roots() {
        List<Long> out = new ArrayList<>();
        for (Process p : processes) {
            if (p.isAlive()) {
                out.add(p.pid());
            }
        }
        return out;
    }

    /** Whether the server is still running (all its started processes alive). */
    boolean alive() {
        return processes.stream().allMatch(Process::isAlive);
    }

    /** SIGTERM to every process of the server, then SIGKILL to what is left after 20 s. */
    void stop() {
        List<ProcessHandle> all = new ArrayList<>();
        for (long pid : ProcStats.tree(roots(), ProcStats.snapshot())) {
            ProcessHandle.of(pid).ifPresent(all::add);
        }
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (ProcessHandle h : all) { // children a server left behind (couriertcpd's imapd)
            if (h.isAlive()) {
                h.destroy();
            }
        }
    }

    /**
     * Waits until a greeting comes from {@code address}, or the process died, or 5 minutes passed
     * (a JVM and its OSGi framework start slowly on a loaded machine: 90 s was seen to be too short).
     */
    void awaitGreeting(InetSocketAddress address, Process process, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; log " + log
                    + ":\n" + tail(log));
            }
            try (ImapConnection c = ImapConnection.open(address, null, 2000)) {
                return;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException(name + " did not greet on " + address + " within 5 minutes; log " + log + ":\n" + tail(log));
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, java.nio.charset.StandardCharsets.ISO_8859_1);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Numeric uid and gid of this process, from /proc/self/status. */
    static long[] ids() throws IOException {
        long uid = -1;
        long gid = -1;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Uid:")) {
                uid = Long.parseLong(line.split("\\s+")[1]);
            } else if (line.startsWith("Gid:")) {
                gid = Long.parseLong(line.split("\\s+")[1]);
            }
        }
        return new long[] {uid, gid};
    }

    static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return out;
        } catch (IOException | InterruptedException e) {
            return "?";
        }
    }
}
