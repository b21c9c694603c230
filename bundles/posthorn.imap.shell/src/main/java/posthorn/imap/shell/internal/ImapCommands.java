package posthorn.imap.shell.internal;

import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import posthorn.imap.server.admin.AuthTest;
import posthorn.imap.server.admin.BackendInfo;
import posthorn.imap.server.admin.ImapAdmin;
import posthorn.imap.server.admin.Kicked;
import posthorn.imap.server.admin.LogLevels;
import posthorn.imap.server.admin.LoggerLevel;
import posthorn.imap.server.admin.ServerStats;
import posthorn.imap.server.admin.SessionInfo;
import posthorn.imap.server.admin.UserMailboxes;

/**
 * The {@code imap:} commands of the Gogo console, over the server's admin API. Each returns data
 * (the API's records, or lists of them) and Gogo prints it, through {@link AdminFormats} for these
 * types; a script calling the command gets the records themselves. Errors are exceptions whose
 * message says what was wrong, which Gogo prints. No secret is ever part of a result.
 *
 * <p>Present while the server runs: the component needs the admin services, which the server bundle
 * registers while its server component is active.
 *
 * <p>More commands of the same scope (imap:reload, imap:rules) are components of their own in this
 * bundle, each with its own {@code osgi.command.function} list, so that they come and go with the
 * services they need; this class holds the ones over {@link ImapAdmin} and {@link LogLevels}.
 */
@Component(service = ImapCommands.class, property = {
        "osgi.command.scope=imap",
        "osgi.command.function=who",
        "osgi.command.function=kick",
        "osgi.command.function=backends",
        "osgi.command.function=stats",
        "osgi.command.function=authtest",
        "osgi.command.function=mailboxes",
        "osgi.command.function=log"})
public final class ImapCommands {

    @Reference
    ImapAdmin admin;

    @Reference
    LogLevels logs;

    @Descriptor("list the open IMAP sessions: number, user, address, TLS, since, state, mailbox, commands, bytes in and out, IDLE")
    public List<SessionInfo> who() {
        return admin.sessions();
    }

    @Descriptor("list the open IMAP sessions of one user")
    public List<SessionInfo> who(@Descriptor("the user's login name") String user) {
        return admin.sessions().stream().filter(s -> user.equals(s.user())).toList();
    }

    @Descriptor("end a user's sessions, or one session, with * BYE; a command in progress (an APPEND) finishes first")
    public List<Kicked> kick(@Descriptor("a login name, or a session number as imap:who shows it (12 or s12)") String who) {
        return admin.kick(who, null);
    }

    @Descriptor("end a user's sessions, or one session, with * BYE and a reason")
    public List<Kicked> kick(@Descriptor("a login name, or a session number as imap:who shows it (12 or s12)") String who,
            @Descriptor("the text the client sees after * BYE (quote it if it has spaces)") String reason) {
        return admin.kick(who, reason);
    }

    @Descriptor("the auth chain in order: each backend's state, its answers since start, p50 and p99 latency")
    public List<BackendInfo> backends() {
        return admin.backends();
    }

    @Descriptor("server counters: connections, logins by result, commands per second, bytes, IDLE sessions, uptime, heap")
    public ServerStats stats() {
        return admin.stats();
    }

    @Descriptor("look a user up through the auth chain's user databases, as a login would: which backend knows the user, and the record")
    public AuthTest authtest(@Descriptor("the login name") String user) {
        return admin.authtest(user, null);
    }

    @Descriptor("check a password through the auth chain, as a login would (no cache, no delay): which backend answered, the record, the time")
    public AuthTest authtest(@Descriptor("the login name") String user,
            @Descriptor("the password; it is not printed or logged (but the console's history may keep it)") String password) {
        return admin.authtest(user, password);
    }

    @Descriptor("a user's mailboxes: messages, unseen, size, UIDVALIDITY, UIDNEXT, and the quota in use")
    public UserMailboxes mailboxes(@Descriptor("the login name") String user) {
        return admin.mailboxes(user);
    }

    @Descriptor("show the loggers that have a level of their own, the root first")
    public List<LoggerLevel> log() {
        return logs.levels();
    }

    @Descriptor("set the root logger's level: TRACE, DEBUG, INFO, WARN, ERROR or OFF (until the server restarts)")
    public LoggerLevel log(@Descriptor("the level") String level) {
        return logs.set(LogLevels.ROOT, level);
    }

    @Descriptor("set a logger's level (until the server restarts)")
    public LoggerLevel log(@Descriptor("a class or package name, e.g. posthorn.imap.server.internal.auth, or ROOT") String logger,
            @Descriptor("TRACE, DEBUG, INFO, WARN, ERROR, OFF, or INHERIT to follow its parent again") String level) {
        return logs.set(logger, level);
    }
}
