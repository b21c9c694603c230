/**
 * What the running server offers its operators' tools (the {@code imap:} console commands, the
 * launcher's SIGHUP): services the server registers, answering in data, never in formatted text.
 * {@link posthorn.imap.server.admin.ConfigReload} reads the configuration and the access rules again
 * now; {@link posthorn.imap.server.admin.AccessRulesView} shows the access rules in force and which
 * one applies to an address.
 */
@Version("1.0.0")
@Export
package posthorn.imap.server.admin;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
