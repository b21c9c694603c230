package posthorn.auth.sql.internal;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import posthorn.auth.api.Verdict;

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
