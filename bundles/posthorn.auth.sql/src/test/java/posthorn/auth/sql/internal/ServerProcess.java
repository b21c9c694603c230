package posthorn.auth.sql.internal;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A database server the tests start as a child process on a loopback port, with its data in a
 * temporary directory; stopped and deleted after. A server that cannot be found or started fails
 * the tests with a message that says why (never skips them).
 */
abstract class ServerProcess implements AutoCloseable {

    final Path dir;
    final int port;
    private Process process;
    private Path log;
    private List<String> command;
    private Duration startTimeout;
    private final Thread reaper = new Thread(this::kill, "db-reaper");

    ServerProcess(String name) {
        try {
            dir = Files.createTempDirectory("posthorn-" + name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        port = freePort();
        Runtime.getRuntime().addShutdownHook(reaper); // a JVM that dies early still stops the server
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The first executable among the candidates, or a failure naming the Debian package. */
    static Path find(String debianPackage, String... candidates) {
        for (String c : candidates) {
            if (c.contains("/")) {
                Path p = Path.of(c);
                if (Files.isExecutable(p)) {
                    return p;
                }
            } else {
                for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
                    Path p = Path.of(d.isEmpty() ? "." : d, c);
                    if (Files.isExecutable(p)) {
                        return p;
                    }
                }
            }
        }
        fail("none of " + List.of(candidates) + " found: install the Debian package " + debianPackage
                + " (tools/test-deps installs it when run as root)");
        return null;
    }

    /** Runs a set-up command to its end; fails the tests with its output if it does not succeed. */
    void run(Duration timeout, List<String> command) throws Exception {
        Path out = dir.resolve("setup.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            fail(command.getFirst() + " took longer than " + timeout + ":\n" + tail(out));
        }
        if (p.exitValue() != 0) {
            fail(String.join(" ", command) + " failed with status " + p.exitValue() + ":\n" + tail(out));
        }
    }

    /** Starts the server and waits until {@code connect} succeeds. */
    void start(List<String> command, Duration timeout) throws Exception {
        this.command = List.copyOf(command);
        this.startTimeout = timeout;
        log = dir.resolve("server.log");
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail(command.getFirst() + " exited with status " + process.exitValue() + ":\n" + tail(log));
            }
            try (Connection c = connect()) {
                return;
            } catch (Exception e) {
                last = e;
                Thread.sleep(100);
            }
        }
        kill();
        fail(command.getFirst() + " did not accept connections within " + timeout + " (" + last + "):\n" + tail(log));
    }

    /** Starts the server again as it was started, on the same port and data, after {@link #stop()}. */
    void restart() throws Exception {
        start(command, startTimeout);
    }

    /**
     * Sends the server a signal (STOP, CONT ...): its process and every process it started (each
     * PostgreSQL connection has one), by process id.
     */
    void signal(String name) throws Exception {
        Process p = process;
        if (p != null) {
            List<String> command = new ArrayList<>(List.of("kill", "-" + name, Long.toString(p.pid())));
            p.descendants().forEach(d -> command.add(Long.toString(d.pid())));
            new ProcessBuilder(command).inheritIO().start().waitFor();
        }
    }

    /** An admin connection, to check that the server is up. */
    abstract Connection connect() throws Exception;

    /** Stops the server (see {@link #signalStop}), then kills it if it does not go. */
    void stop() throws Exception {
        if (process == null) {
            return;
        }
        signalStop(process);
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        process = null;
    }

    /** Asks the server to shut down cleanly: SIGTERM, unless the server wants another signal. */
    void signalStop(Process p) throws Exception {
        p.destroy();
    }

    private void kill() {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
        }
    }

    @Override
    public void close() throws Exception {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException e) {
            // shutting down already
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static String tail(Path file) {
        try {
            List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
            return String.join("\n", new ArrayList<>(lines.subList(Math.max(0, lines.size() - 30), lines.size())));
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }
}
