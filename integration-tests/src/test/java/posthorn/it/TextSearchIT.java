package posthorn.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;

import posthorn.store.api.search.TextIndex;

/**
 * The full-text index in the real framework: posthorn.store.fts registers its TextIndex, Lucene finds
 * its codecs through ServiceLoader inside the bundle (an index is written and read back), the server
 * binds the index dynamically and answers SEARCH through it, and fts.cfg's enabled=false turns it off
 * with the same answers.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TextSearchIT {
    private static final String USER = "fiona";
    private static final String PASSWORD = "full text";

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Configuration
    public Option[] config() {
        return PosthornFramework.options();
    }

    private static String message(String subject, String body) {
        return "From: Gus <gus@example.org>\nTo: fiona@example.org\nSubject: " + subject
                + "\nMessage-ID: <" + subject.replace(' ', '.') + "@example.org>\n\n" + body + "\n";
    }

    @Test
    public void searchGoesThroughTheIndexAndAnswersAsWithout() throws Exception {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty(PosthornFramework.WORKDIR,
                System.getProperty("java.io.tmpdir"))), "fts-");
        Path fts = dir.resolve("fts");
        ServerFixture.update(configAdmin, "fts", Map.of("dir", fts.toString(), "enabled", true));
        ServerFixture.await(context, "(&(objectClass=" + TextIndex.class.getName() + ")(enabled=true)(dir="
                + fts.toString().replace("\\", "\\\\") + "))");
        ServiceReference<TextIndex> ref = context.getServiceReference(TextIndex.class);
        assertNotNull(ref);
        assertEquals("posthorn.store.fts", ref.getBundle().getSymbolicName());

        ServerFixture server = ServerFixture.start(context, configAdmin, USER, PASSWORD);
        server.deliver(USER, "1795000000.M1P1.fts-it", message("Plans", "Nothing special."));
        server.deliver(USER, "1795000001.M2P1.fts-it", message("Lunch", "Our quuxfrobnicator is broken."));
        server.deliver(USER, "1795000002.M3P1.fts-it", message("QUUXFROBNICATOR news", "See subject."));

        List<String> on = searches(server.port);
        assertEquals(List.of("* SEARCH 2", "* SEARCH 2 3", "* SEARCH 3", "* SEARCH 1 2 3", "* SEARCH"), on);
        Path index = fts.resolve(USER);
        try (Stream<Path> files = Files.list(index)) {
            assertTrue("Lucene wrote a commit in " + index,
                    files.anyMatch(f -> f.getFileName().toString().startsWith("segments_")));
        }

        ServerFixture.update(configAdmin, "fts", Map.of("dir", fts.toString(), "enabled", false));
        ServerFixture.await(context, "(&(objectClass=" + TextIndex.class.getName() + ")(enabled=false))");
        assertEquals(on, searches(server.port));
    }

    /** One session: BODY, TEXT, SUBJECT, FROM, and a word no message has; the SEARCH lines. */
    private static List<String> searches(int port) throws Exception {
        List<String> out = new ArrayList<>();
        try (Socket s = new Socket(ServerFixture.HOST, port)) {
            s.setSoTimeout(20_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream o = s.getOutputStream();
            in.readLine();
            command(in, o, "a LOGIN " + USER + " \"" + PASSWORD + "\"", null);
            command(in, o, "b SELECT INBOX", null);
            command(in, o, "c UID SEARCH BODY obnic", out);
            command(in, o, "d UID SEARCH TEXT ObNiC", out);
            command(in, o, "e UID SEARCH SUBJECT \"frobnicator news\"", out);
            command(in, o, "f UID SEARCH FROM \"Gus <gus@example.org>\"", out);
            command(in, o, "g UID SEARCH TEXT nowhere-to-be-found", out);
            command(in, o, "h LOGOUT", null);
        }
        return out;
    }

    private static void command(BufferedReader in, OutputStream out, String line, List<String> searchLines)
            throws Exception {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        String tag = line.substring(0, line.indexOf(' '));
        while (true) {
            String r = in.readLine();
            assertNotNull("connection closed after " + line, r);
            if (r.startsWith("* SEARCH") && searchLines != null) {
                searchLines.add(r.stripTrailing());
            }
            if (r.startsWith(tag + " ")) {
                assertTrue(line + " -> " + r, r.startsWith(tag + " OK"));
                return;
            }
        }
    }
}
