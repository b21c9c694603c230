package posthorn.console.internal;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code shutdown} (scope {@code system}, as Apache Karaf names it): stops the server cleanly, as
 * {@code stop 0} and SIGTERM do: every session gets BYE, every file is closed, and the process exits
 * with status 0.
 */
@Component(service = Object.class, property = {"osgi.command.scope=system", "osgi.command.function=shutdown"})
public final class Shutdown {
    private static final Logger LOG = LoggerFactory.getLogger(Shutdown.class);

    private BundleContext context;

    @Activate
    void activate(BundleContext context) {
        this.context = context;
    }

    @Descriptor("stop the server cleanly: sessions get BYE, files are closed, the process exits with status 0")
    public String shutdown() throws BundleException {
        LOG.info("shutdown asked on the console");
        // Stopping the system bundle returns at once; the framework stops on a thread of its own.
        context.getBundle(0).stop();
        return "stopping";
    }
}
