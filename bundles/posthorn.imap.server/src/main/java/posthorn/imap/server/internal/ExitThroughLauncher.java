package posthorn.imap.server.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import posthorn.launcher.api.ProcessExit;

/**
 * Lets the server end the process through the launcher when it cannot run (a port it cannot bind at
 * start). The launcher's package is imported optionally (bnd.bnd), since the launcher is deployed only
 * in the runtime: without it this component is never satisfied, so never loaded, and the server runs
 * on, having logged why it cannot serve. This is the only class of the server that names the
 * launcher's API, so that {@link ImapServer} loads without it.
 */
@Component(service = {}, immediate = true)
public final class ExitThroughLauncher {
    @Reference
    ProcessExit exit;

    @Reference
    ImapServer server;

    @Activate
    void activate() {
        server.exitWith(exit::exit);
    }

    @Deactivate
    void deactivate() {
        server.exitWith(null);
    }
}
