package posthorn.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import javax.inject.Inject;

import org.apache.commons.codec.digest.Crypt;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

import posthorn.auth.api.AuthBackend;

/**
 * Hot swap of an auth backend while clients stay connected (issue 6): with the chain
 * "userdb, passwd", a session logs in through userdb; the userdb bundle is uninstalled, as an
 * operator does from the Felix shell; the session goes on working, and new logins fail over to the
 * passwd backend; the bundle is installed again and serves again -- all without restarting the
 * framework.
 *
 * <p>Which backend served a login shows in which password works: carol has one password in the
 * userdb file and another in the shadow file, and a wrong password at the first backend that knows
 * her ends the attempt (stop.on.wrong.password, the default).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AuthHotSwapIT {
    private static final String CAROL = "carol";
    private static final String USERDB_PASSWORD = "from the userdb file";
    private static final String PASSWD_PASSWORD = "from the shadow file";
    private static final String USERDB_BUNDLE = "posthorn.auth.userdb";

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Configuration
    public Option[] config() {
        return PosthornFramework.options();
    }

    @Test
    public void backendBundleComesAndGoesWhileSessionsStay() throws Exception {
        ServerFixture server = ServerFixture.start(context, configAdmin, CAROL, USERDB_PASSWORD);
        server.deliver(CAROL, "1795000000.M1P1.hotswap", "From: a@example.org\nSubject: kept\n\nbody\n");
        Path home = server.root.resolve("home").resolve(CAROL);
        Path passwd = Files.writeString(server.root.resolve("passwd"), CAROL + ":x:1001:1001::" + home + ":/bin/sh\n");
        Path shadow = Files.writeString(server.root.resolve("shadow"),
                CAROL + ":" + Crypt.crypt(PASSWD_PASSWORD, "$6$hotswap") + ":19000:0:99999:7:::\n");
        ServerFixture.update(configAdmin, "auth.passwd",
                Map.of("passwd.file", passwd.toString(), "shadow.file", shadow.toString(), "min.uid", 1000));
        ServerFixture.await(context, "(&(objectClass=posthorn.auth.api.PasswordDatabase)(" + AuthBackend.NAME + "=passwd))");
        // Short brute-force delays: this test fails logins on purpose.
        ServerFixture.update(configAdmin, "imapd", Map.of("bind", ServerFixture.HOST, "port", server.port,
                "auth.delay.base", 10, "auth.delay.max", 50));
        ServerFixture.update(configAdmin, "auth", Map.of("backends", "userdb, passwd"));

        try (Client kept = new Client(server.port)) {
            // The chain: userdb first, and it knows carol.
            awaitLogin(server.port, USERDB_PASSWORD);
            assertEquals("OK", kept.command("LOGIN " + CAROL + " \"" + USERDB_PASSWORD + "\""));
            assertEquals("OK", kept.command("SELECT INBOX"));
            assertEquals("NO", login(server.port, PASSWD_PASSWORD));

            Bundle userdb = bundle(USERDB_BUNDLE);
            String location = userdb.getLocation();
            userdb.uninstall();

            // The logged-in session is untouched.
            assertEquals("OK", kept.command("NOOP"));
            assertEquals("OK", kept.command("FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])"));
            assertTrue(kept.last, kept.transcript.contains("Subject: kept"));
            // New logins fail over to the passwd backend.
            assertEquals("OK", login(server.port, PASSWD_PASSWORD));
            assertEquals("NO", login(server.port, USERDB_PASSWORD));

            Bundle again = context.installBundle(location);
            again.start();
            ServerFixture.await(context, "(&(objectClass=posthorn.auth.api.PasswordDatabase)(" + AuthBackend.NAME + "=userdb))");

            // userdb serves again, first in the chain.
            assertEquals("OK", login(server.port, USERDB_PASSWORD));
            assertEquals("NO", login(server.port, PASSWD_PASSWORD));
            assertEquals("OK", kept.command("NOOP"));
            assertEquals("OK", kept.command("LOGOUT"));
        }
    }

    private Bundle bundle(String bsn) {
        return Arrays.stream(context.getBundles()).filter(b -> bsn.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new AssertionError("no bundle " + bsn));
    }

    /** The chain is reconfigured asynchronously; waits until carol's userdb password works. */
    private static void awaitLogin(int port, String password) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!login(port, password).equals("OK")) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("carol never logged in with " + password);
            }
            Thread.sleep(100);
        }
    }

    /** One LOGIN on a new connection; the status word of its answer. */
    private static String login(int port, String password) throws IOException {
        try (Client c = new Client(port)) {
            return c.command("LOGIN " + CAROL + " \"" + password + "\"");
        }
    }

    /** A raw IMAP connection: sends tagged commands and returns the tagged status word. */
    private static final class Client implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;
        private int tag;
        String last = "";
        String transcript = "";

        Client(int port) throws IOException {
            socket = new Socket(ServerFixture.HOST, port);
            socket.setSoTimeout(10_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
            String greeting = in.readLine();
            assertTrue(greeting, greeting != null && greeting.startsWith("* OK"));
        }

        String command(String command) throws IOException {
            String t = "h" + (++tag);
            out.write((t + " " + command + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            StringBuilder all = new StringBuilder();
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    throw new AssertionError("connection closed after " + command + ":\n" + all);
                }
                all.append(line).append('\n');
                if (line.startsWith(t + " ")) {
                    last = line;
                    transcript = all.toString();
                    return line.substring(t.length() + 1).split(" ", 2)[0];
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
