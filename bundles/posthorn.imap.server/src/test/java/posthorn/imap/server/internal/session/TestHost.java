package posthorn.imap.server.internal.session;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import javax.net.ssl.SSLContext;

import posthorn.auth.api.AuthBackend;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.imap.server.internal.Configurations;
import posthorn.imap.server.internal.auth.AuthChain;
import posthorn.imap.server.internal.auth.AuthConfig;
import posthorn.imap.server.internal.auth.LoginFlow;
import posthorn.imap.server.internal.net.ImapdConfig;
import posthorn.imap.server.internal.net.LogLimiter;
import posthorn.imap.server.internal.net.LoginDelay;
import posthorn.imap.server.internal.sasl.Mechanisms;
import posthorn.store.api.MailStore;
import posthorn.store.api.UserMail;

/**
 * The server as a session sees it, for tests: one user (ann, password pw) whose mail is the given
 * stand-in, imapd.cfg as the test sets it (the defaults, and no login delay), and TLS if the test
 * gives a context.
 */
final class TestHost implements Session.Host {
    private final LoginFlow.Services logins;
    private final LogLimiter repeats = new LogLimiter();
    private volatile ImapdConfig config;
    private volatile SSLContext tls;

    /** A user's mail that can only be closed, for tests that log in and touch no mailbox. */
    static UserMail noMail() {
        return (UserMail) Proxy.newProxyInstance(UserMail.class.getClassLoader(), new Class<?>[] {UserMail.class},
                (proxy, m, args) -> switch (m.getName()) {
                    case "close" -> null;
                    case "toString" -> "no mail";
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    TestHost(UserMail mail) {
        AuthChain chain = new AuthChain();
        chain.configure(Configurations.of(AuthConfig.class, Map.of("backends", new String[] {"test"})));
        chain.bindPasswordDatabase((user, password) -> user.equals("ann") && password.reveal().equals("pw")
                ? new Verdict.Success(UserRecord.of("ann", Path.of("/home/ann"))) : Verdict.NO_SUCH_USER,
                Map.of(AuthBackend.NAME, "test"));
        MailStore store = user -> mail;
        logins = new LoginFlow.Services(chain, new Mechanisms(), new LoginDelay(), () -> store, () -> config);
        configure(Map.of());
    }

    /** imapd.cfg from now on: these values, the defaults otherwise, and no login delay. */
    TestHost configure(Map<String, Object> values) {
        Map<String, Object> all = new HashMap<>(Map.of("auth.delay.base", 0L));
        all.putAll(values);
        config = Configurations.of(ImapdConfig.class, all);
        return this;
    }

    TestHost tls(SSLContext context) {
        tls = context;
        return this;
    }

    @Override
    public ImapdConfig config() {
        return config;
    }

    @Override
    public SSLContext tls() {
        return tls;
    }

    @Override
    public LoginFlow.Services logins() {
        return logins;
    }

    @Override
    public String version() {
        return "test";
    }

    @Override
    public LogLimiter repeats() {
        return repeats;
    }
}
