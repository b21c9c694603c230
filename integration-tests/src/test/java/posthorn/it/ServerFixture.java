package posthorn.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Dictionary;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.commons.codec.digest.Crypt;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

import posthorn.auth.api.AuthBackend;

/**
 * A configured, listening server inside the framework, with users whose Maildirs sit in a temporary
 * directory (under target/it when Maven runs the tests). Made once per framework: the tests of a
 * class share it, so each test that changes a mailbox has a user of its own.
 *
 * <p>Order matters, and is the one an operator's config/ directory gives at start: the userdb,
 * auth and maildir configurations are in ConfigurationAdmin and their services registered before
 * the server bundle starts; then imapd is configured with the test's port and the server started.
 * Started earlier, the server would first bind the default port 1143, where a real server may run.
 */
final class ServerFixture {
    static final String HOST = "127.0.0.1";
    private static final Duration WAIT = Duration.ofSeconds(20);

    final Path root;
    final int port;
    /** What the server bundle logged to stderr while it started (through SLF4J 2 and slf4j-simple). */
    final String startupLog;
    private final Map<String, Path> maildirs;

    private ServerFixture(Path root, int port, String startupLog, Map<String, Path> maildirs) {
        this.root = root;
        this.port = port;
        this.startupLog = startupLog;
        this.maildirs = maildirs;
    }

    /**
     * Creates the users (name, password, name, password...) with empty Maildirs, configures
     * everything and starts the server.
     */
    static ServerFixture start(BundleContext context, ConfigurationAdmin configAdmin, String... users)
            throws Exception {
        Path base = Path.of(System.getProperty(PosthornFramework.WORKDIR, System.getProperty("java.io.tmpdir")));
        Files.createDirectories(base);
        Path root = Files.createTempDirectory(base, "imap-");

        Map<String, Path> maildirs = new LinkedHashMap<>();
        StringBuilder userdb = new StringBuilder();
        for (int i = 0; i < users.length; i += 2) {
            String name = users[i];
            Path home = Files.createDirectories(root.resolve("home").resolve(name));
            Path maildir = home.resolve("Maildir");
            for (String sub : new String[] {"cur", "new", "tmp"}) {
                Files.createDirectories(maildir.resolve(sub));
            }
            maildirs.put(name, maildir);
            String hash = Crypt.crypt(users[i + 1], "$6$it" + name);
            userdb.append(name).append('\t')
                    .append("uid=1000|gid=1000|home=").append(home)
                    .append("|mail=").append(maildir)
                    .append("|systempw=").append(hash).append('\n');
        }
        Path userdbFile = root.resolve("userdb");
        Files.createFile(userdbFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(userdbFile, userdb);

        update(configAdmin, "auth.userdb", Map.of("file", userdbFile.toString(), "demo", false));
        update(configAdmin, "auth", Map.of("backends", "userdb"));
        update(configAdmin, "maildir", Map.of("template", "%h/Maildir"));
        await(context, "(&(objectClass=posthorn.auth.api.PasswordDatabase)(" + AuthBackend.NAME
                + "=userdb)(file=" + escape(userdbFile.toString()) + "))");
        await(context, "(&(objectClass=posthorn.store.api.MailStore)(template=%h/Maildir))");

        int port = freePort();
        update(configAdmin, "imapd", Map.of("bind", HOST, "port", port));

        Bundle server = context.installBundle(System.getProperty(PosthornFramework.IMAP_SERVER_LOCATION));
        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new TeeStream(stderr, log), true, StandardCharsets.UTF_8));
        try {
            server.start();
            await(context, "(&(objectClass=posthorn.imap.server.internal.ImapServer)(port=" + port + "))");
            awaitGreeting(port);
        } finally {
            System.setErr(stderr);
        }
        return new ServerFixture(root, port, log.toString(StandardCharsets.UTF_8), maildirs);
    }

    /** Delivers a message as an MTA does: written in tmp/, then renamed into new/ (Maildir spec). */
    Path deliver(String user, String name, String message) throws IOException {
        Path maildir = maildirs.get(user);
        Path tmp = maildir.resolve("tmp").resolve(name);
        Files.writeString(tmp, message, StandardCharsets.US_ASCII);
        return Files.move(tmp, maildir.resolve("new").resolve(name));
    }

    static void update(ConfigurationAdmin configAdmin, String pid, Map<String, Object> properties)
            throws IOException {
        // "?" leaves the configuration unbound, so it reaches the components of any bundle; a plain
        // getConfiguration(pid) would bind it to the probe bundle, where no component would see it.
        Configuration c = configAdmin.getConfiguration(pid, "?");
        Dictionary<String, Object> d = FrameworkUtil.asDictionary(new LinkedHashMap<>(properties));
        c.update(d);
    }

    static void await(BundleContext context, String filter) throws InvalidSyntaxException, InterruptedException {
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context, context.createFilter(filter), null);
        tracker.open(true);
        try {
            if (tracker.waitForService(WAIT.toMillis()) == null) {
                throw new AssertionError("no service " + filter + " within " + WAIT.toSeconds() + " s");
            }
        } finally {
            tracker.close();
        }
    }

    /** The service is registered before it binds; the greeting proves the listener is up. */
    private static void awaitGreeting(int port) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(HOST, port), 1000);
                s.setSoTimeout(5000);
                byte[] greeting = s.getInputStream().readNBytes(4);
                if (new String(greeting, StandardCharsets.US_ASCII).equals("* OK")) {
                    return;
                }
                throw new AssertionError("unexpected greeting: " + new String(greeting, StandardCharsets.US_ASCII));
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    /** A port free right now; the small race with other processes is acceptable in a test. */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(HOST))) {
            return s.getLocalPort();
        }
    }

    /** Copies everything written to two streams. */
    private static final class TeeStream extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        TeeStream(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }
    }

    /** An LDAP filter value (RFC 4515): a path may hold characters the filter syntax uses. */
    private static String escape(String value) {
        return value.replace("\\", "\\5c").replace("*", "\\2a").replace("(", "\\28").replace(")", "\\29");
    }
}
