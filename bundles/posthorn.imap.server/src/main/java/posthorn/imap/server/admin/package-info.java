/**
 * The server's admin API: what an operator's console (the {@code imap:} commands of
 * posthorn.imap.shell) asks of a running server. The server implements the services here
 * ({@link posthorn.imap.server.admin.ImapAdmin}, {@link posthorn.imap.server.admin.LogLevels},
 * {@link posthorn.imap.server.admin.ConfigReload} (read the configuration and the access rules again
 * now: imap:reload, SIGHUP), {@link posthorn.imap.server.admin.AccessRulesView} (the rules in force,
 * and which applies to an address)) and
 * registers them; a console only calls them, so they are {@code @ProviderType}. The records are
 * snapshots, taken when asked and never updated afterwards; they carry no secret (no password, no
 * hash, no credential of any kind), so that whatever prints them prints none.
 *
 * <p>1.1.0 added {@link posthorn.imap.server.admin.ImapAdmin#health} ({@link posthorn.imap.server.admin.Health}),
 * {@link posthorn.imap.server.admin.ProxyAuth} (logins checked for nginx's auth_http), and two
 * whiteboard interfaces other bundles implement: {@link posthorn.imap.server.admin.ServerObserver}
 * (per-command and per-store-call timings, for metrics) and {@link posthorn.imap.server.admin.SizeSource}
 * (index and full-text sizes a metrics page shows).
 *
 * <p>This package imports nothing of Gogo or of any other console: a console is one consumer of
 * several (a remote console, a metrics page) and adapts the data to its own way of printing.
 */
@Version("1.1.0")
@Export
package posthorn.imap.server.admin;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
