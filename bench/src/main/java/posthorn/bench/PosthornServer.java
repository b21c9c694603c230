package posthorn.bench;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;

/**
 * Posthorn from this tree, started as a user starts it ({@code ./posthorn run --config DIR}) with
 * a generated config folder: the default config files with the port, connection limits and a
 * userdb of the bench users (SHA-512 crypt passwords, mail= pointing at each user's copy).
 */
final class PosthornServer extends Server {

    private final Path top;
    private final String hash;
    private final String commit;
    private final int maxSessions;
    private int port;

    /** {@code maxSessions}: the connection limits are set above it, so that the server, not its config, ends a ramp. */
    PosthornServer(Path dir, String password, String hash, Path top, String commit, int maxSessions) {
        super("Posthorn", dir, password);
        this.top = top;
        this.hash = hash;
        this.commit = commit;
        this.maxSessions = Math.max(30_000, maxSessions + 1000);
    }

    @Override
    void start(List<String> users) throws Exception {
        port = freePort();
        Path conf = dir.resolve("config");
        Files.createDirectories(conf);
        try (var files = Files.list(top.resolve("config"))) {
            for (Path f : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".cfg"))::iterator) {
                Files.copy(f, conf.resolve(f.getFileName()));
            }
        }
        set(conf.resolve("imapd.cfg"), "port", Integer.toString(port));
        // No IMAPS listener: the workloads use the plain port, and the default 1993 may be taken by
        // another server on the machine (a Posthorn that cannot listen there stops, as it should).
        set(conf.resolve("imapd.cfg"), "tls.port", "0");
        set(conf.resolve("imapd.cfg"), "max.connections", Integer.toString(maxSessions));
        set(conf.resolve("imapd.cfg"), "max.per.ip", Integer.toString(maxSessions));
        // The load generator logs in without TLS from 127.0.0.2-9 (source addresses spread the
        // connections); Dovecot's and Courier's bench configurations allow plaintext there too.
        set(conf.resolve("imapd.cfg"), "trusted.networks", "127.0.0.0/8");
        // The workloads name folders as Courier does (INBOX.x for .x), as the three servers share them.
        set(conf.resolve("imapd.cfg"), "namespace.prefix", "INBOX.");
        set(conf.resolve("auth.userdb.cfg"), "file", dir.resolve("userdb").toString());
        set(conf.resolve("auth.userdb.cfg"), "demo", "false");
        StringBuilder userdb = new StringBuilder("# Written by ./posthorn bench\n");
        for (String u : users) {
            userdb.append(u).append("\thome=").append(home(u)).append("|mail=").append(maildir(u))
                .append("|systempw=").append(hash).append('\n');
        }
        Files.writeString(dir.resolve("userdb"), userdb);
        Files.createDirectories(dir.resolve("var"));
        Path log = dir.resolve("posthorn.log");
        ProcessBuilder pb = new ProcessBuilder(top.resolve("posthorn").toString(), "run", "--config", conf.toString())
            .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("POSTHORN_VAR", dir.resolve("var").toString());
        Process p = pb.start();
        processes.add(p);
        awaitGreeting(address(null), p, log);
    }

    /** The log's length now: notices queued before this are processed before a later fts.idle line. */
    @Override
    long indexMark() {
        try {
            return Files.size(dir.resolve("posthorn.log"));
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    /**
     * Waits for the log line {@code event=fts.idle} (posthorn.store.fts: the background indexer's
     * queue is empty and no user is being indexed) written after {@code mark}: the mailbox announced
     * before the mark has been indexed, as a user's mail would be some time after delivery.
     */
    @Override
    double awaitIndexed(long mark, double maxSeconds) throws Exception {
        if (mark < 0) {
            return -1;
        }
        long t0 = System.nanoTime();
        Path log = dir.resolve("posthorn.log");
        while ((System.nanoTime() - t0) / 1e9 < maxSeconds) {
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(log.toFile(), "r")) {
                if (f.length() > mark) {
                    f.seek(mark);
                    byte[] rest = new byte[(int) Math.min(Integer.MAX_VALUE - 8, f.length() - mark)];
                    f.readFully(rest);
                    if (new String(rest, java.nio.charset.StandardCharsets.ISO_8859_1).contains("event=fts.idle")) {
                        return (System.nanoTime() - t0) / 1e9;
                    }
                }
            }
            Thread.sleep(500);
        }
        return -1;
    }

    /** Sets {@code key=value} in a config file, replacing the key's line or adding one. */
    private static void set(Path file, String key, String value) throws Exception {
        String text = Files.exists(file) ? Files.readString(file) : "";
        String line = key + "=" + value;
        Matcher m = java.util.regex.Pattern.compile("(?m)^" + java.util.regex.Pattern.quote(key) + "=.*$").matcher(text);
        text = m.find() ? m.replaceAll(Matcher.quoteReplacement(line))
            : text + (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + line + "\n";
        Files.writeString(file, text);
    }

    @Override
    InetSocketAddress address(String user) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    @Override
    String version() {
        return "Posthorn " + commit;
    }
}
