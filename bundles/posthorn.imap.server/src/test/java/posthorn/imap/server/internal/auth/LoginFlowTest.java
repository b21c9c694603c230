package posthorn.imap.server.internal.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import posthorn.auth.api.AuthBackend;
import posthorn.auth.api.PasswordDatabase;
import posthorn.auth.api.SaslExchange;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.server.internal.Configurations;
import posthorn.imap.server.internal.net.ImapdConfig;
import posthorn.imap.server.internal.net.LoginDelay;
import posthorn.imap.server.internal.sasl.Mechanisms;
import posthorn.store.api.MailStore;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/** Every outcome of a login, as the client sees it: one mapping for LOGIN and AUTHENTICATE alike. */
class LoginFlowTest {
    private static final String FAILED = "a NO [AUTHENTICATIONFAILED] Authentication failed";
    private static final String UNAVAILABLE = "a NO [UNAVAILABLE] Authentication is not available now; try again later";
    private static final String OK = "a OK [CAPABILITY IMAP4rev1] Logged in";
    /** The brute-force delay as configured by default. */
    private static final Map<String, Object> DELAYS = Map.of("auth.delay.base", 500L, "allow.plaintext", true);

    /** What happened, in order: "pause N" (the connection waited N ms) and "ask USER" (the backend checked). */
    private final List<String> events = new ArrayList<>();
    /** The delay's clock, in milliseconds: only a connection's pause moves it. */
    private final AtomicLong now = new AtomicLong(1_000_000);

    /** The users of the one backend, "db"; a forced verdict answers for everyone. */
    private final Map<String, String> passwords = new HashMap<>(Map.of("ann", "pw"));
    private Verdict forced;
    private int asked;
    private final PasswordDatabase db = (user, password) -> {
        asked++;
        events.add("ask " + user);
        if (forced != null) {
            return forced;
        }
        String expected = passwords.get(user);
        if (expected == null) {
            return Verdict.NO_SUCH_USER;
        }
        return password.reveal().equals(expected) ? new Verdict.Success(UserRecord.of(user, Path.of("/home", user)))
                : new Verdict.WrongPassword("mismatch");
    };
    private final LoginDelay delay = new LoginDelay(now::get);
    private StoreException storeDown;
    private final UserMail mail = (UserMail) Proxy.newProxyInstance(UserMail.class.getClassLoader(),
            new Class<?>[] {UserMail.class}, (proxy, m, args) -> null);
    private final MailStore store = user -> {
        if (storeDown != null) {
            throw storeDown;
        }
        return mail;
    };

    /** A connection that records what the flow did to it; its pauses turn the delay's clock. */
    private final class Connection implements LoginFlow.Connection {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final ResponseWriter out = new ResponseWriter(bytes);
        final InetAddress address;
        final boolean tls;
        UserRecord loggedIn;
        String ended;
        /** The client hangs up as soon as the flow waits. */
        boolean hangsUp;

        Connection(String address, boolean tls) throws IOException {
            this.address = InetAddress.getByName(address);
            this.tls = tls;
        }

        @Override
        public long id() {
            return 7;
        }

        @Override
        public InetAddress address() {
            return address;
        }

        @Override
        public String peer() {
            return address.getHostAddress() + ":40000";
        }

        @Override
        public boolean tlsActive() {
            return tls;
        }

        @Override
        public ResponseWriter out() {
            return out;
        }

        @Override
        public void loggedIn(UserRecord user, UserMail mail) {
            loggedIn = user;
        }

        @Override
        public String capabilities() {
            return loggedIn == null ? "IMAP4rev1 AUTH=PLAIN" : "IMAP4rev1";
        }

        @Override
        public void end(String text) {
            ended = text;
        }

        @Override
        public void pause(long millis) throws IOException {
            if (hangsUp) {
                events.add("hang up");
                throw new EOFException();
            }
            events.add("pause " + millis);
            now.addAndGet(millis);
        }

        /** The responses written so far, one a line, and forgets them. */
        List<String> lines() throws IOException {
            out.flush();
            List<String> lines = new String(bytes.toByteArray(), StandardCharsets.UTF_8).lines().toList();
            bytes.reset();
            return lines;
        }

        String last() throws IOException {
            List<String> lines = lines();
            return lines.get(lines.size() - 1);
        }
    }

    private LoginFlow flow(Connection c, String backends, Map<String, Object> imapd) {
        AuthChain chain = new AuthChain();
        chain.configure(Configurations.of(AuthConfig.class, Map.of("backends", new String[] {backends})));
        chain.bindPasswordDatabase(db, Map.of(AuthBackend.NAME, "db"));
        Map<String, Object> settings = new HashMap<>(Map.of("auth.delay.base", 0L));
        settings.putAll(imapd);
        ImapdConfig config = Configurations.of(ImapdConfig.class, settings);
        return new LoginFlow(new LoginFlow.Services(chain, new Mechanisms(), delay, () -> store, () -> config), c);
    }

    private LoginFlow flow(Connection c) {
        return flow(c, "db", Map.of());
    }

    private static void authenticatePlain(LoginFlow flow, String user, String password) throws IOException {
        LoginFlow.Attempt attempt = flow.authenticate("a", "PLAIN");
        assertNotNull(attempt);
        SaslExchange.Step step = attempt.exchange().respond(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
        attempt.finish("a", step);
    }

    @Test
    void loginLetsTheUserInWithTheCapabilitiesOfTheNewState() throws IOException {
        Connection c = new Connection("127.0.0.1", false);
        flow(c).login("a", "ann", Secret.of("pw"));
        assertEquals("a OK [CAPABILITY IMAP4rev1] Logged in", c.last());
        assertEquals("ann", c.loggedIn.name());
    }

    @Test
    void authenticatePlainLetsTheUserIn() throws IOException {
        Connection c = new Connection("127.0.0.1", false);
        authenticatePlain(flow(c), "ann", "pw");
        assertEquals("a OK [CAPABILITY IMAP4rev1] Logged in", c.last());
    }

    @Test
    void wrongPasswordAndUnknownUserFailAlikeAndCountTowardMaxBadLogins() throws IOException {
        Connection c = new Connection("127.0.0.1", false);
        LoginFlow flow = flow(c);
        flow.login("a", "ann", Secret.of("wrong"));
        assertEquals(FAILED, c.last());
        authenticatePlain(flow, "nobody", "pw");
        assertEquals(FAILED, c.last());
        assertNull(c.ended);
        flow.login("a", "ann", Secret.of("wrong"));
        assertEquals(FAILED, c.last());
        assertEquals("Too many failed logins", c.ended, "max.bad.logins is 3 by default");
        assertNull(c.loggedIn);
    }

    @Test
    void failuresEarnTheBruteForceDelayOfTheAddressAndTheUser() throws IOException {
        Connection c = new Connection("192.0.2.7", true);
        LoginFlow flow = flow(c);
        flow.login("a", "ann", Secret.of("wrong"));
        authenticatePlain(flow, "ann", "wrong"); // the user name noted from inside the exchange
        LoginDelay.Penalty next = delay.failed("198.51.100.1", "ann", 0, 0, 900);
        assertEquals(3, next.userFailures());
        assertEquals(1, next.addressFailures());
        assertEquals(3, delay.failed("192.0.2.7", null, 0, 0, 900).addressFailures());
    }

    @Test
    void aBackendThatIsConfiguredButNotRunningGivesUnavailableNotAFailedLogin() throws IOException {
        Connection c = new Connection("127.0.0.1", false);
        LoginFlow flow = flow(c, "userdb, db", Map.of());
        flow.login("a", "ann", Secret.of("pw"));
        assertEquals("a OK [CAPABILITY IMAP4rev1] Logged in", c.last(), "a later backend still answers");

        Connection d = new Connection("127.0.0.1", false);
        LoginFlow other = flow(d, "userdb, db", Map.of());
        other.login("a", "bob", Secret.of("pw"));
        assertEquals(UNAVAILABLE, d.last(), "bob may be in userdb, which is not running");
        authenticatePlain(other, "bob", "pw");
        assertEquals(UNAVAILABLE, d.last());
        assertEquals(1, delay.failed("127.0.0.1", "bob", 0, 0, 900).userFailures(), "no delay earned");
    }

    @Test
    void aBackendThatIsDownGivesUnavailable() throws IOException {
        forced = new Verdict.Unavailable("directory down");
        Connection c = new Connection("127.0.0.1", false);
        LoginFlow flow = flow(c);
        flow.login("a", "ann", Secret.of("pw"));
        assertEquals(UNAVAILABLE, c.last());
        authenticatePlain(flow, "ann", "pw");
        assertEquals(UNAVAILABLE, c.last());
        flow.login("a", "ann", Secret.of("pw"));
        assertEquals("Too many failed logins", c.ended, "refusals count toward max.bad.logins");
    }

    @Test
    void anEmptyPasswordFailsLikeAWrongOneWithoutAskingABackend() throws IOException {
        passwords.put("eve", "");
        Connection c = new Connection("127.0.0.1", false);
        LoginFlow flow = flow(c);
        flow.login("a", "eve", Secret.of(""));
        assertEquals(FAILED, c.last());
        authenticatePlain(flow, "eve", "");
        assertEquals(FAILED, c.last());
        assertEquals(0, asked);
    }

    @Test
    void passwordsInTheClearAreRefusedOffLoopbackWithoutTls() throws IOException {
        Connection c = new Connection("192.0.2.7", false);
        LoginFlow flow = flow(c);
        flow.login("a", "ann", Secret.of("pw"));
        assertEquals("a NO [PRIVACYREQUIRED] Plaintext login is disabled without TLS", c.last());
        assertNull(flow.authenticate("a", "PLAIN"));
        assertEquals("a NO [PRIVACYREQUIRED] Plaintext authentication is disabled without TLS", c.last());
        assertEquals(List.of(), flow.mechanismsOffered(), "no AUTH= for plaintext mechanisms");
        assertEquals(0, asked);

        Connection allowed = new Connection("192.0.2.7", false);
        flow(allowed, "db", Map.of("allow.plaintext", true)).login("a", "ann", Secret.of("pw"));
        assertEquals("a OK [CAPABILITY IMAP4rev1] Logged in", allowed.last());
        Connection tls = new Connection("192.0.2.7", true);
        LoginFlow overTls = flow(tls);
        assertEquals(List.of("PLAIN", "LOGIN"), overTls.mechanismsOffered());
        overTls.login("a", "ann", Secret.of("pw"));
        assertEquals("a OK [CAPABILITY IMAP4rev1] Logged in", tls.last());
    }

    @Test
    void passwordsInTheClearComeOnlyFromTrustedNetworks() throws IOException {
        Connection other = new Connection("127.0.0.2", false);
        flow(other).login("a", "ann", Secret.of("pw"));
        assertEquals("a NO [PRIVACYREQUIRED] Plaintext login is disabled without TLS", other.last(),
                "by default 127.0.0.1 and ::1, not all of 127.0.0.0/8");
        Connection v6 = new Connection("::1", false);
        flow(v6).login("a", "ann", Secret.of("pw"));
        assertEquals("a OK [CAPABILITY IMAP4rev1] Logged in", v6.last());

        Map<String, Object> lan = Map.of("trusted.networks", "192.0.2.0/24");
        Connection inside = new Connection("192.0.2.7", false);
        flow(inside, "db", lan).login("a", "ann", Secret.of("pw"));
        assertEquals("a OK [CAPABILITY IMAP4rev1] Logged in", inside.last());
        Connection loopback = new Connection("127.0.0.1", false);
        LoginFlow notListed = flow(loopback, "db", lan);
        notListed.login("a", "ann", Secret.of("pw"));
        assertEquals("a NO [PRIVACYREQUIRED] Plaintext login is disabled without TLS", loopback.last(),
                "the list replaces the default");
        assertEquals(List.of(), notListed.mechanismsOffered());
    }

    @Test
    void anUnknownMechanismIsRefusedWithoutCounting() throws IOException {
        Connection c = new Connection("127.0.0.1", false);
        LoginFlow flow = flow(c);
        for (int i = 0; i < 5; i++) {
            assertNull(flow.authenticate("a", "X-NONE"));
            assertEquals("a NO [CANNOT] Unsupported authentication mechanism X-NONE", c.last());
        }
        assertNull(c.ended);
    }

    @Test
    void aMalformedExchangeFailsWithoutACode() throws IOException {
        Connection c = new Connection("127.0.0.1", false);
        LoginFlow.Attempt attempt = flow(c).authenticate("a", "PLAIN");
        attempt.finish("a", attempt.exchange().respond("no nul bytes".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("a NO Malformed PLAIN exchange", c.last());
    }

    @Test
    void mailThatCannotBeOpenedIsUnavailableAndTheSessionStaysOut() throws IOException {
        storeDown = new StoreException(StoreException.Reason.NONEXISTENT, "no Maildir");
        Connection c = new Connection("127.0.0.1", false);
        flow(c).login("a", "ann", Secret.of("pw"));
        assertEquals("a NO [UNAVAILABLE] Your mail is not available now; the event is logged", c.last());
        assertNull(c.loggedIn);
        assertNull(c.ended, "not a failed login");
    }

    @Test
    void theRightPasswordWaitsTheDelayEarnedBeforeItsCheck() throws IOException {
        Connection first = new Connection("192.0.2.7", false);
        flow(first, "db", DELAYS).login("a", "ann", Secret.of("wrong"));
        assertEquals(FAILED, first.last());
        assertEquals(List.of("ask ann", "pause 500"), events, "a first failure is checked at once, answered after 500 ms");
        events.clear();

        Connection second = new Connection("192.0.2.7", false);
        flow(second, "db", DELAYS).login("a", "ann", Secret.of("wrong"));
        assertEquals(FAILED, second.last());
        assertEquals(List.of("pause 500", "ask ann", "pause 500"), events, "the second waits before its check");
        events.clear();

        Connection right = new Connection("192.0.2.7", false);
        flow(right, "db", DELAYS).login("a", "ann", Secret.of("pw"));
        assertEquals(OK, right.last());
        assertEquals(List.of("pause 1000", "ask ann"), events,
                "the right password after two failures waits as long as a wrong one would before its check");
    }

    @Test
    void theDelayComesBeforeTheCheckInsideAnAuthenticateExchangeToo() throws IOException {
        delay.failed("198.51.100.9", "ann", 500, 15_000, 900); // ann failed elsewhere
        Connection c = new Connection("192.0.2.8", true);
        authenticatePlain(flow(c, "db", DELAYS), "ann", "pw");
        assertEquals(OK, c.last());
        assertEquals(List.of("pause 500", "ask ann"), events, "the user's failures count from any address");
    }

    @Test
    void aClientThatHangsUpDuringTheDelayIsNotCheckedAndTheAttemptStillCounts() throws IOException {
        Connection first = new Connection("192.0.2.9", false);
        first.hangsUp = true;
        assertThrows(EOFException.class, () -> flow(first, "db", DELAYS).login("a", "ann", Secret.of("wrong")),
                "hung up while its failure was being delayed: the session ends at once");
        assertEquals(List.of("ask ann", "hang up"), events);
        events.clear();

        Connection second = new Connection("192.0.2.9", false);
        second.hangsUp = true;
        assertThrows(EOFException.class, () -> flow(second, "db", DELAYS).login("a", "ann", Secret.of("pw")));
        assertEquals(List.of("hang up"), events, "abandoned before its check: no backend asked");
        assertEquals(new LoginDelay.Penalty(2, 2, 1000), delay.begin("192.0.2.9", "ann", 500, 15_000, 900).before(),
                "both count: the next attempt waits 1 s");
    }

    @Test
    void unavailableAnswersCountTowardTheDelayOfTheAddress() throws IOException {
        forced = new Verdict.Unavailable("directory down");
        for (int i = 0; i < 3; i++) {
            Connection c = new Connection("192.0.2.10", false);
            flow(c, "db", DELAYS).login("a", "ann", Secret.of("pw"));
            assertEquals(UNAVAILABLE, c.last());
        }
        assertEquals(List.of("ask ann", "pause 500", "ask ann", "pause 1000", "ask ann"), events,
                "answered at once after the check, but every attempt waits for the ones before");
        assertEquals(0, delay.begin("198.51.100.2", "ann", 500, 15_000, 900).before().userFailures(),
                "an outage does not count against the user");
    }

    @Test
    void aMalformedExchangeWaitsAndCountsLikeAnyAttempt() throws IOException {
        delay.failed("192.0.2.11", null, 500, 15_000, 900);
        Connection c = new Connection("192.0.2.11", true);
        LoginFlow.Attempt attempt = flow(c, "db", DELAYS).authenticate("a", "PLAIN");
        attempt.finish("a", attempt.exchange().respond("no nul bytes".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("a NO Malformed PLAIN exchange", c.last());
        assertEquals(List.of("pause 500", "pause 500"), events, "500 ms before, answered 1 s after it began");
    }
}
