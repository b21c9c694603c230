package posthorn.launcher.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.resource.Namespace;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deploy folder: bundle jars dropped into it are installed and started, and uninstalled when
 * removed (Felix FileInstall, as Apache Karaf's {@code deploy/}). The folder is the framework property
 * {@code posthorn.deploy}, which {@code ./posthorn run} sets from POSTHORN_DEPLOY (default
 * runtime/target/deploy, where the build puts the auth backends that are not in the runtime jar).
 *
 * <p>FileInstall's own watcher already reads the config directory (the system properties); this adds
 * a second watcher, a factory configuration of FileInstall, made here rather than as a file in the
 * config directory so that an operator's own config directory needs nothing new for backends to load.
 *
 * <p>FileInstall's own report of a bundle that cannot start is a stack trace on standard output, and
 * it is kept quiet here (its log level 1, errors only); instead, a bundle from the folder that is not
 * running a few seconds after it was installed gets one ERROR line naming what it lacks (the
 * requirements nothing in the framework provides). The server keeps serving without it, and FileInstall
 * starts it once a jar that provides what it lacks is added.
 */
@Component(immediate = true, service = {})
public final class DeployFolder {
    private static final Logger LOG = LoggerFactory.getLogger(DeployFolder.class);
    static final String PROPERTY = "posthorn.deploy";
    private static final String FILEINSTALL = "org.apache.felix.fileinstall";

    /** How long after its installation a bundle from the folder is expected to run. */
    private static final long CHECK_AFTER_MS = 3_000;

    @Reference
    ConfigurationAdmin configAdmin;

    private BundleContext context;
    private BundleListener listener;
    private ScheduledExecutorService checks;
    private String location;

    @Activate
    void activate(BundleContext context) throws IOException {
        this.context = context;
        String dir = context.getProperty(PROPERTY);
        if (dir == null || dir.isBlank()) {
            LOG.info("no deploy folder ({} is not set)", PROPERTY);
            return;
        }
        // FileInstall names a bundle's location "file:" + the jar's absolute path.
        location = "file:" + Path.of(dir).toAbsolutePath() + "/";
        checks = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("deploy-check").daemon().unstarted(r));
        listener = this::bundleChanged;
        context.addBundleListener(listener);
        Configuration c = configAdmin.getFactoryConfiguration(FILEINSTALL, "posthorn-deploy", "?");
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("felix.fileinstall.dir", dir);
        p.put("felix.fileinstall.filter", ".*\\.jar");
        p.put("felix.fileinstall.poll", "1000");
        p.put("felix.fileinstall.noInitialDelay", "true");
        p.put("felix.fileinstall.bundles.new.start", "true");
        p.put("felix.fileinstall.enableConfigSave", "false");
        p.put("felix.fileinstall.log.level", "1"); // its start failures: our own line instead
        c.update(p);
        LOG.info("deploy folder {}: bundle jars put there are installed and started, removed ones uninstalled", dir);
    }

    @Deactivate
    void deactivate() {
        if (listener != null) {
            context.removeBundleListener(listener);
            checks.shutdownNow();
        }
    }

    /** How many times a bundle that lacks nothing is looked at before it is reported as not starting. */
    private static final int CHECKS = 20;

    private void bundleChanged(BundleEvent e) {
        Bundle b = e.getBundle();
        if (!b.getLocation().startsWith(location)) {
            return;
        }
        String file = b.getLocation().substring(location.length());
        switch (e.getType()) {
            case BundleEvent.INSTALLED, BundleEvent.UPDATED -> {
                LOG.info("deploy: {} {} {} from {}", e.getType() == BundleEvent.INSTALLED ? "installed" : "updated",
                        b.getSymbolicName(), b.getVersion(), file);
                checks.schedule(() -> check(b, file, 1), CHECK_AFTER_MS, TimeUnit.MILLISECONDS);
            }
            case BundleEvent.STARTED -> LOG.info("deploy: started {} {}", b.getSymbolicName(), b.getVersion());
            case BundleEvent.UNINSTALLED -> LOG.info("deploy: uninstalled {} {} ({} removed)", b.getSymbolicName(),
                    b.getVersion(), file);
            default -> {
                // resolved, stopped, ...: the lines above tell the story
            }
        }
    }

    /**
     * One line for a bundle from the folder that is not running, naming what it lacks. A bundle that
     * lacks nothing but is not started yet (FileInstall starts it on its next round, which a loaded
     * machine delays) is looked at again, up to {@link #CHECKS} times, before anything is said.
     */
    private void check(Bundle b, String file, int attempt) {
        int state = b.getState();
        if (state == Bundle.UNINSTALLED || state == Bundle.ACTIVE || state == Bundle.STARTING
                || b.getHeaders().get(Constants.FRAGMENT_HOST) != null) {
            return;
        }
        List<String> missing = state == Bundle.RESOLVED ? List.of() : missing(b);
        // A jar whose own requirements are all provided is on its way (FileInstall starts it on its next
        // round, which a loaded machine delays: four backends were once reported here as not starting
        // and started a second later); it is resolved early, as FileInstall would. Only one still not
        // running after CHECKS looks is told of: something it needs is itself unresolved, or its
        // wiring conflicts.
        boolean onItsWay = state == Bundle.RESOLVED || missing.isEmpty();
        if (onItsWay && state != Bundle.RESOLVED) {
            resolve(b);
        }
        if (onItsWay && attempt < CHECKS) {
            checks.schedule(() -> check(b, file, attempt + 1), CHECK_AFTER_MS, TimeUnit.MILLISECONDS);
            return;
        }
        if (state == Bundle.RESOLVED) {
            LOG.error("deploy: {} {} ({}) resolved but did not start (its activator failed); the server keeps "
                    + "serving without it", b.getSymbolicName(), b.getVersion(), file);
            return;
        }
        LOG.error("deploy: {} {} ({}) cannot start: nothing provides {}; the server keeps serving without it",
                b.getSymbolicName(), b.getVersion(), file, missing.isEmpty()
                        ? "(its requirements are there; a bundle it needs may itself be unresolved)"
                        : String.join(", ", missing));
    }

    /** Asks the framework to resolve the bundle now, if it can (whether it did is seen at the next look). */
    private void resolve(Bundle b) {
        FrameworkWiring wiring = context.getBundle(Constants.SYSTEM_BUNDLE_ID).adapt(FrameworkWiring.class);
        if (wiring != null) {
            wiring.resolveBundles(List.of(b));
        }
    }

    /** The bundle's mandatory requirements that nothing installed provides. */
    private List<String> missing(Bundle b) {
        List<String> out = new ArrayList<>();
        BundleRevision revision = b.adapt(BundleRevision.class);
        FrameworkWiring wiring = context.getBundle(Constants.SYSTEM_BUNDLE_ID).adapt(FrameworkWiring.class);
        if (revision == null || wiring == null) {
            return out;
        }
        for (BundleRequirement r : revision.getDeclaredRequirements(null)) {
            String resolution = r.getDirectives().get(Namespace.REQUIREMENT_RESOLUTION_DIRECTIVE);
            String effective = r.getDirectives().get(Namespace.REQUIREMENT_EFFECTIVE_DIRECTIVE);
            if (Namespace.RESOLUTION_OPTIONAL.equals(resolution)
                    || (effective != null && !Namespace.EFFECTIVE_RESOLVE.equals(effective))) {
                continue;
            }
            if (wiring.findProviders(r).isEmpty()) {
                String filter = r.getDirectives().getOrDefault(Namespace.REQUIREMENT_FILTER_DIRECTIVE, "");
                out.add((PackageNamespace.PACKAGE_NAMESPACE.equals(r.getNamespace()) ? "package " : r.getNamespace() + " ")
                        + filter);
            }
        }
        return out;
    }
}
