package posthorn.http.internal;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls each node's /health every health.interval and keeps who is up: a node is up after one
 * check answered 200 within health.timeout, down after one that was not (refused, timed out, 503).
 * Until its first check is in a node counts as up, so that a restart of this endpoint does not send
 * everyone away from a healthy node for an interval. A node without a health URL is always up. Each
 * change of state is one log line. Thread-safe: the checks run on one scheduler thread; {@link #up}
 * is read from any.
 */
final class HealthChecks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HealthChecks.class);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("http-health").daemon().unstarted(r));
    private final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(1)).build();
    /** Node name to whether it passed its last check; absent = not checked yet. */
    private final Map<String, Boolean> state = new ConcurrentHashMap<>();
    private volatile List<Node> nodes = List.of();
    private volatile long timeoutMillis = 1000;
    private ScheduledFuture<?> round;

    /** Checks these nodes from now on, every {@code intervalMillis}; state of nodes no longer listed is dropped. */
    synchronized void configure(List<Node> nodes, long intervalMillis, long timeoutMillis) {
        this.nodes = nodes;
        this.timeoutMillis = timeoutMillis;
        state.keySet().retainAll(nodes.stream().map(Node::name).toList());
        if (round != null) {
            round.cancel(false);
        }
        // The first round one interval from now, not at once: at start this endpoint's own Jetty (often
        // one of the nodes' health URLs) is not listening yet, and a check then would mark a healthy
        // node down, and its users refused (no node up), for a whole interval. Until then every node
        // counts as up, as above.
        round = timer.scheduleWithFixedDelay(this::checkAll, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    /** Whether a node passed its last check (or has none yet, or no health URL). */
    boolean up(Node node) {
        return node.health() == null || state.getOrDefault(node.name(), Boolean.TRUE);
    }

    /** Checks every node now, on the caller's thread (tests, and the scheduler). */
    void checkAll() {
        for (Node n : nodes) {
            if (n.health() == null) {
                continue;
            }
            String why = check(n);
            Boolean before = state.put(n.name(), why == null);
            if (why == null && Boolean.FALSE.equals(before)) {
                LOG.info("event=node.up node={} health={}", n.name(), n.health());
            } else if (why != null && !Boolean.FALSE.equals(before)) {
                LOG.warn("event=node.down node={} health={} reason=\"{}\" (its users go to the other nodes)", n.name(),
                        n.health(), why);
            }
        }
    }

    /** Null if the node answered 200, else why not. */
    private String check(Node n) {
        try {
            HttpRequest req = HttpRequest.newBuilder(n.health()).timeout(Duration.ofMillis(timeoutMillis)).GET().build();
            HttpResponse<Void> res = client.send(req, HttpResponse.BodyHandlers.discarding());
            return res.statusCode() == 200 ? null : "HTTP " + res.statusCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (Exception e) {
            return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        client.shutdownNow();
    }
}
