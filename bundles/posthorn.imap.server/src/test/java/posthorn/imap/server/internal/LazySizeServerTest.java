package posthorn.imap.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store that has not measured its messages' sizes (store.api 1.5, {@code MessageMeta.UNKNOWN_SIZE}: the
 * Maildir store for files without W=) still gives exact answers wherever IMAP needs a size, and is
 * asked only there: SELECT and FETCH FLAGS measure nothing.
 */
class LazySizeServerTest {
    @TempDir
    Path root;

    /** Sends one command and returns everything up to and including its tagged line. */
    static String command(BufferedReader in, OutputStream out, String tag, String command) throws Exception {
        out.write((tag + " " + command + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        StringBuilder all = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            all.append(line).append('\n');
            if (line.startsWith(tag + " ")) {
                break;
            }
        }
        return all.toString();
    }

    @Test
    void sizesAreMeasuredWhereNeededAndExact() throws Exception {
        String small = "Subject: small\r\n\r\nhi\r\n"; // 22 bytes
        String big = "Subject: big\r\n\r\n" + "x".repeat(500) + "\r\n";
        try (TestServer t = new TestServer(root, Map.of()).user("alice", "pw")) {
            t.store.lazySizes("alice");
            t.deliver("alice", small);
            t.deliver("alice", big);
            try (Socket s = new Socket("127.0.0.1", t.port())) {
                s.setSoTimeout(20_000);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                OutputStream out = s.getOutputStream();
                assertTrue(in.readLine().startsWith("* OK"));
                assertTrue(command(in, out, "a", "LOGIN alice pw").contains("a OK"));
                assertTrue(command(in, out, "b", "SELECT INBOX").contains("* 2 EXISTS"));
                assertTrue(command(in, out, "c", "FETCH 1:* (UID FLAGS)").contains("c OK"));
                assertEquals(0, t.store.sizesMeasured("alice"), "SELECT and FETCH FLAGS need no size");

                String sizes = command(in, out, "d", "FETCH 1:* RFC822.SIZE");
                assertTrue(sizes.contains("* 1 FETCH (RFC822.SIZE " + small.length() + ")"), sizes);
                assertTrue(sizes.contains("* 2 FETCH (RFC822.SIZE " + big.length() + ")"), sizes);

                String body = command(in, out, "e", "FETCH 1 BODY.PEEK[]");
                assertTrue(body.contains("BODY[] {" + small.length() + "}"), body);

                assertTrue(command(in, out, "f", "SEARCH LARGER 100").contains("* SEARCH 2\n"));
                assertTrue(command(in, out, "g", "SEARCH SMALLER 100").contains("* SEARCH 1\n"));
                String sorted = command(in, out, "h", "SORT (REVERSE SIZE) US-ASCII ALL");
                assertTrue(sorted.contains("* SORT 2 1\n"), sorted);
                assertTrue(t.store.sizesMeasured("alice") > 0, "the sizes came from Mailbox.sizes");
                command(in, out, "z", "LOGOUT");
            }
        }
    }
}
