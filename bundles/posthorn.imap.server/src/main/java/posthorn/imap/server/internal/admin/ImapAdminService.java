package posthorn.imap.server.internal.admin;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.imap.server.admin.AuthTest;
import posthorn.imap.server.admin.BackendInfo;
import posthorn.imap.server.admin.Health;
import posthorn.imap.server.admin.BackendInfo.BackendState;
import posthorn.imap.server.admin.ImapAdmin;
import posthorn.imap.server.admin.Kicked;
import posthorn.imap.server.admin.ServerStats;
import posthorn.imap.server.admin.SessionInfo;
import posthorn.imap.server.admin.UserMailboxes;
import posthorn.imap.server.internal.ImapServer;
import posthorn.imap.server.internal.auth.AuthChain;
import posthorn.imap.server.internal.session.Session;
import posthorn.imap.server.internal.stats.BackendStats;
import posthorn.imap.server.internal.stats.ServerCounters;
import posthorn.store.api.MailboxInfo;
import posthorn.store.api.MailboxStatus;
import posthorn.store.api.Quota;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * The admin API over the running server: reads its sessions and counters, asks its auth chain and
 * store. Active while the server is (it needs the server component), so a console finds the service
 * exactly when there is a server to administer. Every action an operator takes is logged with what it
 * did, never with a password.
 */
@Component(service = ImapAdmin.class)
public final class ImapAdminService implements ImapAdmin {
    private static final Logger LOG = LoggerFactory.getLogger(ImapAdminService.class);

    /** The BYE text of a kick that names no reason. */
    static final String DEFAULT_REASON = "Disconnected by the administrator";

    @Reference
    ImapServer server;

    @Reference
    AuthChain chain;

    @Override
    public List<SessionInfo> sessions() {
        return server.sessions().stream().map(Session::info).sorted(Comparator.comparingLong(SessionInfo::id)).toList();
    }

    @Override
    public List<Kicked> kick(String who, String reason) {
        if (who == null || who.isBlank()) {
            throw new IllegalArgumentException("kick whom? a user name or a session number");
        }
        String text = reason == null || reason.isBlank() ? DEFAULT_REASON : printable(reason);
        List<Session> targets = new ArrayList<>();
        long id = sessionNumber(who.strip());
        if (id > 0 && server.session(id) != null) {
            targets.add(server.session(id));
        } else {
            for (Session s : server.sessions()) {
                if (who.strip().equals(s.userName())) {
                    targets.add(s);
                }
            }
        }
        targets.sort(Comparator.comparingLong(Session::id));
        List<Kicked> kicked = new ArrayList<>();
        for (Session s : targets) {
            SessionInfo before = s.info();
            boolean now = s.kick(text);
            LOG.info("admin: kick s{} user={} from {} reason=\"{}\" ({})", s.id(), AuthChain.printable(before.user()),
                    before.remote(), text, now ? "closed" : "closing after its command");
            kicked.add(new Kicked(s.id(), before.user(), before.remote(), now));
        }
        if (kicked.isEmpty()) {
            LOG.info("admin: kick {}: no such session or user logged in", AuthChain.printable(who));
        }
        return kicked;
    }

    /** A session number ({@code 12} or {@code s12}), or -1 if the text is none. */
    static long sessionNumber(String who) {
        String digits = who.startsWith("s") || who.startsWith("S") ? who.substring(1) : who;
        if (digits.isEmpty() || digits.length() > 18 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        return Long.parseLong(digits);
    }

    /**
     * A kick's reason fit for one protocol line: control characters (CR, LF above all, which would
     * end the BYE and start a line of the operator's making) become spaces; at most 200 characters.
     */
    static String printable(String reason) {
        StringBuilder b = new StringBuilder();
        reason.strip().codePoints().limit(200).forEach(c -> b.appendCodePoint(c < 0x20 || c == 0x7f ? ' ' : c));
        return b.toString();
    }

    @Override
    public List<BackendInfo> backends() {
        List<BackendInfo> list = new ArrayList<>();
        int position = 0;
        for (String name : chain.order()) {
            position++;
            BackendStats s = chain.stats(name);
            String failing = chain.failing(name);
            BackendState state = !chain.isBound(name) ? BackendState.NOT_RUNNING
                    : failing != null ? BackendState.FAILING : BackendState.ACTIVE;
            list.add(new BackendInfo(position, name, state, state == BackendState.FAILING ? failing : null,
                    s.count(BackendStats.Answer.OK), s.count(BackendStats.Answer.WRONG_PASSWORD),
                    s.count(BackendStats.Answer.NO_SUCH_USER), s.count(BackendStats.Answer.UNAVAILABLE),
                    s.percentile(50), s.percentile(99)));
        }
        return list;
    }

    @Override
    public ServerStats stats() {
        ServerCounters c = server.counters();
        List<SessionInfo> open = sessions();
        long in = c.endedBytesIn();
        long out = c.endedBytesOut();
        int idle = 0;
        for (SessionInfo s : open) {
            in += s.bytesIn();
            out += s.bytesOut();
            if (s.idle()) {
                idle++;
            }
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        Instant started = c.started();
        return new ServerStats(started, Duration.between(started, Instant.now()), open.size(), c.connections(),
                new ServerStats.LoginCounts(c.logins(ServerCounters.Login.OK), c.logins(ServerCounters.Login.FAILED),
                        c.logins(ServerCounters.Login.UNAVAILABLE), c.logins(ServerCounters.Login.REFUSED)),
                c.commands().perSecond(60), c.commands().perSecond(300), in, out, idle, heap.getUsed(), heap.getMax());
    }

    @Override
    public AuthTest authtest(String user, String password) {
        if (user == null || user.isBlank()) {
            throw new IllegalArgumentException("authtest needs a user name");
        }
        boolean withPassword = password != null && !password.isEmpty();
        long start = System.nanoTime();
        AuthChain.Answer answer;
        if (withPassword) {
            Secret secret = Secret.of(password);
            try {
                answer = chain.test(user, secret);
            } finally {
                secret.clear();
            }
        } else {
            answer = chain.testLookup(user);
        }
        Duration time = Duration.ofNanos(System.nanoTime() - start);
        AuthTest result = switch (answer.verdict()) {
            case Verdict.Success s -> new AuthTest(user, withPassword, "ok", answer.backend(), null, account(s.user()), time);
            case Verdict.WrongPassword w -> new AuthTest(user, withPassword, "wrong-password", answer.backend(), w.reason(),
                    null, time);
            case Verdict.NoSuchUser n -> new AuthTest(user, withPassword, "no-such-user", null, null, null, time);
            case Verdict.Unavailable u -> new AuthTest(user, withPassword, "unavailable", answer.backend(), u.reason(),
                    null, time);
        };
        LOG.info("admin: authtest user={} {} result={} backend={} ({} us)", AuthChain.printable(user),
                withPassword ? "with a password" : "lookup only", result.result(),
                result.backend() == null ? "-" : result.backend(), time.toNanos() / 1000);
        return result;
    }

    private static AuthTest.Account account(UserRecord r) {
        return new AuthTest.Account(r.name(), r.home() == null ? null : r.home().toString(),
                r.maildir() == null ? null : r.maildir().toString(), r.uid(), r.gid(), r.quota());
    }

    @Override
    public UserMailboxes mailboxes(String user) {
        if (user == null || user.isBlank()) {
            throw new IllegalArgumentException("mailboxes needs a user name");
        }
        AuthChain.Answer answer = chain.testLookup(user);
        UserRecord record = switch (answer.verdict()) {
            case Verdict.Success s -> s.user();
            case Verdict.Unavailable u -> throw new IllegalStateException("user " + AuthChain.printable(user)
                    + " cannot be looked up now: " + u.reason());
            default -> throw new IllegalArgumentException("no such user: " + AuthChain.printable(user));
        };
        try (UserMail mail = server.store().open(new StoreUser(record.name(), record.home(), record.maildir(),
                record.quota()))) {
            List<UserMailboxes.MailboxUsage> boxes = new ArrayList<>();
            for (MailboxInfo box : mail.list()) {
                if (box.attributes().contains("\\Noselect") || box.attributes().contains("\\NonExistent")) {
                    boxes.add(new UserMailboxes.MailboxUsage(box.name(), -1, -1, -1, -1, -1));
                    continue;
                }
                try {
                    MailboxStatus st = mail.status(box.name());
                    boxes.add(new UserMailboxes.MailboxUsage(box.name(), st.messages(), st.unseen(), st.size(),
                            st.uidValidity(), st.uidNext()));
                } catch (StoreException e) {
                    // deleted between the listing and now, or unreadable: shown without counts
                    LOG.info("admin: mailboxes user={}: {}: [{}] {}", AuthChain.printable(record.name()), box.name(),
                            e.reason(), e.getMessage());
                    boxes.add(new UserMailboxes.MailboxUsage(box.name(), -1, -1, -1, -1, -1));
                }
            }
            List<UserMailboxes.QuotaUse> quota = new ArrayList<>();
            for (Quota q : mail.quota()) {
                quota.add(new UserMailboxes.QuotaUse(q.root(), q.storageUsedBytes(), q.storageLimitBytes(),
                        q.messagesUsed(), q.messagesLimit()));
            }
            return new UserMailboxes(record.name(), boxes, quota);
        } catch (StoreException e) {
            throw new IllegalStateException("the mail of " + AuthChain.printable(record.name())
                    + " cannot be opened: [" + e.reason() + "] " + e.getMessage());
        }
    }

    @Override
    public Health health() {
        String why = server.notAccepting();
        return new Health(why == null, why);
    }
}
