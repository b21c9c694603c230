package posthorn.http.internal;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.support.keys.ConfigKeys;

/**
 * The HTTP endpoint as http.cfg sets it up. The listener itself is Felix HTTP's Jetty (the OSGi Http
 * Whiteboard), whose own configuration (PID {@code org.apache.felix.http}) this component writes:
 * the runtime starts Jetty disabled (framework property {@code org.apache.felix.http.enable=false}),
 * and only an http.cfg with {@code enabled=true} turns it on, on the configured address and port. The
 * servlets (/auth, /metrics, /health) are components of this bundle that are disabled until then too,
 * so that with the endpoint off no metrics observer is bound and the server pays nothing.
 *
 * <p>http.cfg is checked whole (HttpSettings): a bad value refuses the file with one line naming
 * the key; the settings in force stay (at start: the endpoint stays off). Nothing here touches the
 * IMAP server's configuration, so a bad http.cfg leaves the rest of the server as it was.
 */
@Component(service = HttpEndpoint.class, immediate = true, configurationPid = "http",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = HttpConfig.class)
public final class HttpEndpoint {
    private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoint.class);

    /** Felix HTTP Jetty's configuration PID and keys. */
    static final String JETTY_PID = "org.apache.felix.http";

    /** The servlet components of this bundle, enabled while the endpoint is. */
    static final List<String> SERVLETS = List.of(AuthHttpServlet.class.getName(), MetricsServlet.class.getName(),
            HealthServlet.class.getName());

    @Reference
    ConfigurationAdmin configAdmin;

    private ComponentContext context;
    private final HealthChecks health = new HealthChecks();
    private volatile HttpSettings settings;

    @Activate
    void activate(ComponentContext context, Map<String, Object> properties) {
        this.context = context;
        configure(properties);
    }

    @Modified
    void modified(Map<String, Object> properties) {
        configure(properties);
    }

    @Deactivate
    void deactivate() {
        health.close();
        HttpSettings s = settings;
        if (s != null && s.enabled()) {
            jetty(null);
        }
    }

    /** The settings in force: checked; the defaults (off) until a file was taken. */
    HttpSettings settings() {
        HttpSettings s = settings;
        return s == null ? HttpSettings.defaults() : s;
    }

    /** Whether a node passed its last health check. */
    boolean up(Node node) {
        return health.up(node);
    }

    private void configure(Map<String, Object> properties) {
        HttpSettings next;
        try {
            next = HttpSettings.read(properties);
        } catch (HttpSettings.BadValue e) {
            LOG.error("http: {} refused: {}; {}", source(properties), e.getMessage(),
                    settings == null ? "the HTTP endpoint stays off" : "the previous settings stay in force");
            return;
        }
        for (ConfigKeys.Problem p : ConfigKeys.check(properties, HttpConfig.class)) {
            LOG.warn("http: {}: {}: {}", source(properties), p.key(), p.reason());
        }
        HttpSettings old = settings;
        settings = next;
        health.configure(next.nodes(), next.healthMillis(), next.timeoutMillis());
        boolean was = old != null && old.enabled();
        if (next.enabled()) {
            if (!was || !old.bind().equals(next.bind()) || old.port() != next.port()) {
                jetty(next);
            }
            SERVLETS.forEach(context::enableComponent);
            LOG.info("http: endpoint on {}:{} (auth_http /auth, /metrics, /health); nodes: {}",
                    next.bind().getHostAddress(), next.port(), next.nodes().isEmpty() ? "none" : next.nodes());
        } else {
            SERVLETS.forEach(context::disableComponent);
            if (was || old == null) {
                jetty(null); // also at start: ConfigurationAdmin may keep Jetty's settings of a previous run
            }
            LOG.info("http: endpoint off (http.cfg enabled=false)");
        }
    }

    /** Writes Jetty's configuration: listening where {@code s} says, or not at all (null). */
    private void jetty(HttpSettings s) {
        try {
            Configuration c = configAdmin.getConfiguration(JETTY_PID, "?");
            Dictionary<String, Object> d = new Hashtable<>();
            d.put("org.apache.felix.http.enable", s != null);
            d.put("org.apache.felix.https.enable", false);
            if (s != null) {
                d.put("org.osgi.service.http.port", s.port());
                d.put("org.apache.felix.http.host", s.bind().getHostAddress());
            }
            d.put("org.apache.felix.http.jetty.sendServerHeader", false);
            d.put("org.apache.felix.http.name", "posthorn");
            c.update(d);
        } catch (IOException | RuntimeException e) {
            LOG.error("http: cannot configure the HTTP listener (Felix HTTP): {}", e.toString());
        }
    }

    /** The file a configuration came from, for log lines. */
    private static String source(Map<String, Object> properties) {
        Object file = properties.get("felix.fileinstall.filename");
        if (file == null) {
            return "http.cfg";
        }
        try {
            return Path.of(URI.create(file.toString())).toString();
        } catch (RuntimeException e) {
            return file.toString();
        }
    }
}
