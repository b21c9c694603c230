package posthorn.auth.sql.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.h2.util.OsgiDataSourceFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.osgi.service.jdbc.DataSourceFactory;

import posthorn.auth.api.CredentialSource;
import posthorn.auth.api.Secret;
import posthorn.auth.api.Verdict;
import posthorn.auth.support.testing.DsConfig;
import posthorn.auth.support.testing.LogCapture;

/** The backend on H2 in memory, through H2's own DataSourceFactory: fast, no server. */
class H2BackendTest extends BackendContract {

    private static TestDatabase db;

    @BeforeAll
    static void createDatabase() throws Exception {
        String url = "jdbc:h2:mem:posthorn-auth-sql;DB_CLOSE_DELAY=-1";
        db = new TestDatabase(new OsgiDataSourceFactory(new org.h2.Driver()), Settings.H2, url, "posthorn", "h2-pw",
                url, "sa", "");
        db.createUsers();
        db.execute("CREATE USER posthorn PASSWORD 'h2-pw' ADMIN");
    }

    @Override
    TestDatabase db() {
        return db;
    }

    @Test
    void withoutADriverLoginsAreUnavailableUntilOneComes() {
        SqlBackend b = new SqlBackend();
        b.activate(Settings.of("h2", db.url(), db.user(), db.password(), 2, 1000, 5,
                SqlBackend.DEFAULT_PASSWORD_QUERY, SqlBackend.DEFAULT_USER_QUERY, "", 5));
        try {
            Verdict v = b.verify("alice", Secret.of("s3cret-sha512"));
            assertTrue(assertInstanceOf(Verdict.Unavailable.class, v).reason().contains("org.h2.Driver"), v.toString());
            assertEquals(Set.of(), b.schemes(), "no CRAM while there is no driver");
            // a factory for another driver is not used
            b.bindDataSourceFactory(db.factory(), Map.of(DataSourceFactory.OSGI_JDBC_DRIVER_CLASS, Settings.POSTGRESQL));
            assertInstanceOf(Verdict.Unavailable.class, b.verify("alice", Secret.of("s3cret-sha512")));

            DataSourceFactory h2 = new OsgiDataSourceFactory(new org.h2.Driver());
            b.bindDataSourceFactory(h2, Map.of(DataSourceFactory.OSGI_JDBC_DRIVER_CLASS, Settings.H2));
            assertInstanceOf(Verdict.Success.class, b.verify("alice", Secret.of("s3cret-sha512")));
            assertEquals(Set.of(CredentialSource.PLAIN), b.schemes());

            b.unbindDataSourceFactory(h2); // the driver bundle stops
            assertInstanceOf(Verdict.Unavailable.class, b.verify("alice", Secret.of("s3cret-sha512")));
            b.bindDataSourceFactory(h2, Map.of(DataSourceFactory.OSGI_JDBC_DRIVER_CLASS, Settings.H2));
            assertInstanceOf(Verdict.Success.class, b.verify("alice", Secret.of("s3cret-sha512")));
        } finally {
            b.deactivate();
        }
    }

    @Test
    void changedSettingsTakeEffect() {
        SqlBackend b = backend();
        assertInstanceOf(Verdict.Success.class, verify(b, "frank", "clear-pw"));
        b.activate(Settings.of("", db.url(), db.user(), db.password(), 2, 1000, 5,
                "SELECT crypt FROM users WHERE id = ?", "", "", 5));
        assertEquals(new Verdict.WrongPassword("no password in the row"), verify(b, "frank", "clear-pw"));
        b.activate(Settings.of("", db.url(), db.user(), "wrong-db-pw", 2, 1000, 5,
                SqlBackend.DEFAULT_PASSWORD_QUERY, "", "", 5));
        assertInstanceOf(Verdict.Unavailable.class, verify(b, "frank", "clear-pw"), "the database refuses the account");
    }

    /** Issue 10: an edit the backend cannot use is one log line, and the previous query keeps serving. */
    @Test
    void aRefusedEditIsOneLineAndThePreviousSettingsKeepServing() {
        SqlBackend b = backend();
        assertInstanceOf(Verdict.Success.class, verify(b, "frank", "clear-pw"));
        List<String> lines;
        try (LogCapture log = new LogCapture()) {
            b.activate(DsConfig.of(SqlBackend.Config.class, "url", db.url(), "user", db.user(), "password", db.password(),
                    "password.query", "SELECT crypt, clear FROM users"));
            lines = log.text().lines().toList();
        }
        assertEquals(List.of("auth.sql.cfg refused: password.query: never names the login (write ?, %u or"
                + " $(local_part)/$(domain) where it goes); the previous settings stay in force"),
                lines.stream().map(l -> l.substring(l.indexOf(" - ") + 3)).toList(), lines.toString());
        assertInstanceOf(Verdict.Success.class, verify(b, "frank", "clear-pw"));
        assertEquals(Verdict.NO_SUCH_USER, verify(b, "nobody", "clear-pw"), "still the query that names the login");
    }

    @Test
    void aRefusedFirstConfigurationLeavesTheBackendUnavailableAndSaysWhy() {
        SqlBackend b = new SqlBackend();
        b.bindDataSourceFactory(db.factory(), Map.of(DataSourceFactory.OSGI_JDBC_DRIVER_CLASS, Settings.H2));
        List<String> lines;
        try (LogCapture log = new LogCapture()) {
            b.activate(DsConfig.of(SqlBackend.Config.class, "url", db.url(), "pool.size", "lots"));
            lines = log.text().lines().toList();
        }
        try {
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).endsWith("auth.sql.cfg refused: pool.size: not a valid value; the backend is"
                    + " unavailable until the file is fixed"), lines.get(0));
            Verdict v = b.verify("alice", Secret.of("s3cret-sha512"));
            assertTrue(assertInstanceOf(Verdict.Unavailable.class, v).reason().contains("pool.size"), v.toString());
            assertEquals(Optional.empty(), b.lookup("alice"));
            assertEquals(Set.of(), b.schemes());
        } finally {
            b.deactivate();
        }
    }

    @Test
    void aServerThatIsNotThereIsUnavailableWithinTheTimeout() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        SqlBackend b = backend("jdbc:h2:tcp://127.0.0.1:" + port + "/mem:gone", SqlBackend.DEFAULT_PASSWORD_QUERY,
                "", 5, "");
        long start = System.nanoTime();
        assertInstanceOf(Verdict.Unavailable.class, verify(b, "alice", "s3cret-sha512"));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 4000, "took " + millis + " ms");
        assertTrue(b.lookup("alice").isEmpty());
    }

    @Test
    void passwordsNeverReachTheLog() {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream err = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            String dbPassword = "Db-Secret-4711";
            SqlBackend b = backend();
            verify(b, "alice", "Login-Secret-0815");
            verify(b, "yes", "Login-Secret-0815");
            verify(b, "nobody", "Login-Secret-0815");
            SqlBackend broken = backend("SELECT crypt, clear FROM users WHERE id = ? OR uid = 1001", "", 5, "");
            verify(broken, "bob", "Login-Secret-0815");
            b.activate(Settings.of("", db.url() + ";PASSWORD=" + dbPassword, db.user(), dbPassword, 2, 1000, 5,
                    SqlBackend.DEFAULT_PASSWORD_QUERY, "", "", 5));
            verify(b, "alice", "Login-Secret-0815");
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("unsupported scheme $y$"), log); // the log did reach the capture
        assertFalse(log.contains("Login-Secret-0815"), log);
        assertFalse(log.contains("Db-Secret-4711"), log);
        assertFalse(log.contains("$6$feswk"), log);
        assertFalse(log.contains("clear-pw"), log);
    }
}
