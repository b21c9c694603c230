package posthorn.imap.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * URLAUTH (RFC 4467) end to end over a socket against the in-memory store: GENURLAUTH in one session,
 * URLFETCH in another, who may fetch what, RESETKEY, ;EXPIRE=, URL-PARTIAL (RFC 5550) in URLFETCH; and
 * the hostile URLs of CATENATE and URLFETCH, each answered with a code and logged with its reason
 * (never the token).
 */
class UrlsServerTest {
    @TempDir
    Path root;

    private static final String MESSAGE = "Subject: hello\r\n\r\nbody text\r\n";

    /** A client that reads responses with their literals. */
    private static final class Client implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Client(int port, String user) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(20_000);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
            assertTrue(line().startsWith("* OK"));
            assertTrue(run("l LOGIN " + user + " pw").endsWith("l OK"), user);
        }

        /** One response line, literals included inline, without the final CRLF. */
        String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                int c = in.read();
                if (c < 0) {
                    return b.toString(StandardCharsets.UTF_8);
                }
                if (c == '\n') {
                    String s = b.toString(StandardCharsets.UTF_8);
                    Matcher m = Pattern.compile("\\{(\\d+)\\}\r$").matcher(s);
                    if (m.find()) {
                        b.write('\n');
                        b.write(in.readNBytes(Integer.parseInt(m.group(1))));
                        continue;
                    }
                    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
                }
                b.write(c);
            }
        }

        /** Sends a command; returns its untagged lines and, last, the tagged line's "TAG STATUS". */
        List<String> command(String text) throws IOException {
            String tag = text.substring(0, text.indexOf(' '));
            out.write((text + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            List<String> lines = new ArrayList<>();
            while (true) {
                String l = line();
                lines.add(l);
                if (l.startsWith(tag + " ") || l.isEmpty()) {
                    return lines;
                }
            }
        }

        /** The tagged line of a command. */
        String run(String text) throws IOException {
            List<String> l = command(text);
            String last = l.get(l.size() - 1);
            return last.indexOf(' ', last.indexOf(' ') + 1) > 0 ? last.substring(0, last.indexOf(' ', last.indexOf(' ') + 1)) : last;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static String generated(List<String> lines) {
        Matcher m = Pattern.compile("\\* GENURLAUTH \"([^\"]+)\"").matcher(lines.get(0));
        assertTrue(m.matches(), lines.toString());
        return m.group(1);
    }

    @Test
    void generateThenFetchInAnotherSession() throws Exception {
        try (TestServer server = new TestServer(root, Map.of("urlauth.submit", "smtp")).user("joe", "pw")
                .user("fred", "pw").user("smtp", "pw");
             LogCapture log = new LogCapture()) {
            server.deliver("joe", MESSAGE);
            server.deliver("fred", "Subject: fred's\r\n\r\nx\r\n");
            String anon;
            String submit;
            String partial;
            try (Client joe = new Client(server.port(), "joe")) {
                List<String> g = joe.command("g1 GENURLAUTH \"imap://joe@example.com/INBOX/;uid=1/;section=TEXT;urlauth=anonymous\" INTERNAL");
                assertTrue(g.get(1).startsWith("g1 OK"), g.toString());
                anon = generated(g);
                assertTrue(anon.matches("imap://joe@example\\.com/INBOX/;uid=1/;section=TEXT;urlauth=anonymous:internal:[0-9a-f]{40}"), anon);
                submit = generated(joe.command("g2 GENURLAUTH \"imap://joe@example.com/INBOX/;UID=1;URLAUTH=submit+joe\" internal"));
                partial = generated(joe.command("g3 GENURLAUTH \"imap://joe@example.com/INBOX/;UID=1/;PARTIAL=9.5;URLAUTH=user+joe\" INTERNAL"));
                // the owner fetches in the same session too
                List<String> f = joe.command("f1 URLFETCH \"" + anon + "\"");
                assertEquals("* URLFETCH \"" + anon + "\" {11}\r\nbody text\r\n", f.get(0));
            }
            try (Client joe = new Client(server.port(), "joe")) {
                // another session: the key is the server's, not the session's; URL-PARTIAL applies
                List<String> f = joe.command("f2 URLFETCH \"" + anon + "\" \"" + partial + "\" \"" + submit + "\"");
                assertEquals("* URLFETCH \"" + anon + "\" {11}\r\nbody text\r\n \"" + partial + "\" {5}\r\nhello \""
                        + submit + "\" NIL", f.get(0));
                assertTrue(f.get(1).startsWith("f2 OK"), f.toString());
                // a changed URL, a changed token: NIL
                String forged = anon.replace("section=TEXT", "section=HEADER");
                String wrongToken = anon.substring(0, anon.length() - 1) + (anon.endsWith("0") ? "1" : "0");
                assertEquals("* URLFETCH \"" + forged + "\" NIL \"" + wrongToken + "\" NIL",
                        joe.command("f3 URLFETCH \"" + forged + "\" \"" + wrongToken + "\"").get(0));
            }
            try (Client smtp = new Client(server.port(), "smtp")) {
                // the submission login of urlauth.submit fetches joe's submit+joe URL from joe's mail
                List<String> f = smtp.command("s1 URLFETCH \"" + submit + "\"");
                assertEquals("* URLFETCH \"" + submit + "\" {29}\r\n" + MESSAGE, f.get(0));
            }
            try (Client fred = new Client(server.port(), "fred")) {
                // fred is not joe, and no submission login: nothing of joe's, even for anonymous
                assertEquals("* URLFETCH \"" + anon + "\" NIL \"" + submit + "\" NIL",
                        fred.command("r1 URLFETCH \"" + anon + "\" \"" + submit + "\"").get(0));
                // fred cannot sign for joe, nor fetch what a URL of his own does not authorize
                List<String> g = fred.command("r2 GENURLAUTH \"imap://joe@example.com/INBOX/;UID=1;URLAUTH=anonymous\" INTERNAL");
                assertTrue(g.get(0).startsWith("r2 NO [BADURL imap://joe@example.com/INBOX/;UID=1;URLAUTH=anonymous]"), g.toString());
                g = fred.command("r3 GENURLAUTH \"imap://fred@example.com/INBOX/;UID=1;URLAUTH=anonymous\" XSHA");
                assertTrue(g.get(0).startsWith("r3 NO [BADURL"), g.toString());
                g = fred.command("r4 GENURLAUTH \"imap://fred@example.com/INBOX/;UID=1;URLAUTH=anonymous:internal:"
                        + "0123456789abcdef0123456789abcdef\" INTERNAL");
                assertTrue(g.get(0).startsWith("r4 NO [BADURL"), g.toString());
                g = fred.command("r5 GENURLAUTH \"imap://fred@example.com/Nope/;UID=1;URLAUTH=anonymous\" INTERNAL");
                assertTrue(g.get(0).startsWith("r5 NO [BADURL"), g.toString());
                g = fred.command("r6 GENURLAUTH \"/INBOX/;UID=1\" INTERNAL");
                assertTrue(g.get(0).startsWith("r6 NO [BADURL"), g.toString());
                String own = generated(fred.command("r7 GENURLAUTH \"imap://fred@example.com/INBOX/;UID=1;URLAUTH=user+joe\" INTERNAL"));
                assertEquals("* URLFETCH \"" + own + "\" NIL", fred.command("r8 URLFETCH \"" + own + "\"").get(0));
                // an expired URL
                String expired = generated(fred.command("r9 GENURLAUTH \"imap://fred@example.com/INBOX/;UID=1"
                        + ";EXPIRE=2001-01-01T00:00:00Z;URLAUTH=authuser\" INTERNAL"));
                assertEquals("* URLFETCH \"" + expired + "\" NIL", fred.command("r10 URLFETCH \"" + expired + "\"").get(0));
                // malformed URLs in URLFETCH: NIL each, the command still OK; grammar errors BAD
                List<String> f = fred.command("r11 URLFETCH \"imap://fred@h/IN%ZZBOX/;UID=1;URLAUTH=authuser:internal:"
                        + "0123456789abcdef0123456789abcdef\" \"" + "x".repeat(9000) + "\"");
                assertTrue(f.get(0).endsWith("NIL"), f.toString());
                assertTrue(f.get(1).startsWith("r11 OK"), f.toString());
                assertTrue(fred.run("r12 URLFETCH").startsWith("r12 BAD"));
                assertTrue(fred.run("r13 RESETKEY INBOX XSHA").startsWith("r13 BAD"));
                assertTrue(fred.run("r14 RESETKEY Nope").startsWith("r14 NO"));
            }
            try (Client joe = new Client(server.port(), "joe")) {
                // RESETKEY INBOX: every URL of INBOX stops working; RESETKEY alone: all of them
                assertEquals("k1 OK", joe.run("k1 RESETKEY INBOX INTERNAL"));
                assertEquals("* URLFETCH \"" + anon + "\" NIL", joe.command("k2 URLFETCH \"" + anon + "\"").get(0));
                String again = generated(joe.command("k3 GENURLAUTH \"imap://joe@example.com/INBOX/;UID=1;URLAUTH=authuser\" INTERNAL"));
                assertTrue(joe.command("k4 URLFETCH \"" + again + "\"").get(0).endsWith(MESSAGE));
                assertEquals("k5 OK", joe.run("k5 RESETKEY"));
                assertEquals("* URLFETCH \"" + again + "\" NIL", joe.command("k6 URLFETCH \"" + again + "\"").get(0));
                // a URLAUTH URL in CATENATE is checked the same way
                String cat = generated(joe.command("k7 GENURLAUTH \"imap://joe@example.com/INBOX/;UID=1/;SECTION=TEXT;URLAUTH=user+joe\" INTERNAL"));
                assertTrue(joe.run("k8 APPEND INBOX CATENATE (URL \"" + cat + "\")").startsWith("k8 OK"));
                assertTrue(joe.run("k9 APPEND INBOX CATENATE (URL \"" + anon + "\")").startsWith("k9 NO"));
            }
            // every refusal is logged with its reason; no token ever is
            assertFalse(log.lines("URLFETCH NIL").isEmpty());
            assertFalse(log.lines("does not verify").isEmpty());
            assertFalse(log.lines("expired").isEmpty());
            assertFalse(log.lines("[BADURL]").isEmpty());
            String token = anon.substring(anon.lastIndexOf(':') + 1);
            assertTrue(log.lines(token).isEmpty(), "a token was logged");
        }
    }

    /**
     * DELETE drops the mailbox's key and RENAME the keys of the old names (RFC 4467, RFC 5092: a URL
     * names its mailbox): a URL of a deleted or renamed mailbox is NIL, also once a new mailbox takes
     * the name, and urlauth.keys.max bounds the keys a user holds (NO [LIMIT], logged naming the key).
     */
    @Test
    void deleteAndRenameDropTheKeysAndTheKeysAreBounded() throws Exception {
        try (TestServer server = new TestServer(root, Map.of("urlauth.keys.max", "3")).user("joe", "pw");
             LogCapture log = new LogCapture();
             Client joe = new Client(server.port(), "joe")) {
            String msg = "Subject: a\r\n\r\nx\r\n";
            for (String box : List.of("A", "B", "B.C")) {
                assertEquals("c OK", joe.run("c CREATE " + box));
                List<String> a = joe.command("a APPEND " + box + " {" + msg.length() + "+}\r\n" + msg);
                assertTrue(a.get(a.size() - 1).startsWith("a OK"), a.toString());
            }
            String a = generated(joe.command("g1 GENURLAUTH \"imap://joe@h/A/;UID=1;URLAUTH=authuser\" INTERNAL"));
            String b = generated(joe.command("g2 GENURLAUTH \"imap://joe@h/B/;UID=1;URLAUTH=authuser\" INTERNAL"));
            String c = generated(joe.command("g3 GENURLAUTH \"imap://joe@h/B.C/;UID=1;URLAUTH=authuser\" INTERNAL"));
            assertTrue(joe.command("f1 URLFETCH \"" + a + "\"").get(0).endsWith(msg));
            // the fourth mailbox is one key too many
            assertEquals("c OK", joe.run("c CREATE D"));
            joe.command("a APPEND D {" + msg.length() + "+}\r\n" + msg);
            List<String> g = joe.command("g4 GENURLAUTH \"imap://joe@h/D/;UID=1;URLAUTH=authuser\" INTERNAL");
            assertTrue(g.get(0).startsWith("g4 NO [LIMIT]"), g.toString());
            assertFalse(log.lines("urlauth.keys.max").isEmpty());
            // DELETE A and make A again, with the same message at UID 1: the old URL does not reach it
            assertEquals("d OK", joe.run("d DELETE A"));
            assertEquals("c OK", joe.run("c CREATE A"));
            joe.command("a APPEND A {" + msg.length() + "+}\r\n" + msg);
            assertEquals("* URLFETCH \"" + a + "\" NIL", joe.command("f2 URLFETCH \"" + a + "\"").get(0));
            // RENAME B to E: B's and B.C's URLs fail (the test store's separator is '.'), under the old
            // names and after B.C is made again; the URL with the new name was never signed
            assertEquals("r OK", joe.run("r RENAME B E"));
            assertEquals("* URLFETCH \"" + b + "\" NIL \"" + c + "\" NIL",
                    joe.command("f3 URLFETCH \"" + b + "\" \"" + c + "\"").get(0));
            assertEquals("c OK", joe.run("c CREATE B.C"));
            joe.command("a APPEND B.C {" + msg.length() + "+}\r\n" + msg);
            String renamed = c.replace("/B.C/", "/E.C/");
            assertEquals("* URLFETCH \"" + c + "\" NIL \"" + renamed + "\" NIL",
                    joe.command("f4 URLFETCH \"" + c + "\" \"" + renamed + "\"").get(0));
            // three keys dropped: the bound has room again, and the new keys work
            for (String box : List.of("D", "E", "E.C")) {
                String u = generated(joe.command("g5 GENURLAUTH \"imap://joe@h/" + box + "/;UID=1;URLAUTH=authuser\" INTERNAL"));
                assertTrue(joe.command("f5 URLFETCH \"" + u + "\"").get(0).endsWith(msg), box);
            }
            assertFalse(log.lines("event=urlauth.keys.dropped mailbox=A keys=1 by=DELETE").isEmpty());
            assertFalse(log.lines("event=urlauth.keys.dropped mailbox=B keys=2 by=RENAME").isEmpty());
        }
    }

    /** Hostile CATENATE URLs: NO [BADURL ...] and a log line naming the reason. */
    @Test
    void hostileCatenateUrlsAreLogged() throws Exception {
        try (TestServer server = new TestServer(root, Map.of()).user("joe", "pw").user("fred", "pw");
             LogCapture log = new LogCapture()) {
            server.deliver("joe", MESSAGE);
            server.deliver("fred", MESSAGE);
            try (Client joe = new Client(server.port(), "joe")) {
                String longUrl = "/" + "a".repeat(9000) + "/;UID=1";
                List<String> r = joe.command("h1 APPEND INBOX CATENATE (URL \"" + longUrl + "\")");
                assertTrue(r.get(0).startsWith("h1 NO [BADURL /aaaa"), r.toString());
                assertFalse(log.lines("longer than 8192").isEmpty());
                r = joe.command("h2 APPEND INBOX CATENATE (URL \"imap://fred@localhost/INBOX/;UID=1\")");
                assertTrue(r.get(0).startsWith("h2 NO [BADURL imap://fred@localhost/INBOX/;UID=1]"), r.toString());
                assertFalse(log.lines("names another user").isEmpty());
                r = joe.command("h3 APPEND INBOX CATENATE (URL \"/shared.fred.INBOX/;UID=1\")");
                assertTrue(r.get(0).startsWith("h3 NO [BADURL /shared.fred.INBOX/;UID=1] Cannot use the URL: no such message, or no right"), r.toString());
                r = joe.command("h4 APPEND INBOX CATENATE (URL \"/INBOX/;UID=1/;PARTIAL=99999999999\")");
                assertTrue(r.get(0).startsWith("h4 NO [BADURL"), r.toString());
                assertFalse(log.lines("Number out of range").isEmpty());
                r = joe.command("h5 APPEND INBOX CATENATE (URL \"/INBOX/;UID=1\" TEXT (CATENATE (URL \"/INBOX/;UID=1\")))");
                assertTrue(r.get(0).startsWith("h5 BAD"), r.toString());
                assertTrue(log.lines("NO APPEND INBOX: [BADURL]").size() >= 4, log.lines("NO APPEND").toString());
                assertTrue(joe.command("h6 STATUS INBOX (MESSAGES)").get(0).endsWith("(MESSAGES 1)"));
            }
        }
    }
}
