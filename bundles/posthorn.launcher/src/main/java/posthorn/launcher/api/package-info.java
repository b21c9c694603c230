/**
 * What the process around the framework offers the bundles in it: {@link posthorn.launcher.api.ProcessExit},
 * to end the process with an exit status a supervisor (daemontools, systemd) acts on, and
 * {@link posthorn.launcher.api.Hangup}, to be told of SIGHUP (a reload).
 *
 * <p>The launcher bundle is deployed only in the runtime (runtime/posthorn.bndrun), never in tests or
 * beside another launcher, so a bundle that uses this package imports it optionally and must run
 * without the service: embedded elsewhere, the process is not its to end.
 */
@Version("1.1.0")
@Export
package posthorn.launcher.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
