package posthorn.auth.sql.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import posthorn.auth.api.Verdict;
import posthorn.auth.support.testing.LogCapture;

/**
 * The contract plus what only a server over the network shows: query timeouts, a server that is
 * not there, and one that goes down under a running pool and comes back (the last test).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class RealServerContract extends BackendContract {

    /** The server the subclass started for the class. */
    abstract ServerProcess server();

    /** A password query that takes about three seconds for any login. */
    abstract String slowPasswordQuery();

    /** The backend's JDBC URL, but for a port where nothing listens. */
    abstract String urlWithPort(int port);

    @Test
    void aSlowQueryIsUnavailableAfterQueryTimeout() {
        SqlBackend b = backend(slowPasswordQuery(), "", 1, "");
        long start = System.nanoTime();
        Verdict v = verify(b, "alice", "s3cret-sha512");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertInstanceOf(Verdict.Unavailable.class, v);
        assertTrue(millis < 2900, "query.timeout=1 s, yet it took " + millis + " ms");
        // the pool still serves once the slow query is cancelled
        assertInstanceOf(Verdict.Success.class, verify(backend(), "alice", "s3cret-sha512"));
    }

    @Test
    void aServerThatIsNotThereIsUnavailable() {
        SqlBackend b = backend(urlWithPort(ServerProcess.freePort()), SqlBackend.DEFAULT_PASSWORD_QUERY, "", 5, "");
        long start = System.nanoTime();
        Verdict v = verify(b, "alice", "s3cret-sha512");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertInstanceOf(Verdict.Unavailable.class, v);
        assertTrue(millis < 4000, "connect.timeout=1000 ms, yet it took " + millis + " ms");
    }

    /**
     * Issue 10: a database that refuses connections answers every login at once (it made each wait
     * connect.timeout), and is logged once.
     */
    @Test
    void aDatabaseThatRefusesConnectionsAnswersAtOnce() {
        SqlBackend b = backend(Settings.of("", urlWithPort(ServerProcess.freePort()), db().user(), db().password(), 2,
                2000, 5, SqlBackend.DEFAULT_PASSWORD_QUERY, "", "", 5));
        List<Long> millis = new ArrayList<>();
        List<String> warnings;
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                assertInstanceOf(Verdict.Unavailable.class, verify(b, "bob", "s3cret-sha256"));
                millis.add((System.nanoTime() - start) / 1_000_000);
            }
            warnings = log.lines("WARN", "posthorn.auth.sql");
        }
        System.out.printf("%s refusing: logins took %s ms; %d WARN lines%n", getClass().getSimpleName(), millis,
                warnings.size());
        assertTrue(millis.stream().allMatch(ms -> ms < 500), "connect.timeout is 2 s, yet logins took " + millis);
        assertEquals(1, warnings.size(), warnings.toString());
    }

    /**
     * Issue 10: a hung database (SIGSTOP) costs one login at most query.timeout and the network
     * slack (2 s), then logins answer at once until down.retry has passed; after SIGCONT they work.
     */
    @Test
    @Order(Integer.MAX_VALUE - 2)
    void aHungDatabaseIsAskedOnceThenSkippedUntilDownRetry() throws Exception {
        SqlBackend b = backend(Settings.of("", db().url(), db().user(), db().password(), 2, 1000, 1,
                SqlBackend.DEFAULT_PASSWORD_QUERY, SqlBackend.DEFAULT_USER_QUERY, "", 2));
        assertInstanceOf(Verdict.Success.class, verify(b, "bob", "s3cret-sha256"));
        List<Long> down = new ArrayList<>();
        List<String> warnings;
        long backAfter;
        try (LogCapture log = new LogCapture()) {
            server().signal("STOP");
            try {
                for (int i = 0; i < 5; i++) {
                    long start = System.nanoTime();
                    assertInstanceOf(Verdict.Unavailable.class, verify(b, "bob", "s3cret-sha256"));
                    down.add((System.nanoTime() - start) / 1_000_000);
                }
            } finally {
                server().signal("CONT");
            }
            long back = System.nanoTime();
            Verdict v;
            do {
                v = verify(b, "bob", "s3cret-sha256");
            } while (!(v instanceof Verdict.Success) && System.nanoTime() - back < 10_000_000_000L && pause());
            backAfter = (System.nanoTime() - back) / 1_000_000;
            assertInstanceOf(Verdict.Success.class, v, "after SIGCONT: " + v);
            warnings = log.lines("WARN", "posthorn.auth.sql");
        }
        System.out.printf("%s hung: logins took %s ms; after SIGCONT a login succeeded after %d ms; %d WARN lines%n",
                getClass().getSimpleName(), down, backAfter, warnings.size());
        assertTrue(down.get(0) < 3900, "query.timeout 1 s + 2 s slack at most: " + down);
        for (long ms : down.subList(1, down.size())) {
            assertTrue(ms < 200, "while known to be down, logins answer at once: " + down);
        }
        assertEquals(1, warnings.size(), warnings.toString());
    }

    /**
     * Issue 10: a database that refuses connections costs one login connect.timeout; the logins
     * after it answer Unavailable at once while it is known to be down; once it is back, the first
     * try after down.retry logs in without waiting for the pool. One WARN line when it goes, one
     * INFO line when it is back, nothing per attempt in between.
     */
    @Test
    @Order(Integer.MAX_VALUE - 1)
    void aDatabaseThatIsDownIsAskedOnceThenSkippedUntilDownRetry() throws Exception {
        SqlBackend b = backend(Settings.of("", db().url(), db().user(), db().password(), 2, 2000, 5,
                SqlBackend.DEFAULT_PASSWORD_QUERY, SqlBackend.DEFAULT_USER_QUERY, "", 2));
        assertInstanceOf(Verdict.Success.class, verify(b, "bob", "s3cret-sha256"));
        List<Long> down = new ArrayList<>();
        long backAfter;
        long lastLogin;
        List<String> warnings;
        List<String> infos;
        try (LogCapture log = new LogCapture()) {
            server().stop();
            try {
                for (int i = 0; i < 5; i++) {
                    long start = System.nanoTime();
                    assertInstanceOf(Verdict.Unavailable.class, verify(b, "bob", "s3cret-sha256"));
                    down.add((System.nanoTime() - start) / 1_000_000);
                }
            } finally {
                server().restart();
            }
            long back = System.nanoTime();
            Verdict v;
            long start;
            do {
                start = System.nanoTime();
                v = verify(b, "bob", "s3cret-sha256");
            } while (!(v instanceof Verdict.Success) && System.nanoTime() - back < 10_000_000_000L && pause());
            lastLogin = (System.nanoTime() - start) / 1_000_000;
            backAfter = (System.nanoTime() - back) / 1_000_000;
            assertInstanceOf(Verdict.Success.class, v, "after the server is back: " + v);
            warnings = log.lines("WARN", "posthorn.auth.sql");
            infos = log.lines("INFO", "posthorn.auth.sql");
        }
        System.out.printf("%s down: logins took %s ms; once back, a login succeeded after %d ms, taking %d ms; "
                + "%d WARN and %d INFO lines%n", getClass().getSimpleName(), down, backAfter, lastLogin,
                warnings.size(), infos.size());
        assertTrue(down.get(0) < 2900, "the first login waits one connect.timeout (2 s) at most: " + down);
        for (long ms : down.subList(1, down.size())) {
            assertTrue(ms < 200, "while known to be down, logins answer at once: " + down);
        }
        // one new connection (PostgreSQL's SCRAM takes ~100 ms here), not the pool's back-off of up to connect.timeout
        assertTrue(lastLogin < 1000, "the first login that gets through is not held up by the pool: " + lastLogin);
        assertEquals(1, warnings.size(), "one WARN line for the outage: " + warnings);
        assertEquals(1, infos.stream().filter(l -> l.contains("again")).count(), "one INFO line for the return: " + infos);
    }

    private static boolean pause() throws InterruptedException {
        Thread.sleep(50);
        return true;
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void aServerGoingDownIsUnavailableAndTheBackendRecovers() throws Exception {
        SqlBackend b = backend();
        assertInstanceOf(Verdict.Success.class, verify(b, "bob", "s3cret-sha256"));
        server().stop();
        Verdict v = verify(b, "bob", "s3cret-sha256");
        assertInstanceOf(Verdict.Unavailable.class, v, "with the server down: " + v);
        server().restart();
        long deadline = System.nanoTime() + 10_000_000_000L;
        do {
            v = verify(b, "bob", "s3cret-sha256");
        } while (!(v instanceof Verdict.Success) && System.nanoTime() < deadline);
        assertInstanceOf(Verdict.Success.class, v, "after the server is back: " + v);
    }
}
