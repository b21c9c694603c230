package posthorn.launcher.internal;

import java.io.IOException;
import java.util.Hashtable;

import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
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
 */
@Component(immediate = true, service = {})
public final class DeployFolder {
    private static final Logger LOG = LoggerFactory.getLogger(DeployFolder.class);
    static final String PROPERTY = "posthorn.deploy";
    private static final String FILEINSTALL = "org.apache.felix.fileinstall";

    @Reference
    ConfigurationAdmin configAdmin;

    @Activate
    void activate(BundleContext context) throws IOException {
        String dir = context.getProperty(PROPERTY);
        if (dir == null || dir.isBlank()) {
            LOG.info("no deploy folder ({} is not set)", PROPERTY);
            return;
        }
        Configuration c = configAdmin.getFactoryConfiguration(FILEINSTALL, "posthorn-deploy", "?");
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("felix.fileinstall.dir", dir);
        p.put("felix.fileinstall.filter", ".*\\.jar");
        p.put("felix.fileinstall.poll", "1000");
        p.put("felix.fileinstall.noInitialDelay", "true");
        p.put("felix.fileinstall.bundles.new.start", "true");
        p.put("felix.fileinstall.enableConfigSave", "false");
        p.put("felix.fileinstall.log.level", "2");
        c.update(p);
        LOG.info("deploy folder {}: bundle jars put there are installed and started, removed ones uninstalled", dir);
    }
}
