package posthorn.imap.shell.internal;

import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import posthorn.imap.server.admin.AccessRulesView;
import posthorn.imap.server.admin.ConfigReload;

/**
 * {@code imap:reload} and {@code imap:rules}, over {@link ConfigReload} and {@link AccessRulesView}:
 * a component of its own (see {@link ImapCommands}), printed through {@link AdminFormats}.
 */
@Component(service = RulesCommands.class, property = {
    "osgi.command.scope=imap",
    "osgi.command.function=reload",
    "osgi.command.function=rules"})
public final class RulesCommands {
    @Reference
    ConfigReload reload;

    @Reference
    AccessRulesView rules;

    @Descriptor("read every configuration file and the access rules now (as SIGHUP); one line per file")
    public List<ConfigReload.FileOutcome> reload() {
        return reload.reload();
    }

    @Descriptor("the access rules in force, in the file's order")
    public AccessRulesView.Rules rules() {
        return rules.rules();
    }

    @Descriptor("the rule that applies to a client at this address (its host name looked up as for a connection)")
    public AccessRulesView.Choice rules(@Descriptor("IP address, IPv4 or IPv6") String address) {
        return rules.choose(address, null);
    }

    @Descriptor("the rule that applies to a client at this address with this host name (\"\" for none)")
    public AccessRulesView.Choice rules(@Descriptor("IP address, IPv4 or IPv6") String address,
                                        @Descriptor("the client's host name") String host) {
        return rules.choose(address, host);
    }
}
