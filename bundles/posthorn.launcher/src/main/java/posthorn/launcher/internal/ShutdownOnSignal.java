package posthorn.launcher.internal;

import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.launch.Framework;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops the framework cleanly on SIGTERM (and SIGINT), so every component deactivates (sessions get
 * BYE, files are closed), then ends the JVM with status 0, as a supervisor such as daemontools or
 * systemd expects of a clean stop. Without it the JVM would exit with 143 and skip deactivation.
 */
@Component(immediate = true, service = {})
public final class ShutdownOnSignal {
    private static final Logger LOG = LoggerFactory.getLogger(ShutdownOnSignal.class);
    private static final long STOP_TIMEOUT_MS = 20_000;

    private Thread hook;
    private volatile boolean signalled;

    @Activate
    void activate(BundleContext context) {
        Framework framework = (Framework) context.getBundle(0);
        hook = new Thread(() -> stop(framework), "posthorn-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    @Deactivate
    void deactivate() {
        if (signalled) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down
        }
    }

    private void stop(Framework framework) {
        signalled = true;
        LOG.info("signal received; stopping");
        try {
            framework.stop();
            framework.waitForStop(STOP_TIMEOUT_MS);
            LOG.info("stopped cleanly");
            System.err.flush();
            Runtime.getRuntime().halt(0);
        } catch (BundleException | InterruptedException | RuntimeException e) {
            LOG.error("stopping failed: {}", e.toString());
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }
    }
}
