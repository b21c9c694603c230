package posthorn.auth.ldap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static posthorn.auth.ldap.internal.TestConfig.map;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.listener.InMemoryListenerConfig;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedSearchRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedSimpleBindRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryOperationInterceptor;

import posthorn.auth.api.CredentialSource;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.auth.support.testing.LogCapture;

/** The backend against UnboundID's in-memory directory server on a loopback port. */
class LdapBackendTest {

    private static final String BASE = "dc=example,dc=org";
    /** slappasswd -s 'right pw' -h '{SSHA}' */
    private static final String BOB_SSHA = "{SSHA}23wEHWohY2ShwIeLCoSJqZiKH2j+TUAf";
    private static final String CAROL_CRYPT = "{CRYPT}$6$UlAmj35bkw/rO2E2$KKa/b5Aky6lSzES8PC9bvCODl270PuTtVbjmtlqGZf0U1xpRkK9k3xKab64esMjaOhqTcD/TuMiSdRAjGXPrL/";

    private static InMemoryDirectoryServer server;
    private static int port;
    private final List<LdapBackend> backends = new ArrayList<>();

    @BeforeAll
    static void startDirectory() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        InMemoryDirectoryServerConfig cfg = new InMemoryDirectoryServerConfig(BASE);
        cfg.setSchema(null); // mailMessageStore and mailQuota are not in the standard schema
        cfg.setListenerConfigs(InMemoryListenerConfig.createLDAPConfig("ldap", InetAddress.getLoopbackAddress(), port, null));
        server = new InMemoryDirectoryServer(cfg);
        server.add("dn: " + BASE, "objectClass: domain", "dc: example");
        server.add("dn: ou=people," + BASE, "objectClass: organizationalUnit", "ou: people");
        server.add("dn: ou=others," + BASE, "objectClass: organizationalUnit", "ou: others");
        server.add("dn: cn=reader," + BASE, "objectClass: person", "cn: reader", "sn: r", "userPassword: reader pw");
        user("alice", "alice pw", "homeDirectory: /home/alice", "mailMessageStore: Maildir",
                "mailQuota: 100000000S", "uidNumber: 1001", "gidNumber: 100");
        user("bob", BOB_SSHA, "homeDirectory: /home/bob", "mailMessageStore: /var/mail/bob",
                "uidNumber: 1002", "gidNumber: 100");
        user("carol", CAROL_CRYPT, "homeDirectory: /home/carol");
        user("dave", "{CLEARTEXT}dave pw", "homeDirectory: /home/dave");
        user("admin", "admin pw", "homeDirectory: /root");
        // libxcrypt's bcrypt of PW72 (mkpasswd -m bcrypt -R 4), which would take PW72 followed by anything
        user("long", "{CRYPT}$2b$05$uX7MnliOm15CRoC0P8q5CupVlLovwmz6ZUqMSOUJLfLh4IYjoCCna", "homeDirectory: /home/long");
        user("a,b", "comma pw", "homeDirectory: /home/ab");
        user("x*", "star pw", "homeDirectory: /home/x");
        server.add("dn: uid=erin,ou=people," + BASE, "objectClass: posixAccount", "uid: erin", "homeDirectory: /home/erin");
        server.add("dn: uid=twin,ou=people," + BASE, "objectClass: posixAccount", "uid: twin", "userPassword: twin pw");
        server.add("dn: uid=twin,ou=others," + BASE, "objectClass: posixAccount", "uid: twin", "userPassword: twin pw");
        server.startListening();
    }

    private static void user(String uid, String password, String... more) throws Exception {
        List<String> lines = new ArrayList<>(List.of(
                "dn: uid=" + LdapEscape.dnValue(uid) + ",ou=people," + BASE,
                "objectClass: posixAccount", "objectClass: inetOrgPerson", "uid: " + uid, "cn: " + uid, "sn: " + uid,
                "userPassword: " + password));
        lines.addAll(List.of(more));
        server.add(lines.toArray(String[]::new));
    }

    @AfterAll
    static void stopDirectory() {
        server.shutDown(true);
    }

    @AfterEach
    void closeBackends() {
        backends.forEach(LdapBackend::deactivate);
    }

    private LdapBackend backend(String... kv) throws Exception {
        Map<String, String> cfg = map("url", "ldap://127.0.0.1:" + port, "base.dn", BASE,
                "connect.timeout", "1000", "response.timeout", "2000", "pool.size", "2");
        cfg.putAll(map(kv));
        LdapBackend b = new LdapBackend();
        b.activate(TestConfig.of(cfg));
        backends.add(b);
        return b;
    }

    private LdapBackend searchThenBind() throws Exception {
        return backend("mode", "bind", "bind.dn", "cn=reader," + BASE, "bind.password", "reader pw");
    }

    private LdapBackend bindAsUser() throws Exception {
        return backend("mode", "dn", "dn.template", "uid=%u,ou=people," + BASE);
    }

    private LdapBackend compare() throws Exception {
        return backend("mode", "compare", "bind.dn", "cn=reader," + BASE, "bind.password", "reader pw");
    }

    private static Verdict login(LdapBackend b, String user, String password) {
        return b.verify(user, Secret.of(password));
    }

    private static UserRecord success(Verdict v) {
        Verdict.Success s = assertInstanceOf(Verdict.Success.class, v);
        return s.user();
    }

    // --- search-then-bind

    @Test
    void searchThenBind_rightWrongUnknown() throws Exception {
        LdapBackend b = searchThenBind();
        UserRecord alice = success(login(b, "alice", "alice pw"));
        assertEquals("alice", alice.name());
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "alice", "alice PW"));
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "alice", ""));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "nobody", "alice pw"));
        // the entry's canonical name, though the client typed it in another case
        assertEquals("alice", success(login(b, "ALICE", "alice pw")).name());
    }

    @Test
    void searchThenBind_anonymousSearchWorksToo() throws Exception {
        LdapBackend b = backend("mode", "bind");
        success(login(b, "alice", "alice pw"));
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "alice", "nope"));
    }

    @Test
    void aFilterMatchingTwoEntriesNeverLogsIn() throws Exception {
        LdapBackend b = searchThenBind();
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "twin", "twin pw"));
        assertEquals(Optional.empty(), b.lookup("twin"));
    }

    // --- bind as user

    @Test
    void bindAsUser_rightWrongUnknown() throws Exception {
        LdapBackend b = bindAsUser();
        UserRecord alice = success(login(b, "alice", "alice pw"));
        assertEquals(Path.of("/home/alice"), alice.home());
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "alice", "bob pw"));
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "alice", ""));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "nobody", "alice pw"));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "nobody", ""));
    }

    @Test
    void bindAsUser_namesWithDnSpecialCharactersWork() throws Exception {
        LdapBackend b = bindAsUser();
        assertEquals("a,b", success(login(b, "a,b", "comma pw")).name());
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "a,b", "alice pw"));
    }

    // --- search then compare

    @Test
    void compare_hashedValuesAreCheckedLocally() throws Exception {
        LdapBackend b = compare();
        assertEquals("bob", success(login(b, "bob", "right pw")).name());
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "bob", "wrong pw"));
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "bob", BOB_SSHA)); // the hash is not the password
        success(login(b, "carol", "right pw"));
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "carol", "Right pw"));
    }

    @Test
    void compare_bcryptCryptRefusesAPasswordLongerThan72Bytes() throws Exception {
        LdapBackend b = compare();
        String pw72 = "0123456789".repeat(7) + "01";
        assertEquals("long", success(login(b, "long", pw72)).name());
        assertEquals(new Verdict.WrongPassword("wrong password"), login(b, "long", pw72 + "z"));
        assertEquals(new Verdict.WrongPassword("wrong password"), login(b, "long", pw72 + "z".repeat(100)));
    }

    @Test
    void compare_clearValuesAreComparedByTheServer() throws Exception {
        LdapBackend b = compare();
        success(login(b, "alice", "alice pw"));
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "alice", "alice p"));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "nobody", "x"));
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "erin", "anything")); // no userPassword at all
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "alice", ""));
    }

    @Test
    void filterSpecialCharactersInARealNameStillWork() throws Exception {
        LdapBackend b = searchThenBind();
        success(login(b, "x*", "star pw"));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "x", "star pw"));
    }

    // --- injection: none of these may log in, or find anyone

    @ParameterizedTest
    @ValueSource(strings = {"*", "*)(uid=*", "admin)(|(uid=*", "\\2a", "alice\0", "alice\0)(uid=*",
            "alice)(objectClass=*", "*)(|(objectClass=*)", "admin*", "a*",
            "uid=admin,ou=people,dc=example,dc=org", "admin,ou=people,dc=example,dc=org", "alice+cn=alice",
            "*)(userPassword=*", "\\*"})
    void injectionAttemptsNeverLogInOrMatch(String user) throws Exception {
        for (LdapBackend b : List.of(searchThenBind(), bindAsUser(), compare())) {
            for (String pw : List.of("alice pw", "admin pw", "star pw", "")) {
                Verdict v = login(b, user, pw);
                assertInstanceOf(Verdict.NoSuchUser.class, v, () -> "user " + user.replace("\0", "\\0") + ": " + v);
            }
            assertEquals(Optional.empty(), b.lookup(user));
        }
    }

    @Test
    void injectionThroughThePasswordDoesNothingEither() throws Exception {
        for (LdapBackend b : List.of(searchThenBind(), bindAsUser(), compare())) {
            for (String pw : List.of("*", "alice pw)(uid=*", "\0", "{SSHA}", "{CLEARTEXT}alice pw")) {
                assertInstanceOf(Verdict.WrongPassword.class, login(b, "alice", pw));
            }
        }
    }

    // --- user records

    @Test
    void attributesMapToTheUserRecord() throws Exception {
        LdapBackend b = backend("mode", "bind", "attr.quota", "mailQuota");
        UserRecord alice = b.lookup("alice").orElseThrow();
        assertEquals("alice", alice.name());
        assertEquals(Path.of("/home/alice"), alice.home());
        assertEquals(Path.of("/home/alice/Maildir"), alice.maildir()); // relative: under home
        assertEquals(1001, alice.uid());
        assertEquals(100, alice.gid());
        assertEquals("100000000S", alice.quota());
        assertEquals("uid=alice,ou=people," + BASE, alice.options().get("dn"));
        assertEquals(alice, success(login(b, "alice", "alice pw")));

        UserRecord bob = b.lookup("bob").orElseThrow();
        assertEquals(Path.of("/var/mail/bob"), bob.maildir());
        assertEquals(null, bob.quota());

        UserRecord carol = b.lookup("carol").orElseThrow();
        assertEquals(null, carol.maildir());
        assertEquals(-1, carol.uid());
        assertEquals(-1, carol.gid());
        assertEquals(Optional.empty(), b.lookup("nobody"));
    }

    @Test
    void attributeNamesAreConfigurable() throws Exception {
        LdapBackend b = backend("mode", "bind", "attr.home", "", "attr.maildir", "homeDirectory",
                "attr.uid", "gidNumber", "attr.gid", "", "attr.login", "cn");
        UserRecord alice = b.lookup("alice").orElseThrow();
        assertEquals(null, alice.home());
        assertEquals(Path.of("/home/alice"), alice.maildir());
        assertEquals(100, alice.uid());
        assertEquals(-1, alice.gid());
    }

    @Test
    void bindAsUserLooksUpByTemplate() throws Exception {
        LdapBackend b = bindAsUser();
        assertEquals(Path.of("/var/mail/bob"), b.lookup("bob").orElseThrow().maildir());
        assertEquals(Optional.empty(), b.lookup("nobody"));
    }

    // --- credentials for CRAM-MD5

    @Test
    void clearTextCredentialsOnlyWhenConfigured() throws Exception {
        LdapBackend off = searchThenBind();
        assertEquals(Set.of(), off.schemes());
        assertEquals(Optional.empty(), off.credential("alice", CredentialSource.PLAIN));

        LdapBackend on = backend("mode", "bind", "bind.dn", "cn=reader," + BASE, "bind.password", "reader pw",
                "credentials.plain", "true");
        assertEquals(Set.of(CredentialSource.PLAIN), on.schemes());
        assertEquals("alice pw", on.credential("alice", CredentialSource.PLAIN).orElseThrow().reveal());
        assertEquals("dave pw", on.credential("dave", CredentialSource.PLAIN).orElseThrow().reveal());
        assertEquals(Optional.empty(), on.credential("bob", CredentialSource.PLAIN)); // {SSHA}: no clear text
        assertEquals(Optional.empty(), on.credential("nobody", CredentialSource.PLAIN));
        assertEquals(Optional.empty(), on.credential("*", CredentialSource.PLAIN));
        assertEquals(Optional.empty(), on.credential("alice", CredentialSource.HMAC_MD5));
    }

    // --- the directory down, slow, or back

    @Test
    void closedPortIsUnavailable() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        for (String mode : List.of("bind", "dn", "compare")) {
            LdapBackend b = backend("url", "ldap://127.0.0.1:" + closed, "mode", mode,
                    "dn.template", "uid=%u,ou=people," + BASE);
            assertInstanceOf(Verdict.Unavailable.class, login(b, "alice", "alice pw"), mode);
            assertEquals(Optional.empty(), b.lookup("alice"));
        }
    }

    @Test
    void aServerThatNeverAnswersTimesOut() throws Exception {
        try (ServerSocket mute = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new ArrayList<>();
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        held.add(mute.accept()); // accept, read nothing, answer nothing
                    }
                } catch (Exception ignored) {
                    // closed at the end of the test
                }
            });
            LdapBackend b = backend("url", "ldap://127.0.0.1:" + mute.getLocalPort(), "response.timeout", "300");
            long start = System.nanoTime();
            assertInstanceOf(Verdict.Unavailable.class, login(b, "alice", "alice pw"));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms < 3000, "took " + ms + " ms");
            acceptor.interrupt();
        }
    }

    /** Issue 10: response.timeout bounds a login's requests together (search, then bind), not each one. */
    @Test
    void oneLoginWaitsAtMostOneResponseTimeoutForAllItsRequests() throws Exception {
        InMemoryDirectoryServerConfig cfg = new InMemoryDirectoryServerConfig(BASE);
        cfg.setSchema(null);
        cfg.setListenerConfigs(InMemoryListenerConfig.createLDAPConfig("slow", InetAddress.getLoopbackAddress(), 0, null));
        cfg.addInMemoryOperationInterceptor(new InMemoryOperationInterceptor() {
            @Override
            public void processSearchRequest(InMemoryInterceptedSearchRequest request) {
                pause(1200);
            }

            @Override
            public void processSimpleBindRequest(InMemoryInterceptedSimpleBindRequest request) {
                pause(1200);
            }
        });
        InMemoryDirectoryServer slow = new InMemoryDirectoryServer(cfg);
        slow.add("dn: " + BASE, "objectClass: domain", "dc: example");
        slow.add("dn: uid=alice," + BASE, "objectClass: posixAccount", "objectClass: inetOrgPerson", "uid: alice",
                "cn: alice", "sn: alice", "uidNumber: 1", "gidNumber: 1", "homeDirectory: /home/alice",
                "userPassword: alice pw");
        slow.startListening();
        try {
            // each answer comes within response.timeout, but the two together do not
            LdapBackend b = backend("url", "ldap://127.0.0.1:" + slow.getListenPort(), "response.timeout", "2000");
            long start = System.nanoTime();
            Verdict v = login(b, "alice", "alice pw");
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertEquals(new Verdict.Unavailable("ldap: timeout"), v, "after " + ms + " ms");
            assertTrue(ms < 2600, "took " + ms + " ms");
        } finally {
            slow.shutDown(true);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void comesBackWhenTheDirectoryDoes() throws Exception {
        LdapBackend b = backend("mode", "bind", "bind.dn", "cn=reader," + BASE, "bind.password", "reader pw",
                "down.retry", "1");
        success(login(b, "alice", "alice pw")); // pools now hold connections
        server.shutDown(true);
        try {
            assertInstanceOf(Verdict.Unavailable.class, login(b, "alice", "alice pw"));
        } finally {
            server.startListening();
        }
        // not asked again until down.retry has passed (the breaker, see SlapdTest)
        assertInstanceOf(Verdict.Unavailable.class, login(b, "alice", "alice pw"));
        Thread.sleep(1000);
        // then stale pooled connections are replaced, not reported as failures
        success(login(b, "alice", "alice pw"));
        success(login(b, "alice", "alice pw"));
    }

    @Test
    void reconfigurationSwapsTheDirectory() throws Exception {
        LdapBackend b = searchThenBind();
        success(login(b, "alice", "alice pw"));
        b.activate(TestConfig.of(map("url", "ldap://127.0.0.1:" + port, "base.dn", "ou=others," + BASE)));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "alice", "alice pw"));
    }

    // --- a configuration the backend cannot use (issue 10)

    @Test
    void aRefusedEditIsOneLineAndThePreviousSettingsKeepServing() throws Exception {
        LdapBackend b = searchThenBind();
        success(login(b, "alice", "alice pw"));
        List<String> lines;
        try (LogCapture log = new LogCapture()) {
            b.activate(TestConfig.of(map("url", "ldap://127.0.0.1:" + port, "base.dn", BASE, "filter", "(uid=alice)")));
            lines = log.text().lines().toList();
        }
        assertEquals(List.of("auth.ldap.cfg refused: filter: must contain %u; the previous settings stay in force"),
                lines.stream().map(l -> l.substring(l.indexOf(" - ") + 3)).toList(), lines.toString());
        success(login(b, "alice", "alice pw"));
        // with the refused filter, any login would have found alice
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "nobody", "alice pw"), "still the old filter");
    }

    @Test
    void aRefusedFirstConfigurationLeavesTheBackendUnavailableAndSaysWhy() {
        LdapBackend b = new LdapBackend();
        List<String> lines;
        try (LogCapture log = new LogCapture()) {
            b.activate(TestConfig.of(map("url", "ldap://127.0.0.1:" + port, "base.dn", BASE, "pool.size", "lots")));
            lines = log.text().lines().toList();
        }
        String refusal = "auth.ldap.cfg refused: pool.size: not a valid value; the backend is unavailable until the file"
                + " is fixed";
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).endsWith(refusal), lines.get(0));
        Verdict v = login(b, "alice", "alice pw");
        assertTrue(assertInstanceOf(Verdict.Unavailable.class, v).reason().contains("pool.size: not a valid value"), v.toString());
        b.activate(TestConfig.of(map("url", "ldap://127.0.0.1:" + port, "base.dn", BASE)));
        backends.add(b);
        success(login(b, "alice", "alice pw"));
    }

    @Test
    void notActiveIsUnavailable() {
        LdapBackend b = new LdapBackend();
        assertInstanceOf(Verdict.Unavailable.class, login(b, "alice", "alice pw"));
        assertEquals(Optional.empty(), b.lookup("alice"));
        assertEquals(Set.of(), b.schemes());
    }

    // --- logs

    @Test
    void noPasswordReachesTheLog() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            LdapBackend b = backend("mode", "compare", "bind.dn", "cn=reader," + BASE, "bind.password", "reader pw");
            login(b, "alice", "Pw-In-Log-1");
            login(b, "twin", "Pw-In-Log-2");
            int closed;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                closed = s.getLocalPort();
            }
            LdapBackend down = backend("url", "ldap://127.0.0.1:" + closed, "bind.dn", "cn=reader," + BASE,
                    "bind.password", "Service-Pw-3");
            login(down, "alice", "Pw-In-Log-4");
            LdapBackend wrongService = backend("bind.dn", "cn=reader," + BASE, "bind.password", "Service-Pw-5");
            assertInstanceOf(Verdict.Unavailable.class, login(wrongService, "alice", "Pw-In-Log-6"));
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("ldap: directory unavailable"), log); // the capture did see the log
        for (String secret : List.of("Pw-In-Log", "Service-Pw", "reader pw")) {
            assertFalse(log.contains(secret), secret + " in log:\n" + log);
        }
    }
}
