package posthorn.imap.server.internal.admin;

import java.net.InetAddress;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.api.SaslExchange;
import posthorn.auth.api.Secret;
import posthorn.imap.server.admin.ProxyAuth;
import posthorn.imap.server.internal.ImapServer;
import posthorn.imap.server.internal.auth.AuthChain;
import posthorn.imap.server.internal.auth.LoginFlow;
import posthorn.imap.server.internal.net.ImapdConfig;
import posthorn.imap.server.internal.net.LoginDelay;
import posthorn.imap.server.internal.sasl.Mechanisms;
import posthorn.imap.server.internal.stats.ServerCounters;

/**
 * Logins checked for nginx's auth_http (admin.ProxyAuth), through the pieces LOGIN uses: the server's
 * auth chain (Mechanisms.verify, as LoginFlow checks LOGIN), its brute-force delay (net/LoginDelay,
 * shared with the IMAP sessions, keyed on the client's own address), its counters and the same log
 * lines, with {@code http} where a session prints its number. Active while the server is.
 */
@Component(service = ProxyAuth.class)
public final class ProxyAuthService implements ProxyAuth {
    private static final Logger LOG = LoggerFactory.getLogger(LoginFlow.class); // the login lines' own logger

    @Reference
    ImapServer server;

    /** For DS, which sets {@link #server}. */
    public ProxyAuthService() {
    }

    /** Over a server made without DS (tests). */
    public ProxyAuthService(ImapServer server) {
        this.server = server;
    }

    @Override
    public Result check(String user, String password, String protocol, InetAddress client) {
        LoginFlow.Services services = server.logins();
        ImapdConfig c = services.config().get();
        String address = client.getHostAddress();
        String how = "auth_http " + AuthChain.printable(protocol);
        String name = AuthChain.printable(user);
        LoginDelay.Attempt delayed = services.delay().begin(address, user, c.auth_delay_base(), c.auth_delay_max(),
                c.auth_delay_window());
        long wait = delayed.waitMillis();
        if (wait > 0) {
            LoginDelay.Penalty p = delayed.before();
            LOG.info("http {} for user {}: {} recent failures from {}, {} for the user; checking in {} ms", how, name,
                    p.addressFailures(), address, p.userFailures(), wait);
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                delayed.abandoned();
                return new Result(Outcome.UNAVAILABLE, user, 0);
            }
        }
        SaslExchange.Step step;
        Secret secret = Secret.of(password);
        try {
            step = Mechanisms.verify(services.chain(), user, secret);
        } catch (RuntimeException e) {
            delayed.abandoned();
            throw e;
        } finally {
            secret.clear();
        }
        switch (step) {
            case SaslExchange.Step.Done d -> {
                delayed.succeeded();
                services.counters().login(ServerCounters.Login.OK);
                LOG.info("http login user={} via {} from {}", AuthChain.printable(d.record().name()), how, address);
                return new Result(Outcome.OK, d.record().name(), 0);
            }
            case SaslExchange.Step.Unavailable u -> {
                delayed.unavailable();
                services.counters().login(ServerCounters.Login.UNAVAILABLE);
                LOG.warn("http {} for user {} from {}: result=unavailable ({})", how, name, address, u.reason());
                return new Result(Outcome.UNAVAILABLE, user, 0);
            }
            case SaslExchange.Step.Failed f -> {
                LOG.info("http {} failed for user {} from {}: {}", how, name, address, f.reason());
                services.counters().login(ServerCounters.Login.FAILED);
                LoginDelay.Penalty p = delayed.failed();
                if (p.delayMillis() > 0) {
                    LOG.info("http failed login: {} recent from {}, {} for user {}; answering in {} ms",
                            p.addressFailures(), address, p.userFailures(), name, p.delayMillis());
                }
                return new Result(Outcome.FAILED, user, delayed.left(p.delayMillis()));
            }
            case SaslExchange.Step.Challenge ch -> throw new IllegalStateException("a password check asked a challenge");
        }
    }
}
