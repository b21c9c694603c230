package posthorn.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.cm.ConfigurationAdmin;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.UIDFolder;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

/**
 * The real bundles in a real Felix, and a real IMAP client over a real socket. The test methods run
 * inside the framework (Pax Exam's probe), and so does the client: Jakarta Mail (Angus) is installed
 * as bundles, its providers found through SPI Fly as in any OSGi application.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ImapServerIT {
    private static final String ALICE = "alice";
    private static final String ALICE_PASSWORD = "correct horse";
    private static final String BOB = "bob";
    private static final String BOB_PASSWORD = "battery staple";

    private static final String FIRST = """
            From: Carol Sender <carol@example.org>
            To: Alice <alice@example.org>
            Subject: Posthorn integration test
            Date: Tue, 24 Nov 2026 10:00:00 +0000
            Message-ID: <it-1@example.org>
            MIME-Version: 1.0
            Content-Type: text/plain; charset=us-ascii

            Hello Alice,
            this message came through a Maildir and IMAP.
            """;

    /** Shared by the tests of this class, which share one framework (PerClass). */
    private static ServerFixture server;

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Configuration
    public Option[] config() {
        return PosthornFramework.options();
    }

    private ClassLoader contextClassLoader;

    /**
     * Jakarta Mail finds its providers through the thread context class loader, which Pax Exam
     * leaves at the test JVM's application class loader: there it would find Angus on the test
     * class path, whose classes are not those of the bundles ("MailStreamProvider not a subtype").
     * Angus's bundle class loader sees its own providers and the jakarta.mail-api bundle.
     */
    @Before
    public void useAngusForJakartaMail() {
        Bundle angus = Arrays.stream(context.getBundles())
                .filter(b -> "org.eclipse.angus.mail".equals(b.getSymbolicName()))
                .findFirst().orElseThrow();
        contextClassLoader = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(angus.adapt(BundleWiring.class).getClassLoader());
    }

    @After
    public void restoreContextClassLoader() {
        Thread.currentThread().setContextClassLoader(contextClassLoader);
    }

    @Before
    public void startServer() throws Exception {
        synchronized (ImapServerIT.class) {
            if (server == null) {
                server = ServerFixture.start(context, configAdmin, ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD);
                server.deliver(ALICE, "1795000000.M1P1.posthorn-it", FIRST);
                server.deliver(BOB, "1795000001.M1P1.posthorn-it", message("First for Bob"));
            }
        }
    }

    @Test
    public void logsInListsAndReadsInboxReadOnly() throws Exception {
        Store store = session().getStore("imap");
        store.connect(ServerFixture.HOST, server.port, ALICE, ALICE_PASSWORD);
        try {
            List<String> folders = new ArrayList<>();
            for (Folder f : store.getDefaultFolder().list("*")) {
                folders.add(f.getFullName());
            }
            assertTrue("INBOX in " + folders, folders.contains("INBOX"));

            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            try {
                assertEquals(Folder.READ_ONLY, inbox.getMode());
                assertEquals(1, inbox.getMessageCount());
                // What Jakarta Mail reads through FETCH ENVELOPE and BODYSTRUCTURE ...
                Message fetched = inbox.getMessage(1);
                assertEquals("Posthorn integration test", fetched.getSubject());
                assertEquals("carol@example.org", ((InternetAddress) fetched.getFrom()[0]).getAddress());
                assertTrue(fetched.isMimeType("text/plain"));
                // ... and what it parses from the message's text.
                MimeMessage message = readWhole(fetched);
                assertEquals("Posthorn integration test", message.getSubject());
                InternetAddress from = (InternetAddress) message.getFrom()[0];
                assertEquals("carol@example.org", from.getAddress());
                assertEquals("Carol Sender", from.getPersonal());
                assertEquals("<it-1@example.org>", message.getMessageID());
                assertEquals("Hello Alice,\nthis message came through a Maildir and IMAP.\n",
                        ((String) message.getContent()).replace("\r\n", "\n"));
            } finally {
                inbox.close(false);
            }
        } finally {
            store.close();
        }
    }

    @Test
    public void wrongPasswordIsRefused() throws Exception {
        Store store = session().getStore("imap");
        assertThrows(AuthenticationFailedException.class,
                () -> store.connect(ServerFixture.HOST, server.port, ALICE, "wrong " + ALICE_PASSWORD));
        assertFalse(store.isConnected());
    }

    @Test
    public void deliveredMessageGetsTheNextUid() throws Exception {
        Store store = session().getStore("imap");
        store.connect(ServerFixture.HOST, server.port, BOB, BOB_PASSWORD);
        try {
            Folder inbox = store.getFolder("INBOX");
            UIDFolder uids = (UIDFolder) inbox;
            inbox.open(Folder.READ_ONLY);
            assertEquals(1, inbox.getMessageCount());
            long validity = uids.getUIDValidity();
            long first = uids.getUID(inbox.getMessage(1));
            inbox.close(false);

            server.deliver(BOB, "1795000002.M2P1.posthorn-it", message("Second for Bob"));

            inbox.open(Folder.READ_ONLY);
            try {
                assertEquals(2, inbox.getMessageCount());
                assertEquals(validity, uids.getUIDValidity());
                assertEquals(first, uids.getUID(inbox.getMessage(1)));
                assertEquals(first + 1, uids.getUID(inbox.getMessage(2)));
                assertEquals("Second for Bob", readWhole(inbox.getMessage(2)).getSubject());
            } finally {
                inbox.close(false);
            }
        } finally {
            store.close();
        }
    }

    /** Bad input gets BAD, the session goes on, and a command in the wrong state changes nothing. */
    @Test
    public void protocolErrorsGetBadAndTheSessionGoesOn() throws Exception {
        try (Socket socket = new Socket(ServerFixture.HOST, server.port)) {
            socket.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            assertTrue(in.readLine().startsWith("* OK"));

            assertTrue(exchange(in, out, "* NOOP", "*").startsWith("* BAD"));
            assertTrue(exchange(in, out, "a1 LOGIN \"alice", "a1").startsWith("a1 BAD"));
            assertTrue(exchange(in, out, "a2 FROBNICATE now", "a2").startsWith("a2 BAD"));
            assertTrue(exchange(in, out, "a3 FETCH 1 (FLAGS)", "a3").startsWith("a3 BAD"));
            assertTrue(exchange(in, out, "a4 LOGIN " + ALICE + " \"" + ALICE_PASSWORD + "\"", "a4").startsWith("a4 OK"));
            assertTrue(exchange(in, out, "a5 FETCH 1 (FLAGS)", "a5").startsWith("a5 BAD"));
            assertTrue(exchange(in, out, "a6 FROBNICATE again", "a6").startsWith("a6 BAD"));
            assertTrue(exchange(in, out, "a7 NOOP", "a7").startsWith("a7 OK"));
            assertTrue(exchange(in, out, "a8 LOGOUT", "a8").startsWith("a8 OK"));
        }
    }

    /**
     * Our bundles import SLF4J 2 and reach Logback (the runtime's backend) through SPI Fly, not NOP
     * and not Pax Exam's SLF4J 1.7; their log lines are in the test output, in the runtime's format
     * (posthorn.logging's logback.xml was found).
     */
    @Test
    public void serverLogsThroughSlf4j2() throws Exception {
        Bundle imap = Arrays.stream(context.getBundles())
                .filter(b -> PosthornFramework.IMAP_SERVER.equals(b.getSymbolicName()))
                .findFirst().orElseThrow();
        Bundle slf4j = null;
        for (BundleWire wire : imap.adapt(BundleWiring.class).getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE)) {
            if ("org.slf4j".equals(wire.getCapability().getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE))) {
                slf4j = wire.getProvider().getBundle();
            }
        }
        assertNotNull("posthorn.imap.server imports org.slf4j", slf4j);
        assertEquals("slf4j.api", slf4j.getSymbolicName());
        assertEquals(2, slf4j.getVersion().getMajor());
        Object factory = slf4j.loadClass("org.slf4j.LoggerFactory").getMethod("getILoggerFactory").invoke(null);
        assertEquals("ch.qos.logback.classic.LoggerContext", factory.getClass().getName());
        assertTrue(server.startupLog, server.startupLog.contains("imapd listening on " + ServerFixture.HOST + ":" + server.port));
        assertTrue(server.startupLog, java.util.regex.Pattern.compile(
                "(?m)^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO ListeningPort - imapd listening on ")
                .matcher(server.startupLog).find());
    }

    private static Session session() {
        Properties p = new Properties();
        p.setProperty("mail.imap.connectiontimeout", "10000");
        p.setProperty("mail.imap.timeout", "10000");
        return Session.getInstance(p);
    }

    /** The message as Jakarta Mail parses it from its text fetched over IMAP. */
    private static MimeMessage readWhole(Message imapMessage) throws Exception {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        imapMessage.writeTo(text);
        return new MimeMessage(session(), new ByteArrayInputStream(text.toByteArray()));
    }

    private static String message(String subject) {
        return "From: carol@example.org\nTo: bob@example.org\nSubject: " + subject
                + "\nMessage-ID: <" + subject.replace(' ', '.') + "@example.org>\n\nHi Bob.\n";
    }

    /** Sends one line and returns the first response line starting with the tag (skipping others). */
    private static String exchange(BufferedReader in, OutputStream out, String line, String tag) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        while (true) {
            String response = in.readLine();
            if (response == null) {
                throw new AssertionError("connection closed after " + line);
            }
            if (response.startsWith(tag + " ")) {
                return response;
            }
        }
    }
}
