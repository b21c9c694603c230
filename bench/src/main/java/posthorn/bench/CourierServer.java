package posthorn.bench;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Courier-IMAP from the Debian package, unpacked with dpkg -x (it conflicts with dovecot-imapd),
 * run as Courier runs it minus the login step: couriertcpd accepts a connection and hands the
 * socket to {@code imapd Maildir} as stdin/stdout. Without authdaemond (its socket path is fixed
 * at build time) there is no LOGIN: each user gets a couriertcpd on a port of its own, serving
 * that user's Maildir pre-authenticated (* PREAUTH). The environment is Debian's /etc/courier/imapd
 * as shipped, except IMAP_ENHANCEDIDLE=1 (instant IDLE through FAM/Gamin rather than a 60 s poll)
 * and the connection limits; Gamin's server is the unpacked one (GAMIN_DEBUG_SERVER).
 */
final class CourierServer extends Server {

    private final Path root;
    private final Map<String, Integer> ports = new HashMap<>();
    private final int maxProcs;

    CourierServer(Path dir, Path root, int maxProcs) {
        super("Courier", dir, null);
        this.root = root;
        this.maxProcs = maxProcs;
    }

    @Override
    void start(List<String> users) throws Exception {
        Map<String, String> env = debianEnvironment();
        env.put("IMAP_ENHANCEDIDLE", "1");
        env.put("LD_LIBRARY_PATH", root.resolve("usr/lib/x86_64-linux-gnu") + ":" + root.resolve("usr/lib"));
        env.put("GAMIN_DEBUG_SERVER", gamServer());
        Files.createDirectories(dir.resolve("log"));
        for (String u : users) {
            int port = freePort();
            ports.put(u, port);
            Path log = dir.resolve("log/" + u + ".log");
            ProcessBuilder pb = new ProcessBuilder(root.resolve("usr/sbin/couriertcpd").toString(),
                "-address=127.0.0.1", "-maxprocs=" + maxProcs, "-maxperip=" + maxProcs, "-maxperc=" + maxProcs,
                "-listen=1024", "-nodnslookup", "-noidentlookup", "-stderr=" + log, Integer.toString(port),
                root.resolve("usr/bin/imapd").toString(), maildir(u).toString())
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("log/tcpd-" + u + ".log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().putAll(env);
            Process p = pb.start();
            processes.add(p);
            awaitGreeting(address(u), p, dir.resolve("log/tcpd-" + u + ".log"));
        }
    }

    private String gamServer() {
        return root.resolve("usr/libexec/gam_server").toString();
    }

    /** KEY=VALUE lines of the packaged /etc/courier/imapd, quotes removed, $VAR expanded. */
    private Map<String, String> debianEnvironment() throws Exception {
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(root.resolve("etc/courier/imapd"))) {
            line = line.trim();
            int eq = line.indexOf('=');
            if (line.isEmpty() || line.startsWith("#") || eq < 1) {
                continue;
            }
            String key = line.substring(0, eq);
            String value = line.substring(eq + 1);
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            for (Map.Entry<String, String> e : env.entrySet()) {
                value = value.replace("$" + e.getKey(), e.getValue());
            }
            env.put(key, value);
        }
        return env;
    }

    @Override
    InetSocketAddress address(String user) {
        Integer port = ports.get(user);
        if (port == null) {
            throw new IllegalArgumentException("no couriertcpd for " + user);
        }
        return new InetSocketAddress("127.0.0.1", port);
    }

    @Override
    String loginNote() {
        return "PREAUTH greeting (no LOGIN: imapd serves one Maildir)";
    }

    @Override
    List<Long> roots() {
        List<Long> out = new ArrayList<>(super.roots());
        out.addAll(ProcStats.byExecutable(gamServer()));
        return out;
    }

    @Override
    void stop() {
        List<Long> gam = ProcStats.byExecutable(gamServer());
        super.stop();
        for (long pid : gam) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        }
    }

    @Override
    String version() {
        try {
            return "Courier-IMAP " + Files.readString(root.resolve("VERSION")).trim();
        } catch (Exception e) {
            return "Courier-IMAP (version unknown)";
        }
    }
}
