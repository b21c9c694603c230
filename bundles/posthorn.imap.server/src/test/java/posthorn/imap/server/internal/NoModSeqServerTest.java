package posthorn.imap.server.internal;

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
 * RFC 7162 3.1.2.2: a mailbox that cannot keep MODSEQs says NOMODSEQ at SELECT (CONDSTORE), and the
 * commands that need MODSEQs there are refused with NO, not answered with made-up values.
 */
class NoModSeqServerTest {
    @TempDir
    Path root;

    @Test
    void noModSeqMailboxRefusesModSeqCommands() throws Exception {
        try (TestServer t = new TestServer(root, Map.of()).user("erin", "pw")) {
            t.store.noModSeq("erin");
            t.deliver("erin", "Subject: a\r\n\r\nx\r\n");
            try (Socket s = new Socket("127.0.0.1", t.port())) {
                s.setSoTimeout(20_000);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                OutputStream out = s.getOutputStream();
                assertTrue(in.readLine().startsWith("* OK"));
                assertTrue(LazySizeServerTest.command(in, out, "a", "LOGIN erin pw").contains("a OK"));
                String select = LazySizeServerTest.command(in, out, "b", "SELECT INBOX (CONDSTORE)");
                assertTrue(select.contains("* OK [NOMODSEQ] ") && !select.contains("HIGHESTMODSEQ"), select);
                assertTrue(LazySizeServerTest.command(in, out, "c", "FETCH 1 (MODSEQ)").contains("c NO "));
                assertTrue(LazySizeServerTest.command(in, out, "d", "STORE 1 (UNCHANGEDSINCE 5) +FLAGS (\\Seen)")
                        .contains("d NO "));
                assertTrue(LazySizeServerTest.command(in, out, "e", "SEARCH MODSEQ 1").contains("e NO "));
                String flags = LazySizeServerTest.command(in, out, "f", "FETCH 1 (FLAGS)");
                assertTrue(flags.contains("f OK"), flags);
                String status = LazySizeServerTest.command(in, out, "g", "STATUS INBOX (HIGHESTMODSEQ)");
                assertTrue(status.contains("(HIGHESTMODSEQ 0)"), status); // RFC 7162 3.1.6: 0 for NOMODSEQ
                LazySizeServerTest.command(in, out, "z", "LOGOUT");
            }
        }
    }
}
