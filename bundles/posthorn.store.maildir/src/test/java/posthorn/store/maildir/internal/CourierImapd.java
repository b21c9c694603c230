package posthorn.store.maildir.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assertions;

/**
 * Courier-IMAP's own imapd, unpacked from Debian packages by tools/courier-unpack into
 * var/cache/courier, run pre-authenticated on a Maildir over stdin/stdout ({@code imapd Maildir}) with
 * the settings of Debian's /etc/courier/imapd that matter here (keywords, ACLs, dot locks).
 */
final class CourierImapd {
    private static final Pattern UID = Pattern.compile("\\bUID (\\d+)");
    private static final Pattern FLAGS = Pattern.compile("\\bFLAGS \\(([^)]*)\\)");
    private static final Pattern FETCH = Pattern.compile("^\\* \\d+ FETCH ");
    private static final Pattern VALIDITY = Pattern.compile("\\[UIDVALIDITY (\\d+)\\]");

    private static final String GAM_ID = "posthorn-test-" + ProcessHandle.current().pid();
    private static Process gamServer;

    private final Path root;

    private CourierImapd(Path root) {
        this.root = root;
    }

    /**
     * gamin's server, for this JVM's imapd runs: without one, libgamin spends a second retrying on
     * every mailbox imapd opens. Stopped when the JVM exits; optional.
     */
    private static synchronized void startGamServer(Path root) {
        Path exe = root.resolve("usr/libexec/gam_server");
        if (gamServer != null || !Files.isExecutable(exe)) {
            return;
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(exe.toString(), GAM_ID);
            pb.environment().put("LD_LIBRARY_PATH", libraryPath(root));
            pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            gamServer = pb.start();
            Process p = gamServer;
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
            Thread.sleep(200);
        } catch (IOException e) {
            System.err.println("gam_server not started: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String libraryPath(Path root) {
        return root.resolve("usr/lib") + ":" + root.resolve("usr/lib/x86_64-linux-gnu") + ":"
                + root.resolve("usr/lib/courier-authlib") + ":" + root.resolve("lib/x86_64-linux-gnu");
    }

    /** The result of one of Courier's tools: its exit status and what it wrote. */
    record Run(int status, String output) {
    }

    /**
     * Runs one of Courier's programs from usr/bin (deliverquota.courier, maildirmake.courier) with
     * {@code stdin} as its input (or none).
     */
    Run tool(String program, byte[] stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(root.resolve("usr/bin").resolve(program).toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LD_LIBRARY_PATH", libraryPath(root));
        Process p = pb.start();
        try (OutputStream os = p.getOutputStream()) {
            if (stdin != null) {
                os.write(stdin);
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(program + " did not finish: " + out);
        }
        return new Run(p.exitValue(), out);
    }

    /**
     * The unpacked imapd, unpacking it first if need be. Fails (never skips) if it cannot be had:
     * the compatibility test is what shows a Courier site can switch, so a run without it is not a
     * passing run. ./posthorn test unpacks it through tools/test-deps.
     */
    static CourierImapd find() {
        Path top = Path.of("").toAbsolutePath();
        while (top != null && !Files.isRegularFile(top.resolve("tools/courier-unpack"))) {
            top = top.getParent();
        }
        Assertions.assertNotNull(top, "Courier compatibility test: tools/courier-unpack not found");
        Path cache = top.resolve("var/cache/courier");
        if (!Files.isExecutable(cache.resolve("root/usr/bin/imapd"))
                || !Files.exists(cache.resolve("root/lib/x86_64-linux-gnu/libpcre.so.3"))) {
            try {
                Process p = new ProcessBuilder(top.resolve("tools/courier-unpack").toString(), cache.toString())
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    System.err.println(out);
                }
            } catch (IOException e) {
                System.err.println("courier-unpack: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Assertions.assertTrue(Files.isExecutable(cache.resolve("root/usr/bin/imapd"))
                && Files.exists(cache.resolve("root/lib/x86_64-linux-gnu/libpcre.so.3")),
                "Courier compatibility test: Courier-IMAP's .debs could not be had; run tools/courier-unpack"
                        + " (as root, or install apt-get's lists first)");
        startGamServer(cache.resolve("root"));
        return new CourierImapd(cache.resolve("root"));
    }

    /** One IMAP command to send, tagged in order; a literal is sent inline after "{n}". */
    static String append(String mailbox, String flags, String message) {
        byte[] b = message.getBytes(StandardCharsets.UTF_8);
        return "APPEND " + mailbox + " (" + flags + ") {" + b.length + "}\r\n" + message;
    }

    /** Runs one session of the given commands (then LOGOUT); returns the whole output. */
    String session(Path maildir, Map<String, String> env, String... commands) throws Exception {
        StringBuilder in = new StringBuilder();
        int tag = 0;
        for (String c : commands) {
            in.append('t').append(++tag).append(' ').append(c).append("\r\n");
        }
        in.append("z LOGOUT\r\n");
        ProcessBuilder pb = new ProcessBuilder(root.resolve("usr/bin/imapd").toString(), maildir.toString());
        pb.directory(maildir.getParent().toFile());
        Map<String, String> e = pb.environment();
        e.put("LD_LIBRARY_PATH", libraryPath(root));
        e.put("GAM_CLIENT_ID", GAM_ID);
        e.put("IMAP_KEYWORDS", "1");
        e.put("IMAP_ACL", "1");
        e.put("IMAP_USELOCKS", "1");
        e.put("IMAP_CAPABILITY", "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE QUOTA IDLE ACL ACL2=UNION");
        e.putAll(env);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (InputStream is = p.getInputStream()) {
                is.transferTo(out);
            } catch (IOException ignored) {
                // the process ended
            }
        });
        try (OutputStream os = p.getOutputStream()) {
            os.write(in.toString().getBytes(StandardCharsets.UTF_8));
        }
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("Courier's imapd did not finish: " + out);
        }
        reader.join(5000);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** What one SELECT (followed by FETCH 1:* (UID FLAGS)) showed. */
    record Selected(long uidValidity, Map<Long, Set<String>> flags) {
    }

    /** Splits a session's output at each SELECT's tagged OK and reads UIDVALIDITY and FETCH lines. */
    static List<Selected> selections(String output) {
        List<Selected> result = new ArrayList<>();
        long validity = -1;
        Map<Long, Set<String>> flags = null;
        for (String line : output.split("\r?\n")) {
            Matcher v = VALIDITY.matcher(line);
            if (v.find()) {
                if (flags != null) {
                    result.add(new Selected(validity, flags));
                }
                validity = Long.parseLong(v.group(1));
                flags = new LinkedHashMap<>();
                continue;
            }
            if (flags != null && FETCH.matcher(line).find()) {
                Matcher u = UID.matcher(line);
                Matcher f = FLAGS.matcher(line);
                if (u.find() && f.find()) {
                    Set<String> set = new TreeSet<>();
                    for (String x : f.group(1).split(" ")) {
                        if (!x.isEmpty() && !x.equals("\\Recent")) {
                            set.add(x);
                        }
                    }
                    flags.put(Long.parseLong(u.group(1)), set);
                }
            }
        }
        if (flags != null) {
            result.add(new Selected(validity, flags));
        }
        return result;
    }
}
