package posthorn.http.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToDoubleFunction;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import posthorn.imap.server.admin.BackendInfo;
import posthorn.imap.server.admin.ImapAdmin;
import posthorn.imap.server.admin.ServerObserver;
import posthorn.imap.server.admin.ServerStats;
import posthorn.imap.server.admin.SizeSource;
import posthorn.store.api.MailStore;
import posthorn.store.api.search.TextIndex;

/**
 * /metrics in the Prometheus text format, written by Micrometer's Prometheus registry. Two kinds of
 * source: what the server counts anyway (sessions, IDLE, connections, logins by result and by
 * backend, bytes) is read from ImapAdmin's snapshots once per scrape; what only an event can tell
 * (each command's latency, each store call's) arrives through {@link ServerObserver}, which this
 * component is, so that the server binds it exactly while metrics are served. Index and full-text
 * sizes come from whatever {@link SizeSource} services are registered. JVM memory and threads come
 * from Micrometer's binders.
 *
 * <p>Command names are the server's command table's (a closed set), so the label cannot grow
 * without bound whatever clients send. Latencies are histograms with fixed buckets from 1 ms to 10 s.
 */
@Component(service = {Servlet.class, ServerObserver.class}, enabled = false)
@HttpWhiteboardServletPattern("/metrics")
public final class MetricsServlet extends HttpServlet implements ServerObserver {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServlet.class);

    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
            Duration.ofSeconds(10)};

    private final transient PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final transient Map<String, Timer> commands = new ConcurrentHashMap<>();
    private final transient Map<String, Timer> store = new ConcurrentHashMap<>();
    /** The server's counts as of the current scrape; null when no server runs. */
    private transient volatile ServerStats stats;
    private transient volatile Map<String, BackendInfo> backends = Map.of();
    private transient volatile Map<String, Long> sizes = Map.of();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    transient volatile ImapAdmin admin;

    private final transient List<SizeSource> sources = new CopyOnWriteArrayList<>();

    /** The bound store: its in-memory index's sizes are shown as {@code source="store_index"}. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    transient volatile MailStore mailStore;

    /** The full-text index, if one is deployed: its sizes are shown as {@code source="fts"}. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    transient volatile TextIndex textIndex;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindSizes(SizeSource source) {
        sources.add(source);
    }

    void unbindSizes(SizeSource source) {
        sources.remove(source);
    }

    /** A store-side service's sizes shown as one more source. */
    private static SizeSource source(String name, java.util.function.Supplier<Map<String, Long>> sizes) {
        return new SizeSource() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Map<String, Long> sizes() {
                return sizes.get();
            }
        };
    }

    public MetricsServlet() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    /**
     * The meters read from the server's snapshots, registered anew whenever another server instance
     * is bound (the server bundle restarted): its counts start again from 0, and Micrometer's
     * function counters never go down, so the old meters would hide the new counts until they
     * passed the old ones. Prometheus reads the new meters as a counter reset, which it handles.
     */
    private final transient List<Meter> serverMeters = new CopyOnWriteArrayList<>();
    private transient ImapAdmin metered;
    private final transient java.util.Set<String> meteredBackends = new java.util.HashSet<>();

    private void serverMeters(ImapAdmin a) {
        if (a == metered) {
            return;
        }
        serverMeters.forEach(registry::remove);
        serverMeters.clear();
        meteredBackends.clear();
        metered = a;
        gauge("posthorn.sessions", "Open IMAP sessions", s -> s.connectionsNow());
        gauge("posthorn.sessions.idle", "Sessions waiting in IDLE", s -> s.idle());
        counter("posthorn.connections", "Connections admitted since start", null, s -> s.connectionsTotal());
        counter("posthorn.received", "Bytes read from clients", "bytes", s -> s.bytesIn());
        counter("posthorn.sent", "Bytes written to clients", "bytes", s -> s.bytesOut());
        loginCounter("ok", s -> s.logins().ok());
        loginCounter("failed", s -> s.logins().failed());
        loginCounter("unavailable", s -> s.logins().unavailable());
        loginCounter("refused", s -> s.logins().refused());
        serverMeters.add(Gauge.builder("posthorn.uptime.server", this,
                m -> m.stats == null ? Double.NaN : m.stats.uptime().toMillis() / 1000.0)
                .description("Seconds the IMAP server has run").baseUnit("seconds").register(registry));
    }

    private void gauge(String name, String help, ToDoubleFunction<ServerStats> f) {
        serverMeters.add(Gauge.builder(name, this, m -> m.stats == null ? Double.NaN : f.applyAsDouble(m.stats))
                .description(help).register(registry));
    }

    private void counter(String name, String help, String unit, ToDoubleFunction<ServerStats> f) {
        serverMeters.add(FunctionCounter.builder(name, this, m -> m.stats == null ? 0 : f.applyAsDouble(m.stats))
                .description(help).baseUnit(unit).register(registry));
    }

    private void loginCounter(String result, ToDoubleFunction<ServerStats> f) {
        serverMeters.add(FunctionCounter.builder("posthorn.logins", this, m -> m.stats == null ? 0 : f.applyAsDouble(m.stats))
                .description("Login attempts by result (LOGIN, AUTHENTICATE and auth_http)").tag("result", result)
                .register(registry));
    }

    @Override
    public void command(String name, long nanos) {
        commands.computeIfAbsent(name, n -> Timer.builder("posthorn.commands").description("IMAP commands by name")
                .tag("command", n).serviceLevelObjectives(BUCKETS).register(registry))
                .record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    @Override
    public void store(String operation, long nanos, boolean failed) {
        store.computeIfAbsent(operation + (failed ? "/failed" : "/ok"), k -> Timer.builder("posthorn.store.operations")
                .description("Store calls made for sessions").tag("operation", operation)
                .tag("result", failed ? "failed" : "ok").serviceLevelObjectives(BUCKETS).register(registry))
                .record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
        snapshot();
        byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
        res.setStatus(200);
        res.setContentType(CONTENT_TYPE);
        res.setHeader("Cache-Control", "no-store");
        res.setContentLength(body.length);
        res.getOutputStream().write(body);
    }

    /** Reads the server's counts once for this scrape, and registers meters for backends and sizes seen first now. */
    private synchronized void snapshot() {
        ImapAdmin a = admin;
        serverMeters(a);
        if (a == null) {
            stats = null;
            backends = Map.of();
        } else {
            stats = a.stats();
            Map<String, BackendInfo> byName = new ConcurrentHashMap<>();
            for (BackendInfo b : a.backends()) {
                byName.put(b.name(), b);
            }
            backends = byName;
            for (String name : byName.keySet()) {
                if (meteredBackends.add(name)) {
                    backendMeters(name);
                }
            }
        }
        Map<String, Long> now = new ConcurrentHashMap<>();
        List<SizeSource> all = new java.util.ArrayList<>(sources);
        MailStore st = mailStore;
        if (st != null) {
            all.add(source("store_index", st::sizes));
        }
        TextIndex ti = textIndex;
        if (ti != null) {
            all.add(source("fts", ti::sizes));
        }
        for (SizeSource s : all) {
            try {
                for (Map.Entry<String, Long> e : s.sizes().entrySet()) {
                    String key = s.name() + "\u0000" + e.getKey();
                    now.put(key, e.getValue());
                    Gauge.builder("posthorn.size", this, m -> m.sizes.containsKey(key) ? m.sizes.get(key) : Double.NaN)
                            .description("Sizes of indexes (store index cache, full-text index)")
                            .tag("source", s.name()).tag("measure", e.getKey()).register(registry);
                }
            } catch (RuntimeException e) {
                LOG.warn("event=metrics.size.failed source={} error=\"{}\"", s.getClass().getName(), e.toString());
            }
        }
        sizes = now;
    }

    private void backendMeters(String name) {
        answer(name, "ok", BackendInfo::ok);
        answer(name, "wrong_password", BackendInfo::wrongPassword);
        answer(name, "no_such_user", BackendInfo::noSuchUser);
        answer(name, "unavailable", BackendInfo::unavailable);
        serverMeters.add(Gauge.builder("posthorn.auth.backend.up", this, m -> {
            BackendInfo b = m.backends.get(name);
            return b == null ? Double.NaN : b.state() == BackendInfo.BackendState.ACTIVE ? 1 : 0;
        }).description("Whether an auth backend runs and answers (1) or not (0)").tag("backend", name).register(registry));
    }

    private void answer(String backend, String answer, ToDoubleFunction<BackendInfo> f) {
        serverMeters.add(FunctionCounter.builder("posthorn.auth.backend.answers", this, m -> {
            BackendInfo b = m.backends.get(backend);
            return b == null ? 0 : f.applyAsDouble(b);
        }).description("Answers of each auth backend by kind").tag("backend", backend).tag("answer", answer)
                .register(registry));
    }
}
