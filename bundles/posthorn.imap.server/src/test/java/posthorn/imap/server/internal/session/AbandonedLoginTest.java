package posthorn.imap.server.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import posthorn.auth.api.AuthBackend;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.imap.server.internal.Configurations;
import posthorn.imap.server.internal.auth.AuthChain;
import posthorn.imap.server.internal.auth.AuthConfig;
import posthorn.imap.server.internal.auth.LoginFlow;
import posthorn.imap.server.internal.net.ImapdConfig;
import posthorn.imap.server.internal.net.LogLimiter;
import posthorn.imap.server.internal.net.LoginDelay;
import posthorn.imap.server.internal.sasl.Mechanisms;
import posthorn.store.api.MailStore;

/**
 * The brute-force delay over a real socket: a client that hangs up while its login is delayed ends
 * its session at once (so the connection's slot is free again), and input sent during the delay is
 * kept. The delay here is long (5 s) so that "at once" cannot be mistaken for "after the delay".
 */
class AbandonedLoginTest {
    private static final long LONG_DELAY = 5000;

    private final AtomicInteger asked = new AtomicInteger();
    private final LoginDelay delay = new LoginDelay();
    private ServerSocket listener;

    private Session.Host host(long delayBase) {
        AuthChain chain = new AuthChain();
        chain.configure(Configurations.of(AuthConfig.class, Map.of("backends", new String[] {"test"})));
        chain.bindPasswordDatabase((user, password) -> {
            asked.incrementAndGet();
            return user.equals("ann") && password.reveal().equals("pw")
                    ? new Verdict.Success(UserRecord.of("ann", Path.of("/home/ann"))) : Verdict.NO_SUCH_USER;
        }, Map.of(AuthBackend.NAME, "test"));
        ImapdConfig config = Configurations.of(ImapdConfig.class, Map.of("prelogin.rate", 0, "auth.delay.base", delayBase,
                "auth.delay.max", 60_000L, "max.bad.logins", 10));
        MailStore store = user -> {
            throw new UnsupportedOperationException("no mail in this test");
        };
        LoginFlow.Services logins = new LoginFlow.Services(chain, new Mechanisms(), delay, () -> store, () -> config);
        LogLimiter repeats = new LogLimiter();
        return new Session.Host() {
            @Override
            public ImapdConfig config() {
                return config;
            }

            @Override
            public SSLContext tls() {
                return null;
            }

            @Override
            public LoginFlow.Services logins() {
                return logins;
            }

            @Override
            public String version() {
                return "test";
            }

            @Override
            public LogLimiter repeats() {
                return repeats;
            }
        };
    }

    /** A client connected to a session running on its own thread. */
    private record Client(Socket socket, BufferedReader in, Thread session) {
        void send(String text) throws IOException {
            socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
        }
    }

    private Client connect(Session.Host host) throws IOException {
        if (listener == null) {
            listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        }
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        socket.setSoTimeout(10_000);
        Session session = new Session(1, listener.accept(), host, false);
        Thread thread = Thread.ofVirtual().start(session::run);
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        assertTrue(in.readLine().startsWith("* OK"));
        return new Client(socket, in, thread);
    }

    @AfterEach
    void close() throws IOException {
        if (listener != null) {
            listener.close();
        }
    }

    /** Hangs up and returns how long the session took to end, in milliseconds. */
    private static long hangUp(Client c) throws InterruptedException, IOException {
        long t0 = System.nanoTime();
        c.socket().close();
        c.session().join(LONG_DELAY * 2);
        assertFalse(c.session().isAlive(), "the session is still waiting out the delay");
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void aClientThatHangsUpDuringTheDelayEndsItsSessionAtOnce() throws Exception {
        Session.Host host = host(LONG_DELAY);
        Client first = connect(host);
        first.send("a LOGIN ann wrong\r\n"); // checked at once, answered after 5 s
        Thread.sleep(200); // let it reach the check; only to order the events, not to wait for the server
        long took = hangUp(first);
        assertTrue(took < LONG_DELAY / 2, "the session ended " + took + " ms after the client hung up");
        assertEquals(1, asked.get());

        Client second = connect(host);
        second.send("a LOGIN ann pw\r\n"); // waits 5 s before its check
        Thread.sleep(200);
        took = hangUp(second);
        assertTrue(took < LONG_DELAY / 2, "the session ended " + took + " ms after the client hung up");
        assertEquals(1, asked.get(), "abandoned before its check: the password was never checked");
    }

    @Test
    void commandsSentDuringTheDelayAreKept() throws Exception {
        Client c = connect(host(300));
        c.send("a LOGIN ann wrong\r\n");
        assertEquals("a NO [AUTHENTICATIONFAILED] Authentication failed", c.in().readLine());
        // The second attempt waits 300 ms before its check; the NOOP arrives during that wait.
        c.send("b LOGIN ann wrong\r\n");
        Thread.sleep(100);
        c.send("c NOOP\r\n");
        assertEquals("b NO [AUTHENTICATIONFAILED] Authentication failed", c.in().readLine());
        assertEquals("c OK NOOP completed", c.in().readLine());
        hangUp(c);
    }
}
