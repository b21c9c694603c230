package posthorn.imap.shell.internal;

import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

import posthorn.imap.server.admin.AccessRulesView;
import posthorn.imap.server.admin.AuthTest;
import posthorn.imap.server.admin.BackendInfo;
import posthorn.imap.server.admin.ConfigReload;
import posthorn.imap.server.admin.Kicked;
import posthorn.imap.server.admin.LoggerLevel;
import posthorn.imap.server.admin.ServerStats;
import posthorn.imap.server.admin.SessionInfo;
import posthorn.imap.server.admin.UserMailboxes;

/**
 * How Gogo prints the admin API's records: one line each in a list ({@link Converter#LINE}), and a
 * block of {@code name: value} lines for a single one ({@link Converter#INSPECT}). Gogo asks its
 * converters before its own formatting, and lists it formats element by element, one a line. Only
 * formats; converts nothing.
 */
@Component(service = Converter.class, property = Converter.CONVERTER_CLASSES + "=posthorn.imap.server.admin.*")
public final class AdminFormats implements Converter {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
            .withZone(ZoneId.systemDefault());

    @Override
    public Object convert(Class<?> desiredType, Object in) {
        return null;
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        boolean block = level == INSPECT;
        return switch (target) {
            case SessionInfo s -> session(s);
            case Kicked k -> k.toString();
            case BackendInfo b -> b.toString();
            case LoggerLevel l -> l.toString();
            case ServerStats s -> block ? stats(s) : statsLine(s);
            case AuthTest a -> block ? authtest(a) : authtestLine(a);
            case UserMailboxes m -> block ? mailboxes(m) : m.user() + ": " + m.mailboxes().size() + " mailboxes";
            case ConfigReload.FileOutcome o -> o.outcome() + " " + o.file() + (o.detail().isEmpty() ? "" : ": " + o.detail());
            case AccessRulesView.Rules r -> rules(r);
            case AccessRulesView.Choice c -> choice(c);
            default -> null;
        };
    }

    static String rules(AccessRulesView.Rules r) {
        StringBuilder b = new StringBuilder("rules from ").append(r.source()).append(": ").append(r.rules().size()).append(" rules");
        r.rules().forEach(rule -> b.append('\n').append(rule));
        if (!r.ignored().isEmpty()) {
            b.append("\nsettings Posthorn does not read (ignored): ").append(String.join(", ", r.ignored()));
        }
        return b.toString();
    }

    static String choice(AccessRulesView.Choice c) {
        return c.address() + (c.host() == null ? "" : " (" + c.host() + ")") + ": " + (c.allowed() ? "allowed" : "denied")
                + " by " + (c.rule() == null ? "no rule (no rule matches: allowed, as tcpserver)"
                : "rule " + c.rule() + (c.line() > 0 ? " (line " + c.line() + ")" : ""));
    }

    static String session(SessionInfo s) {
        return String.format(Locale.ROOT, "s%-5d %-12s %-21s %-4s %s %-17s %-12s cmds=%d in=%s out=%s%s", s.id(),
                s.user() == null ? "-" : s.user(), s.remote(), s.tls() ? "TLS" : "-", TIME.format(s.since()),
                s.state(), s.mailbox() == null ? "-" : s.mailbox(), s.commands(), bytes(s.bytesIn()),
                bytes(s.bytesOut()), s.idle() ? " IDLE" : "");
    }

    static String stats(ServerStats s) {
        ServerStats.LoginCounts l = s.logins();
        return String.join("\n",
                "uptime        " + duration(s.uptime()) + " (since " + TIME.format(s.started()) + ")",
                "connections   " + s.connectionsNow() + " now, " + s.connectionsTotal() + " since start",
                "logins        ok=" + l.ok() + " failed=" + l.failed() + " unavailable=" + l.unavailable()
                        + " refused=" + l.refused(),
                String.format(Locale.ROOT, "commands/s    %.2f (1 min), %.2f (5 min)", s.commandsPerSecond1m(),
                        s.commandsPerSecond5m()),
                "bytes         in=" + bytes(s.bytesIn()) + " out=" + bytes(s.bytesOut()),
                "idle          " + s.idle() + " sessions in IDLE",
                "heap          " + bytes(s.heapUsed()) + " used of " + (s.heapMax() < 0 ? "unbounded" : bytes(s.heapMax())));
    }

    static String statsLine(ServerStats s) {
        return String.format(Locale.ROOT, "up %s connections=%d/%d logins ok=%d failed=%d commands/s=%.2f", duration(s.uptime()),
                s.connectionsNow(), s.connectionsTotal(), s.logins().ok(), s.logins().failed(), s.commandsPerSecond1m());
    }

    static String authtest(AuthTest a) {
        StringBuilder b = new StringBuilder();
        b.append("user          ").append(a.user()).append('\n');
        b.append("checked       ").append(a.passwordChecked() ? "password" : "lookup only").append('\n');
        b.append("result        ").append(a.result()).append(a.reason() == null ? "" : " (" + a.reason() + ")").append('\n');
        b.append("backend       ").append(a.backend() == null ? "-" : a.backend()).append('\n');
        AuthTest.Account r = a.account();
        if (r != null) {
            b.append("name          ").append(r.name()).append('\n');
            b.append("home          ").append(orDash(r.home())).append('\n');
            b.append("maildir       ").append(r.maildir() == null ? "- (maildir.cfg's template)" : r.maildir()).append('\n');
            b.append("quota         ").append(orDash(r.quota())).append('\n');
            b.append("uid/gid       ").append(r.uid()).append('/').append(r.gid()).append('\n');
        }
        b.append(String.format(Locale.ROOT, "time          %.3f ms", a.time().toNanos() / 1e6));
        return b.toString();
    }

    static String authtestLine(AuthTest a) {
        return a.user() + " " + a.result() + " backend=" + (a.backend() == null ? "-" : a.backend());
    }

    static String mailboxes(UserMailboxes m) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-30s %8s %8s %10s %12s %8s%n", "MAILBOX", "MESSAGES", "UNSEEN", "SIZE",
                "UIDVALIDITY", "UIDNEXT"));
        for (UserMailboxes.MailboxUsage u : m.mailboxes()) {
            if (u.messages() < 0) {
                b.append(String.format(Locale.ROOT, "%-30s %8s%n", u.name(), "-"));
            } else {
                b.append(String.format(Locale.ROOT, "%-30s %8d %8d %10s %12d %8d%n", u.name(), u.messages(), u.unseen(),
                        bytes(u.size()), u.uidValidity(), u.uidNext()));
            }
        }
        if (m.quota().isEmpty()) {
            b.append("quota: none");
        }
        for (UserMailboxes.QuotaUse q : m.quota()) {
            b.append("quota ").append(q.root().isEmpty() ? "\"\"" : q.root()).append(": ")
                    .append(bytes(q.storageUsed())).append(" of ").append(q.storageLimit() < 0 ? "no limit" : bytes(q.storageLimit()))
                    .append(", ").append(q.messagesUsed()).append(" messages of ")
                    .append(q.messagesLimit() < 0 ? "no limit" : q.messagesLimit()).append('\n');
        }
        return b.toString().stripTrailing();
    }

    private static String orDash(String s) {
        return s == null ? "-" : s;
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        if (n < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.1f GiB", n / (1024.0 * 1024 * 1024));
    }

    static String duration(Duration d) {
        long s = d.truncatedTo(ChronoUnit.SECONDS).getSeconds();
        return s >= 86400 ? String.format(Locale.ROOT, "%dd %02d:%02d:%02d", s / 86400, s / 3600 % 24, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
}
