package posthorn.auth.ldap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static posthorn.auth.ldap.internal.TestConfig.map;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.listener.InMemoryListenerConfig;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.util.ssl.PEMFileKeyManager;
import com.unboundid.util.ssl.SSLUtil;

import posthorn.auth.api.CredentialSource;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.auth.support.testing.LogCapture;
import posthorn.auth.support.testing.Logins;

/**
 * The backend against a real OpenLDAP slapd (Debian package {@code slapd}), started here on free
 * loopback ports with its own slapd.conf, mdb database, LDIF and self-signed certificate in a
 * temporary directory, and stopped after. It fails, never skips, when slapd is not installed:
 * {@code tools/test-deps} installs it. Takes about a second.
 */
class SlapdTest {

    private static final String SLAPD = "/usr/sbin/slapd";
    private static final String SLAPADD = "/usr/sbin/slapadd";
    private static final String BASE = "dc=example,dc=org";
    private static final String PEOPLE = "ou=people," + BASE;
    /** slappasswd -s 'right pw' with -h {SSHA}, and -h {CRYPT} -c '$6$%.16s' / '$y$j9T$%.16s' */
    private static final String SSHA = "{SSHA}23wEHWohY2ShwIeLCoSJqZiKH2j+TUAf";
    private static final String SHA512_CRYPT = "{CRYPT}$6$UlAmj35bkw/rO2E2$KKa/b5Aky6lSzES8PC9bvCODl270PuTtVbjmtlqGZf0U1xpRkK9k3xKab64esMjaOhqTcD/TuMiSdRAjGXPrL/";
    private static final String YESCRYPT = "{CRYPT}$y$j9T$Bh7KC4rs5K30LZXV$gbhm7Gfr5yFXESXC.hbt5iwClNHX2ajnu.KWPhczxlC";

    @TempDir
    static Path dir;
    private static Process slapd;
    private static int ldapPort;
    private static int ldapsPort;
    private final List<LdapBackend> backends = new ArrayList<>();

    @BeforeAll
    static void startSlapd() throws Exception {
        if (!Files.isExecutable(Path.of(SLAPD)) || !Files.isExecutable(Path.of(SLAPADD))) {
            fail(SLAPD + " is not installed: the LDAP tests need a real OpenLDAP server. Install the Debian "
                    + "packages slapd and ldap-utils (tools/test-deps does it when run as root).");
        }
        certificate("server", "subjectAltName=DNS:localhost,IP:127.0.0.1");
        Files.writeString(dir.resolve("test.schema"), """
                # Maildir and quota attributes as qmail-ldap names them, under a private test OID arc
                attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'mailMessageStore'
                  EQUALITY caseExactIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )
                attributetype ( 1.3.6.1.4.1.99999.1.2 NAME 'mailQuota'
                  EQUALITY caseExactIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )
                objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'posthornMailUser' SUP top AUXILIARY
                  MAY ( mailMessageStore $ mailQuota ) )
                """);
        Files.createDirectory(dir.resolve("db"));
        Files.writeString(dir.resolve("slapd.conf"), """
                include /etc/ldap/schema/core.schema
                include /etc/ldap/schema/cosine.schema
                include /etc/ldap/schema/nis.schema
                include /etc/ldap/schema/inetorgperson.schema
                include %1$s/test.schema
                pidfile %1$s/slapd.pid
                argsfile %1$s/slapd.args
                modulepath /usr/lib/ldap
                moduleload back_mdb
                TLSCertificateFile %1$s/server.pem
                TLSCertificateKeyFile %1$s/server.key
                database mdb
                maxsize 10485760
                suffix "%2$s"
                rootdn "cn=admin,%2$s"
                rootpw admin-pw
                directory %1$s/db
                access to attrs=userPassword
                  by self read
                  by dn.exact="cn=reader,%2$s" read
                  by anonymous auth
                  by * none
                access to * by * read
                """.formatted(dir, BASE));
        Files.writeString(dir.resolve("data.ldif"), """
                dn: %1$s
                objectClass: dcObject
                objectClass: organization
                o: Example
                dc: example

                dn: %2$s
                objectClass: organizationalUnit
                ou: people

                dn: cn=reader,%1$s
                objectClass: organizationalRole
                objectClass: simpleSecurityObject
                cn: reader
                userPassword: reader pw

                %3$s
                %4$s
                %5$s
                %6$s
                %7$s
                """.formatted(BASE, PEOPLE,
                person("alice", SSHA, 1001, "mailMessageStore: Maildir", "mailQuota: 100000000S"),
                person("bob", "bob pw", 1002, "mailMessageStore: /var/mail/bob"),
                person("carol", SHA512_CRYPT, 1003),
                person("frank", YESCRYPT, 1004),
                person("admin", "admin pw", 0)));
        run(SLAPADD, "-q", "-f", dir.resolve("slapd.conf").toString(), "-l", dir.resolve("data.ldif").toString());

        ldapPort = freePort();
        ldapsPort = freePort();
        slapd = new ProcessBuilder(SLAPD, "-h", "ldap://127.0.0.1:" + ldapPort + "/ ldaps://127.0.0.1:" + ldapsPort + "/",
                "-f", dir.resolve("slapd.conf").toString(), "-d", "0")
                .redirectErrorStream(true).redirectOutput(dir.resolve("slapd.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            try (LDAPConnection c = new LDAPConnection("127.0.0.1", ldapPort)) {
                if (c.getRootDSE() != null) {
                    break;
                }
            } catch (Exception notYet) {
                if (!slapd.isAlive() || System.nanoTime() > deadline) {
                    fail("slapd did not start (exit " + (slapd.isAlive() ? "none" : slapd.exitValue()) + "): "
                            + Files.readString(dir.resolve("slapd.log")));
                }
                Thread.sleep(50);
            }
        }
    }

    @AfterAll
    static void stopSlapd() throws Exception {
        if (slapd != null) {
            slapd.destroy(); // SIGTERM: slapd closes the database cleanly
            if (!slapd.waitFor(10, TimeUnit.SECONDS)) {
                slapd.destroyForcibly().waitFor();
            }
        }
    }

    @AfterEach
    void closeBackends() {
        backends.forEach(LdapBackend::deactivate);
    }

    private static String person(String uid, String password, int number, String... more) {
        StringBuilder b = new StringBuilder();
        b.append("dn: uid=").append(uid).append(',').append(PEOPLE).append('\n')
                .append("objectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: posthornMailUser\n")
                .append("uid: ").append(uid).append("\ncn: ").append(uid).append("\nsn: ").append(uid).append('\n')
                .append("uidNumber: ").append(number).append("\ngidNumber: 100\n")
                .append("homeDirectory: /home/").append(uid).append('\n')
                .append("userPassword: ").append(password).append('\n');
        for (String m : more) {
            b.append(m).append('\n');
        }
        return b.toString();
    }

    /** A self-signed certificate NAME.pem with its key NAME.key, made by openssl. */
    private static void certificate(String name, String san) throws Exception {
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + name,
                "-addext", san, "-keyout", dir.resolve(name + ".key").toString(),
                "-out", dir.resolve(name + ".pem").toString());
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            fail(String.join(" ", command) + " failed: " + out);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private LdapBackend backend(String... kv) throws Exception {
        Map<String, String> cfg = map("url", "ldap://127.0.0.1:" + ldapPort, "base.dn", BASE, "attr.quota", "mailQuota",
                "connect.timeout", "2000", "response.timeout", "5000");
        cfg.putAll(map(kv));
        LdapBackend b = new LdapBackend();
        b.activate(TestConfig.of(cfg));
        backends.add(b);
        return b;
    }

    private static Verdict login(LdapBackend b, String user, String password) {
        return b.verify(user, Secret.of(password));
    }

    private static UserRecord success(Verdict v) {
        return assertInstanceOf(Verdict.Success.class, v).user();
    }

    @Test
    void searchThenBind() throws Exception {
        LdapBackend b = backend("mode", "bind", "bind.dn", "cn=reader," + BASE, "bind.password", "reader pw");
        UserRecord alice = success(login(b, "alice", "right pw")); // {SSHA}, checked by slapd
        assertEquals(Path.of("/home/alice/Maildir"), alice.maildir());
        assertEquals("100000000S", alice.quota());
        assertEquals(1001, alice.uid());
        assertEquals(100, alice.gid());
        success(login(b, "bob", "bob pw"));
        success(login(b, "carol", "right pw"));
        success(login(b, "frank", "right pw")); // yescrypt: slapd's crypt(3) knows it, so bind mode works
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "alice", "wrong pw"));
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "alice", ""));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "nobody", "right pw"));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "*)(uid=*", "admin pw"));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "admin)(|(uid=*", "admin pw"));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "\\2a", "admin pw"));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "admin\0", "admin pw"));
    }

    @Test
    void bindAsUser() throws Exception {
        LdapBackend b = backend("mode", "dn", "dn.template", "uid=%u," + PEOPLE);
        assertEquals(Path.of("/var/mail/bob"), success(login(b, "bob", "bob pw")).maildir());
        success(login(b, "alice", "right pw"));
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "bob", "alice pw"));
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "bob", ""));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "nobody", "bob pw"));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "admin,ou=people,dc=example,dc=org", "admin pw"));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "*", "admin pw"));
    }

    @Test
    void searchThenCompare() throws Exception {
        LdapBackend b = backend("mode", "compare", "bind.dn", "cn=reader," + BASE, "bind.password", "reader pw");
        success(login(b, "alice", "right pw")); // {SSHA}: read and checked here, as slapd's compare would say FALSE
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "alice", "wrong pw"));
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "alice", SSHA));
        success(login(b, "carol", "right pw")); // {CRYPT}$6$ checked here
        success(login(b, "bob", "bob pw")); // clear text: slapd's compare operation
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "bob", "bob PW"));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "nobody", "x"));
        assertInstanceOf(Verdict.NoSuchUser.class, login(b, "*)(uid=*", "admin pw"));
        // yescrypt cannot be computed here and slapd's compare matches octets: not a login (use mode=bind)
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "frank", "right pw"));
    }

    @Test
    void clearTextCredentialForCramMd5() throws Exception {
        LdapBackend b = backend("bind.dn", "cn=reader," + BASE, "bind.password", "reader pw", "credentials.plain", "true");
        assertEquals(Set.of(CredentialSource.PLAIN), b.schemes());
        assertEquals("bob pw", b.credential("bob", CredentialSource.PLAIN).orElseThrow().reveal());
        assertEquals(false, b.credential("alice", CredentialSource.PLAIN).isPresent()); // {SSHA}
        // anonymous may only authenticate with userPassword, never read it
        LdapBackend anonymous = backend("credentials.plain", "true");
        assertEquals(false, anonymous.credential("bob", CredentialSource.PLAIN).isPresent());
    }

    /**
     * Issue 10: a hung directory (slapd stopped with SIGSTOP) costs one login one response.timeout,
     * not two; the logins after it answer Unavailable at once while the directory is known to be
     * down, and after SIGCONT the first try after down.retry logs in again. One WARN line when it
     * goes, one INFO line when it is back, nothing per attempt in between.
     */
    @Test
    void aHungDirectoryIsAskedOnceThenSkippedUntilDownRetry() throws Exception {
        LdapBackend b = backend("bind.dn", "cn=reader," + BASE, "bind.password", "reader pw",
                "response.timeout", "2000", "down.retry", "2");
        success(login(b, "alice", "right pw")); // both pools now hold a connection
        List<Long> down;
        Logins.Back back;
        List<String> warnings;
        List<String> infos;
        try (LogCapture log = new LogCapture()) {
            signal("STOP");
            try {
                down = Logins.unavailable(5, () -> login(b, "alice", "right pw"));
            } finally {
                signal("CONT");
            }
            back = Logins.untilSuccess(() -> login(b, "alice", "right pw"), Duration.ofSeconds(6));
            warnings = log.lines("WARN", "posthorn.auth.ldap");
            infos = log.lines("INFO", "posthorn.auth.ldap");
        }
        System.out.printf("hung slapd: logins took %s ms; after SIGCONT a login succeeded after %d ms, taking %d ms; "
                + "%d WARN and %d INFO lines%n", down, back.afterMillis(), back.tookMillis(), warnings.size(), infos.size());
        Logins.assertFirstThenAtOnce(down, 2900); // one response.timeout (2 s), not two
        assertTrue(back.afterMillis() < 3000, "logins work again within down.retry (2 s): " + back);
        assertEquals(1, warnings.size(), "one WARN line for the outage: " + warnings);
        assertEquals(1, infos.stream().filter(l -> l.contains("again")).count(), "one INFO line for the return: " + infos);
    }

    private static void signal(String name) throws Exception {
        run("kill", "-" + name, Long.toString(slapd.pid()));
        if (name.equals("STOP")) {
            // kill returns once the signal is sent; each of slapd's threads stops when next scheduled,
            // so a request sent at once may still be answered: wait until every thread is stopped
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!allThreadsStopped(slapd.pid())) {
                if (System.nanoTime() > deadline) {
                    fail("slapd's threads did not all stop within 10 s of SIGSTOP");
                }
                Thread.sleep(10);
            }
        }
    }

    /** Whether every thread of the process is in state T (stopped), per /proc/PID/task/TID/stat. */
    private static boolean allThreadsStopped(long pid) throws IOException {
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException gone) {
                    continue; // a thread that ended
                }
                // "tid (comm) S ...": the state follows the last ')' (comm may hold spaces or parentheses)
                char state = stat.charAt(stat.lastIndexOf(')') + 2);
                if (state != 'T' && state != 't') {
                    return false;
                }
            }
        }
        return true;
    }

    @Test
    void ldapsWithTheCaFile() throws Exception {
        LdapBackend b = backend("url", "ldaps://127.0.0.1:" + ldapsPort, "ca.file", dir.resolve("server.pem").toString());
        success(login(b, "alice", "right pw"));
        assertInstanceOf(Verdict.WrongPassword.class, login(b, "alice", "wrong pw"));
        LdapBackend byName = backend("url", "ldaps://localhost:" + ldapsPort, "ca.file", dir.resolve("server.pem").toString());
        success(login(byName, "bob", "bob pw"));
    }

    @Test
    void startTlsWithTheCaFile() throws Exception {
        LdapBackend b = backend("starttls", "true", "ca.file", dir.resolve("server.pem").toString(),
                "bind.dn", "cn=reader," + BASE, "bind.password", "reader pw");
        success(login(b, "alice", "right pw"));
        assertEquals("/home/bob", b.lookup("bob").orElseThrow().home().toString());
    }

    @Test
    void anUntrustedCertificateIsUnavailable() throws Exception {
        // the JVM's trust store does not know the test's self-signed certificate
        Verdict ldaps = login(backend("url", "ldaps://127.0.0.1:" + ldapsPort), "alice", "right pw");
        assertEquals("ldap: connect error", assertInstanceOf(Verdict.Unavailable.class, ldaps).reason());
        Verdict startTls = login(backend("starttls", "true"), "alice", "right pw");
        assertInstanceOf(Verdict.Unavailable.class, startTls);
    }

    @Test
    void aCertificateForAnotherHostIsUnavailable() throws Exception {
        certificate("elsewhere", "subjectAltName=DNS:ldap.invalid");
        File pem = dir.resolve("elsewhere.pem").toFile();
        InMemoryDirectoryServerConfig cfg = new InMemoryDirectoryServerConfig(BASE);
        SSLUtil serverSsl = new SSLUtil(new PEMFileKeyManager(pem, dir.resolve("elsewhere.key").toFile()), null);
        cfg.setListenerConfigs(InMemoryListenerConfig.createLDAPSConfig("ldaps", InetAddress.getLoopbackAddress(), 0,
                serverSsl.createSSLServerSocketFactory(), null));
        InMemoryDirectoryServer other = new InMemoryDirectoryServer(cfg);
        other.startListening();
        try {
            // trusted (ca.file is that very certificate), but it names ldap.invalid, not localhost.
            // (UnboundID accepts any trusted certificate on a loopback IP address such as 127.0.0.1,
            // as "potentially trustworthy" in the W3C's Secure Contexts sense; not on host names.)
            LdapBackend b = backend("url", "ldaps://localhost:" + other.getListenPort(), "ca.file", pem.toString());
            Verdict v = login(b, "alice", "right pw");
            assertEquals("ldap: connect error", assertInstanceOf(Verdict.Unavailable.class, v).reason());
        } finally {
            other.shutDown(true);
        }
    }
}
