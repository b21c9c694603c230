package posthorn.auth.sql.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.service.jdbc.DataSourceFactory;

import posthorn.auth.api.CredentialSource;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;

/**
 * What the SQL backend must do against any database: H2 here in the JVM, and real PostgreSQL and
 * MariaDB servers. Each subclass provides a database holding {@link Fixtures#USERS}.
 */
abstract class BackendContract {

    static final String COURIER_QUERY =
            "SELECT crypt, clear, home, maildir FROM users WHERE id = '$(local_part)@$(domain)'";

    private final List<SqlBackend> started = new ArrayList<>();

    /** The database under test, with the users table filled. */
    abstract TestDatabase db();

    @AfterEach
    void stopBackends() {
        started.forEach(SqlBackend::deactivate);
    }

    /** A backend on {@link #db()} with a DataSourceFactory bound, as DS would bind it. */
    SqlBackend backend(String passwordQuery, String userQuery, int queryTimeout, String defaultDomain) {
        return backend(db().url(), passwordQuery, userQuery, queryTimeout, defaultDomain);
    }

    SqlBackend backend(String url, String passwordQuery, String userQuery, int queryTimeout, String defaultDomain) {
        TestDatabase db = db();
        SqlBackend b = new SqlBackend();
        b.bindDataSourceFactory(db.factory(), Map.of(DataSourceFactory.OSGI_JDBC_DRIVER_CLASS, db.driverClass()));
        b.activate(Settings.of("", url, db.user(), db.password(), 2, 1000, queryTimeout, passwordQuery,
                userQuery, defaultDomain, 5));
        started.add(b);
        return b;
    }

    /** A backend on {@link #db()} with these settings. */
    SqlBackend backend(Settings settings) {
        SqlBackend b = new SqlBackend();
        b.bindDataSourceFactory(db().factory(), Map.of(DataSourceFactory.OSGI_JDBC_DRIVER_CLASS, db().driverClass()));
        b.activate(settings);
        started.add(b);
        return b;
    }

    SqlBackend backend() {
        return backend(SqlBackend.DEFAULT_PASSWORD_QUERY, SqlBackend.DEFAULT_USER_QUERY, 5, "");
    }

    static Verdict verify(SqlBackend b, String user, String password) {
        return b.verify(user, Secret.of(password));
    }

    @Test
    void everyAccountLogsInWithItsPasswordOnly() {
        SqlBackend b = backend();
        for (Fixtures.User u : Fixtures.USERS) {
            if (u.password() == null) {
                assertInstanceOf(Verdict.WrongPassword.class, verify(b, u.id(), "s3cret-sha512"), u.id());
                continue;
            }
            Verdict v = verify(b, u.id(), u.password());
            Verdict.Success s = assertInstanceOf(Verdict.Success.class, v, u.id() + ": " + v);
            assertEquals(u.id(), s.user().name());
            assertEquals(u.uid(), s.user().uid());
            assertInstanceOf(Verdict.WrongPassword.class, verify(b, u.id(), "!" + u.password()), u.id());
            assertInstanceOf(Verdict.WrongPassword.class, verify(b, u.id(), ""), u.id());
        }
    }

    @Test
    void theRecordComesFromUserQuery() {
        Verdict.Success s = assertInstanceOf(Verdict.Success.class, verify(backend(), "alice", "s3cret-sha512"));
        assertEquals(new UserRecord("alice", Path.of("/home/alice"), Path.of("/var/mail/alice/Maildir"), 1001, 100,
                "100000000S", Map.of()), s.user());
        Optional<UserRecord> bob = backend().lookup("bob");
        assertEquals(Optional.of(new UserRecord("bob", Path.of("/home/bob"), null, 1002, 100, null, Map.of())), bob);
        assertEquals(Optional.empty(), backend().lookup("nobody"));
    }

    @Test
    void oneQueryCanServeBoth() {
        // Courier's custom-query style: the password query also says where the user lives
        SqlBackend b = backend("SELECT id AS username, crypt, clear, home, uid, gid, quota, 'x' AS shared "
                + "FROM users WHERE id = ?", "", 5, "");
        Verdict.Success s = assertInstanceOf(Verdict.Success.class, verify(b, "bob", "s3cret-sha256"));
        assertEquals(new UserRecord("bob", Path.of("/home/bob"), null, 1002, 100, null, Map.of("shared", "x")),
                s.user());
        assertEquals(Optional.of(s.user()), b.lookup("bob"));
        // without a location in the row and no user query, the chain asks the user databases
        SqlBackend bare = backend("SELECT crypt, clear FROM users WHERE id = ?", "", 5, "");
        assertNull(assertInstanceOf(Verdict.Success.class, verify(bare, "bob", "s3cret-sha256")).user());
        assertEquals(Optional.empty(), bare.lookup("bob"));
    }

    @Test
    void unknownUsersAreNoSuchUser() {
        SqlBackend b = backend();
        assertEquals(Verdict.NO_SUCH_USER, verify(b, "nobody", "s3cret-sha512"));
        assertEquals(Verdict.NO_SUCH_USER, verify(b, "", ""));
    }

    @Test
    void lockedAndUnsupportedAccountsCannotLogIn() {
        SqlBackend b = backend();
        assertEquals(new Verdict.WrongPassword("account locked"), verify(b, "locked", "locked-clear"));
        assertEquals(new Verdict.WrongPassword("unsupported hash scheme"), verify(b, "yes", "yes"));
        assertEquals(new Verdict.WrongPassword("no password in the row"), verify(b, "nopw", "x"));
        assertEquals(Optional.empty(), b.credential("locked", CredentialSource.PLAIN));
    }

    @Test
    void bcryptRefusesAPasswordLongerThan72Bytes() {
        SqlBackend b = backend();
        assertInstanceOf(Verdict.Success.class, verify(b, "long", Fixtures.PW72));
        assertEquals(new Verdict.WrongPassword("wrong password"), verify(b, "long", Fixtures.PW72 + "z"));
        assertEquals(new Verdict.WrongPassword("wrong password"), verify(b, "long", Fixtures.PW72 + "z".repeat(100)));
    }

    @Test
    void clearPasswordsCompareExactly() {
        SqlBackend b = backend();
        assertInstanceOf(Verdict.Success.class, verify(b, "umlaut", "clear pw ü"));
        for (String wrong : List.of("clear pw u", "clear pw ü ", "CLEAR PW Ü", "clear pw", "clear pw üü")) {
            assertEquals(new Verdict.WrongPassword("wrong password"), verify(b, "umlaut", wrong), wrong);
        }
    }

    @Test
    void injectionAttemptsFindNobody() throws SQLException {
        long rows = db().count("users");
        for (SqlBackend b : List.of(backend(),
                backend(COURIER_QUERY, "", 5, "example.org"),
                backend("SELECT crypt, clear FROM users WHERE id = %u", SqlBackend.DEFAULT_USER_QUERY, 5, ""))) {
            for (String user : List.of("' OR '1'='1", "' OR 1=1 --", "admin'--", "admin' #", "admin'/*",
                    "x'; DROP TABLE users; --", "x\\'; DROP TABLE users; --", "\\", "admin\u0000")) {
                for (String password : List.of("admin-pw", "' OR '1'='1", "x")) {
                    Verdict v = verify(b, user, password);
                    assertEquals(Verdict.NO_SUCH_USER, v, user + " / " + password);
                }
                assertEquals(Optional.empty(), b.lookup(user));
                assertEquals(Optional.empty(), b.credential(user, CredentialSource.PLAIN));
            }
        }
        assertEquals(rows, db().count("users"), "the users table is intact");
    }

    @Test
    void courierPlaceholdersBuildTheLogin() {
        SqlBackend b = backend(COURIER_QUERY, "", 5, "example.org");
        assertInstanceOf(Verdict.Success.class, verify(b, "joe", "joe-pw"));
        assertInstanceOf(Verdict.Success.class, verify(b, "joe@example.org", "joe-pw"));
        assertEquals(Verdict.NO_SUCH_USER, verify(b, "joe@example.com", "joe-pw"));
        assertEquals(Verdict.NO_SUCH_USER, verify(b, "alice", "s3cret-sha512"), "alice has no domain");
    }

    @Test
    void clearPasswordsAreCredentials() {
        SqlBackend b = backend();
        assertEquals(Set.of(CredentialSource.PLAIN), b.schemes());
        assertEquals("clear-pw", b.credential("frank", CredentialSource.PLAIN).orElseThrow().reveal());
        assertEquals(Optional.empty(), b.credential("alice", CredentialSource.PLAIN), "alice has only a hash");
        assertEquals(Optional.empty(), b.credential("nobody", CredentialSource.PLAIN));
        assertEquals(Optional.empty(), b.credential("frank", CredentialSource.HMAC_MD5));
        SqlBackend hashesOnly = backend("SELECT crypt FROM users WHERE id = ?", "", 5, "");
        assertEquals(Set.of(), hashesOnly.schemes());
    }

    @Test
    void severalRowsRefuseTheLogin() {
        SqlBackend b = backend("SELECT crypt, clear FROM users WHERE id = ? OR uid = 1001", "", 5, "");
        assertEquals(new Verdict.WrongPassword("several rows for the login"), verify(b, "bob", "s3cret-sha256"));
        assertInstanceOf(Verdict.Success.class, verify(b, "alice", "s3cret-sha512"), "one row is fine");
    }

    @Test
    void aBrokenQueryIsUnavailable() {
        SqlBackend b = backend("SELECT crypt, clear FROM no_such_table WHERE id = ?", "", 5, "");
        assertInstanceOf(Verdict.Unavailable.class, verify(b, "alice", "s3cret-sha512"));
        assertEquals(Optional.empty(), b.lookup("alice"));
        assertEquals(Optional.empty(), b.credential("frank", CredentialSource.PLAIN));
    }

    @Test
    void concurrentLoginsShareThePool() throws Exception {
        // 16 logins queue for 2 connections: the wait for one (connect.timeout) is 10 s here, not the
        // 1 s of the other tests, so that a loaded machine (seen at a load of 25) does not turn the
        // queue into UNAVAILABLE; what is checked, every login answered right through the pool, stays
        SqlBackend b = backend(Settings.of("", db().url(), db().user(), db().password(), 2, 10000, 5,
                SqlBackend.DEFAULT_PASSWORD_QUERY, SqlBackend.DEFAULT_USER_QUERY, "", 5));
        List<Thread> threads = new ArrayList<>();
        List<Verdict> verdicts = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 16; i++) {
            boolean right = i % 2 == 0;
            threads.add(Thread.ofVirtual().start(() ->
                    verdicts.add(verify(b, "bob", right ? "s3cret-sha256" : "wrong"))));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(8, verdicts.stream().filter(v -> v instanceof Verdict.Success).count(), verdicts.toString());
        assertEquals(8, verdicts.stream().filter(v -> v instanceof Verdict.WrongPassword).count(), verdicts.toString());
        assertTrue(verdicts.size() == 16);
    }
}
