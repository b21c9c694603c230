package posthorn.imap.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.auth.api.AuthBackend;
import posthorn.auth.api.PasswordDatabase;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserDatabase;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.imap.server.internal.auth.AuthChain;
import posthorn.imap.server.internal.auth.AuthConfig;
import posthorn.imapd.ImapdProcess;
import posthorn.store.maildir.internal.MaildirStore;

/**
 * A PREAUTH session (posthorn imapd, its own process) and a daemon session (the server as DS wires
 * it, in this JVM, on its own Maildir store) on one Maildir: each sees the other's APPEND and flag
 * changes under the same UIDs, and each is told in IDLE of what the other did. The two processes
 * share nothing but the files: the UID list (courierimapuiddb, locked as Courier locks it), the
 * keywords and the change notices the kernel gives each of them.
 */
class SharedMaildirTest {
    private static final Pattern UID = Pattern.compile("UID (\\d+)");

    @TempDir
    Path dir;

    @Test
    void preauthAndDaemonSessionsSeeEachOthersChanges() throws Exception {
        Path maildir = dir.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        MaildirStore store = MaildirStore.standalone(1, false);
        ImapServer server = daemon(store, maildir);
        try (Client daemon = new Client(server.port());
                ImapdProcess preauth = new ImapdProcess(Map.of(), maildir.toString())) {
            assertTrue(daemon.line().startsWith("* OK"));
            daemon.command("d1 LOGIN alice secret");
            daemon.command("d2 SELECT INBOX");
            assertTrue(preauth.line().startsWith("* PREAUTH"));
            preauth.send("p1 SELECT INBOX");
            preauth.until("p1");

            // The daemon's session waits in IDLE; the PREAUTH session appends.
            daemon.send("d3 IDLE");
            assertTrue(daemon.line().startsWith("+ "));
            preauth.send("p2 APPEND INBOX {22}");
            assertTrue(preauth.line().startsWith("+"));
            preauth.send("Subject: from preauth");
            String appended = preauth.until("p2").getLast();
            assertTrue(appended.startsWith("p2 OK [APPENDUID "), appended);
            String uid1 = appended.replaceAll("p2 OK \\[APPENDUID \\d+ (\\d+)\\].*", "$1");
            assertEquals("* 1 EXISTS", daemon.lineWithin(10_000), "IDLE notice in the daemon's session");
            daemon.send("DONE");
            daemon.until("d3");
            assertEquals(uid1, uidOf(daemon.command("d4 FETCH 1 (UID)")), "the same UID in both");

            // A flag the daemon's session sets is seen by the PREAUTH session on its next command.
            daemon.command("d5 STORE 1 +FLAGS (\\Flagged)");
            List<String> noop = preauth.send("p3 NOOP").until("p3");
            assertTrue(noop.stream().anyMatch(l -> l.startsWith("* 1 FETCH (") && l.contains("\\Flagged")), noop.toString());

            // The PREAUTH session waits in IDLE; the daemon's session appends.
            preauth.send("p4 IDLE");
            assertTrue(preauth.line().startsWith("+ "));
            List<String> append = daemon.append("d6", "INBOX", "Subject: from the daemon\r\n\r\nhi\r\n");
            String uid2 = append.getLast().replaceAll("d6 OK \\[APPENDUID \\d+ (\\d+)\\].*", "$1");
            String notice = preauth.line();
            assertTrue(notice.equals("* 2 EXISTS"), "IDLE notice in the PREAUTH session: " + notice);
            preauth.send("DONE");
            preauth.until("p4");
            List<String> fetched = preauth.send("p5 FETCH 2 (UID)").until("p5");
            assertEquals(uid2, uidOf(fetched), "the daemon's message under the same UID");

            // A flag the PREAUTH session sets is seen by the daemon's session.
            preauth.send("p6 STORE 2 +FLAGS (\\Seen)").until("p6");
            List<String> seen = daemon.command("d7 NOOP");
            assertTrue(seen.stream().anyMatch(l -> l.startsWith("* 2 FETCH (") && l.contains("\\Seen")), seen.toString());

            preauth.send("p7 LOGOUT").until("p7");
            assertEquals(0, preauth.exit());
            daemon.command("d8 LOGOUT");
        } finally {
            server.deactivate();
            store.close();
        }
    }

    private static String uidOf(List<String> lines) {
        for (String l : lines) {
            Matcher m = UID.matcher(l);
            if (l.startsWith("* ") && m.find()) {
                return m.group(1);
            }
        }
        throw new AssertionError("no UID in " + lines);
    }

    /** The daemon as DS wires it: one user, alice, whose record names the Maildir. */
    private static ImapServer daemon(MaildirStore store, Path maildir) {
        AuthChain chain = new AuthChain();
        chain.configure(config(AuthConfig.class, Map.of("backends", new String[] {"test"})));
        UserRecord alice = new UserRecord("alice", maildir.getParent(), maildir, -1, -1, null, Map.of());
        class Users implements PasswordDatabase, UserDatabase {
            @Override
            public Verdict verify(String user, Secret password) {
                if (!user.equals("alice")) {
                    return Verdict.NO_SUCH_USER;
                }
                return password.matches("secret".getBytes(StandardCharsets.UTF_8)) ? new Verdict.Success(alice)
                        : new Verdict.WrongPassword("test");
            }

            @Override
            public Optional<UserRecord> lookup(String user) {
                return user.equals("alice") ? Optional.of(alice) : Optional.empty();
            }
        }
        Users users = new Users();
        chain.bindPasswordDatabase(users, Map.of(AuthBackend.NAME, "test"));
        chain.bindUserDatabase(users, Map.of(AuthBackend.NAME, "test"));
        ImapServer server = new ImapServer();
        server.auth = chain;
        server.store = store;
        server.activate(Map.of("port", 0, "tls.port", 0));
        return server;
    }

    /** A DS configuration annotation with the given values, its defaults otherwise. */
    @SuppressWarnings("unchecked")
    private static <A extends Annotation> A config(Class<A> type, Map<String, Object> values) {
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
            String key = m.getName().replace('_', '.');
            if (values.containsKey(key)) {
                return values.get(key);
            }
            if (m.getDefaultValue() != null) {
                return m.getDefaultValue();
            }
            return switch (m.getName()) {
                case "annotationType" -> type;
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                default -> type.getSimpleName() + values;
            };
        });
    }

    /** A line-at-a-time IMAP client on a TCP connection. */
    private static final class Client implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Client(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(10_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                b.write(c);
            }
            String s = b.toString(StandardCharsets.UTF_8);
            return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }

        String lineWithin(int millis) throws IOException {
            socket.setSoTimeout(millis);
            try {
                return line();
            } finally {
                socket.setSoTimeout(10_000);
            }
        }

        void send(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        List<String> until(String tag) throws IOException {
            List<String> lines = new ArrayList<>();
            while (true) {
                String l = line();
                lines.add(l);
                if (l.startsWith(tag + " ")) {
                    assertTrue(l.startsWith(tag + " OK"), lines.toString());
                    return lines;
                }
            }
        }

        List<String> command(String line) throws IOException {
            send(line);
            return until(line.substring(0, line.indexOf(' ')));
        }

        List<String> append(String tag, String mailbox, String message) throws IOException {
            byte[] m = message.getBytes(StandardCharsets.UTF_8);
            send(tag + " APPEND " + mailbox + " {" + m.length + "+}");
            out.write(m);
            send("");
            return until(tag);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
