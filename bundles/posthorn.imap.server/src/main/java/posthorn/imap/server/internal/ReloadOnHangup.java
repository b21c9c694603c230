package posthorn.imap.server.internal;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import posthorn.imap.server.admin.ConfigReload;
import posthorn.launcher.api.Hangup;
import posthorn.launcher.api.ProcessExit;

/**
 * SIGHUP reloads: the launcher calls this on SIGHUP, and it runs the server's reload (every config
 * file and the rules, read now; {@link posthorn.imap.server.internal.admin.ReloadService} logs what came of each). As with
 * {@link ExitThroughLauncher}, the launcher's package is imported optionally: without the launcher
 * (tests, another framework) this component is never satisfied, so never loaded. The ProcessExit
 * reference is there only for that: it says the launcher is here.
 */
@Component(service = Hangup.class)
public final class ReloadOnHangup implements Hangup {
    @Reference
    ProcessExit launcher;

    @Reference
    ConfigReload reload;

    @Override
    public void hangup() {
        reload.reload();
    }
}
