package posthorn.auth.sql.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import posthorn.auth.api.Verdict;
import posthorn.auth.support.testing.LogCapture;
import posthorn.auth.support.testing.Logins;

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
        List<Long> millis;
        List<String> warnings;
        try (LogCapture log = new LogCapture()) {
            millis = Logins.unavailable(5, () -> verify(b, "bob", "s3cret-sha256"));
            warnings = log.lines("WARN", "posthorn.auth.sql");
        }
        System.out.printf("%s refusing: logins took %s ms; %d WARN lines%n", getClass().getSimpleName(), millis,
                warnings.size());
        Logins.assertFirstThenAtOnce(millis, 500); // connect.timeout is 2 s
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
        Outage o = outage(b, () -> server().signal("STOP"), () -> server().signal("CONT"));
        System.out.printf("%s hung: %s%n", getClass().getSimpleName(), o);
        Logins.assertFirstThenAtOnce(o.down(), 3900); // query.timeout 1 s + 2 s slack
        assertEquals(1, o.warnings().size(), o.warnings().toString());
    }

    /**
     * Issue 10: a database that goes down costs one login at most connect.timeout; the logins
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
        Outage o = outage(b, () -> server().stop(), () -> server().restart());
        System.out.printf("%s down: %s%n", getClass().getSimpleName(), o);
        Logins.assertFirstThenAtOnce(o.down(), 2900); // connect.timeout 2 s
        // one new connection (PostgreSQL's SCRAM takes ~100 ms here), not the pool's back-off of up to connect.timeout
        assertTrue(o.back().tookMillis() < 1000, "the first login that gets through is not held up by the pool: " + o);
        assertEquals(1, o.warnings().size(), "one WARN line for the outage: " + o.warnings());
        assertEquals(1, o.infos().stream().filter(l -> l.contains("again")).count(), "one INFO line for the return: " + o);
    }

    /** Something done to the server. */
    interface Action {
        void run() throws Exception;
    }

    /** What five logins during an outage and the retries after it saw, and what the backend logged. */
    record Outage(List<Long> down, Logins.Back back, List<String> warnings, List<String> infos) {
        @Override
        public String toString() {
            return "logins took " + down + " ms; once back, a login succeeded after " + back.afterMillis() + " ms, taking "
                    + back.tookMillis() + " ms; " + warnings.size() + " WARN and " + infos.size() + " INFO lines";
        }
    }

    private Outage outage(SqlBackend b, Action breakIt, Action mendIt) throws Exception {
        try (LogCapture log = new LogCapture()) {
            List<Long> down;
            breakIt.run();
            try {
                down = Logins.unavailable(5, () -> verify(b, "bob", "s3cret-sha256"));
            } finally {
                mendIt.run();
            }
            Logins.Back back = Logins.untilSuccess(() -> verify(b, "bob", "s3cret-sha256"), Duration.ofSeconds(10));
            return new Outage(down, back, log.lines("WARN", "posthorn.auth.sql"), log.lines("INFO", "posthorn.auth.sql"));
        }
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
