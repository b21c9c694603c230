package posthorn.imap.server.internal.auth;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.api.AuthBackend;
import posthorn.auth.api.Authenticator;
import posthorn.auth.api.CredentialSource;
import posthorn.auth.api.PasswordDatabase;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserDatabase;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.auth.support.keys.ConfigKeys;
import posthorn.imap.server.internal.stats.BackendStats;

/**
 * The auth chain: every backend service that comes and goes, asked in the order auth.cfg gives.
 * Backends are bound dynamically, so a backend bundle can be started, stopped or replaced while
 * sessions run; a session that has logged in keeps what it got.
 *
 * <p>Failure behaviour. A login's time in the chain is bounded (chain.timeout): each backend call
 * runs on a virtual thread of its own, and past the bound it is abandoned there (interrupted, its
 * answer ignored) and the login is answered UNAVAILABLE. A backend that could not answer (Unavailable,
 * an exception, a timeout) is skipped for backend.retry, so that the rest of the chain answers at
 * once; then one login tries it again (the breaker logs once when it opens and once when the backend
 * answers again). A backend that is skipped counts as one that could not be asked.
 *
 * <p>The cache of verified logins is dropped whenever any auth configuration changes: auth.cfg, and a
 * backend's own configuration, which DS reports as a change of the backend's service properties (its
 * configuration properties are service properties, so a FileInstall edit of auth.ldap.cfg reaches
 * the updated methods below after the backend's @Modified has run) or, for a backend without
 * @Modified, as an unbind and a bind. An answer checked under the old configuration is not kept.
 *
 * <p>Every attempt is logged with backend, user, result and latency, never the password.
 * Thread-safe: the bound services sit in concurrent maps, the order and limits in volatile fields.
 */
@Component(service = {Authenticator.class, AuthChain.class}, configurationPid = "auth",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = AuthConfig.class)
public final class AuthChain implements Authenticator {
    private static final Logger LOG = LoggerFactory.getLogger(AuthChain.class);

    private final Map<String, PasswordDatabase> passdbs = new ConcurrentHashMap<>();
    private final Map<String, UserDatabase> userdbs = new ConcurrentHashMap<>();
    private final Map<String, CredentialSource> credentials = new ConcurrentHashMap<>();
    private volatile List<String> order = List.of("userdb");
    private volatile boolean stopOnWrongPassword = true;
    private volatile long timeoutNanos = seconds(15);
    /** Nanoseconds on a monotonic clock (System.nanoTime in service, a hand-turned one in tests). */
    private final LongSupplier clockNanos;
    private final VerifiedCache cache;
    private final BackendBreakers breakers;
    /** What each backend answered since start, by name (kept when a backend goes, for the console). */
    private final Map<String, BackendStats> stats = new ConcurrentHashMap<>();

    public AuthChain() {
        this(System::nanoTime);
    }

    AuthChain(LongSupplier clockNanos) {
        this.clockNanos = clockNanos;
        this.cache = new VerifiedCache(60, clockNanos);
        this.breakers = new BackendBreakers(clockNanos, seconds(5));
    }

    /**
     * What DS calls with auth.cfg: its keys are checked first (a near-miss key or a bad boolean
     * refuses the file), then its values ({@link #configure(AuthConfig)}).
     */
    @Activate
    @Modified
    void configure(AuthConfig config, Map<String, Object> properties) {
        for (ConfigKeys.Problem p : ConfigKeys.check(properties, AuthConfig.class)) {
            if (p.refuse()) {
                refuse(p.key() + ": " + p.reason());
                return;
            }
            LOG.warn("auth.cfg: {}: {}", p.key(), p.reason());
        }
        configure(config);
    }

    /**
     * Takes auth.cfg whole or not at all: a value that does not fit refuses the file in one line
     * naming the key and why, and the settings from before (at first, the defaults) stay in force.
     */
    public void configure(AuthConfig config) {
        List<String> names = new ArrayList<>();
        double timeout;
        double retry;
        long ttl;
        boolean stop;
        try {
            for (String b : ConfigKeys.read("backends", config::backends)) {
                for (String part : b.split("[,\\s]+")) {
                    if (part.isBlank()) {
                        continue;
                    }
                    if (!part.strip().matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
                        throw new IllegalArgumentException("backends: not a backend name: " + part.strip());
                    }
                    names.add(part.strip());
                }
            }
            if (names.isEmpty()) {
                throw new IllegalArgumentException("backends: at least one backend is needed");
            }
            stop = ConfigKeys.read("stop.on.wrong.password", config::stop_on_wrong_password);
            timeout = ConfigKeys.read("chain.timeout", config::chain_timeout);
            if (!(timeout > 0 && timeout <= 3600)) {
                throw new IllegalArgumentException("chain.timeout: must be more than 0 and at most 3600 seconds");
            }
            retry = ConfigKeys.read("backend.retry", config::backend_retry);
            if (!(retry >= 0 && retry <= 86400)) {
                throw new IllegalArgumentException("backend.retry: must be from 0 to 86400 seconds");
            }
            ttl = ConfigKeys.read("cache.ttl", config::cache_ttl);
            if (ttl < 0 || ttl > 86400) {
                throw new IllegalArgumentException("cache.ttl: must be from 0 to 86400 seconds");
            }
        } catch (IllegalArgumentException e) {
            refuse(e.getMessage());
            return;
        }
        order = List.copyOf(new LinkedHashSet<>(names));
        stopOnWrongPassword = stop;
        timeoutNanos = seconds(timeout);
        breakers.retry(seconds(retry)); // a changed chain asks every backend afresh
        cache.clear();
        cache.ttl(ttl);
        LOG.info("auth chain: {} (bound: {}), chain.timeout={} s, backend.retry={} s", order, passdbs.keySet(),
                timeoutNanos / 1e9, retry);
    }

    private static void refuse(String why) {
        LOG.error("auth.cfg refused: {}; the previous settings stay in force", why);
    }


    private static long seconds(double s) {
        return (long) Math.min(Long.MAX_VALUE / 4, s * 1e9);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            updated = "updatedPasswordDatabase")
    public void bindPasswordDatabase(PasswordDatabase db, Map<String, Object> props) {
        String name = backendName(props);
        if (name != null) {
            passdbs.put(name, db);
            breakers.reset(name);
            cache.clear(); // a backend earlier in the chain may now answer differently
            LOG.info("auth backend {} bound{}", name, order.contains(name) ? "" : " (not in the chain)");
        }
    }

    /** The backend was reconfigured (its service properties changed): it may answer differently now. */
    public void updatedPasswordDatabase(PasswordDatabase db, Map<String, Object> props) {
        String name = backendName(props);
        if (name != null) {
            breakers.reset(name);
            cache.clear();
            LOG.info("auth backend {} reconfigured; remembered logins dropped", name);
        }
    }

    public void unbindPasswordDatabase(PasswordDatabase db, Map<String, Object> props) {
        String name = backendName(props);
        if (name != null && passdbs.remove(name, db)) {
            cache.forgetBackend(name);
            LOG.info("auth backend {} unbound", name);
        }
    }

    // A user database or credential source that comes, goes or changes may change the records and
    // answers the cache holds: every such event drops it (the password database's events log it).

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            updated = "updatedUserDatabase")
    public void bindUserDatabase(UserDatabase db, Map<String, Object> props) {
        String name = backendName(props);
        if (name != null) {
            userdbs.put(name, db);
            cache.clear();
        }
    }

    public void updatedUserDatabase(UserDatabase db, Map<String, Object> props) {
        cache.clear();
    }

    public void unbindUserDatabase(UserDatabase db, Map<String, Object> props) {
        String name = backendName(props);
        if (name != null && userdbs.remove(name, db)) {
            cache.clear();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            updated = "updatedCredentialSource")
    public void bindCredentialSource(CredentialSource source, Map<String, Object> props) {
        String name = backendName(props);
        if (name != null) {
            credentials.put(name, source);
            cache.clear();
        }
    }

    public void updatedCredentialSource(CredentialSource source, Map<String, Object> props) {
        cache.clear();
    }

    public void unbindCredentialSource(CredentialSource source, Map<String, Object> props) {
        String name = backendName(props);
        if (name != null && credentials.remove(name, source)) {
            cache.clear();
        }
    }

    private static String backendName(Map<String, Object> props) {
        Object v = props.get(AuthBackend.NAME);
        if (v == null) {
            LOG.warn("auth service {} has no {} property; ignored", props.get("component.name"), AuthBackend.NAME);
            return null;
        }
        return v.toString();
    }

    private BackendStats statsOf(String backend) {
        return stats.computeIfAbsent(backend, k -> new BackendStats());
    }

    /** What the backend answered to password checks since start (logins and authtests, not cached ones). */
    public BackendStats stats(String backend) {
        return statsOf(backend);
    }

    /** Why the backend is skipped now (what it last said), or null while it answers. */
    public String failing(String backend) {
        return breakers.failing(backend);
    }

    /** The configured chain, in order, and whether each backend is bound now. */
    public List<String> order() {
        return order;
    }

    public boolean isBound(String backend) {
        return passdbs.containsKey(backend);
    }

    /**
     * Asks the backends in order. An empty password is refused here, before any backend sees it (an
     * LDAP bind with an empty password is an anonymous bind that succeeds; a hash check may have
     * corner cases): it fails like a wrong password. NoSuchUser and Unavailable fall through to the
     * next backend; WrongPassword ends the attempt (unless stop.on.wrong.password is off). A user that
     * no backend knows while a configured backend could not be asked (not bound now, skipped by its
     * breaker, Unavailable, or out of time) is Unavailable, not NoSuchUser: the user may be in that
     * backend, and the client should try again later rather than be told the password is wrong.
     */
    @Override
    public Verdict verify(String user, Secret password) {
        return check(user, password, true).verdict();
    }

    /**
     * A verdict and the backend that gave it ({@code null} when none did: no backend knew the user,
     * none could be asked, or the empty-password rule answered).
     */
    public record Answer(Verdict verdict, String backend) {
    }

    /**
     * Checks a password as a login does, but around the cache of verified logins (neither read nor
     * filled), and says which backend answered: the admin console's authtest.
     */
    public Answer test(String user, Secret password) {
        return check(user, password, false);
    }

    /** Looks a user up as a login does, and says which user database knew the user. */
    public Answer testLookup(String user) {
        long deadline = clockNanos.getAsLong() + timeoutNanos;
        for (String name : order) {
            UserDatabase db = userdbs.get(name);
            if (db != null && breakers.admit(name)) {
                Optional<UserRecord> r;
                try {
                    r = ask(name, deadline, () -> db.lookup(user));
                } catch (NoAnswer e) {
                    breakers.down(name, e.getMessage());
                    return new Answer(new Verdict.Unavailable(e.getMessage()), name);
                }
                breakers.answered(name);
                if (r.isPresent()) {
                    return new Answer(new Verdict.Success(r.get()), name);
                }
            }
        }
        return new Answer(Verdict.NO_SUCH_USER, null);
    }

    private Answer check(String user, Secret password, boolean cached) {
        if (password.isEmpty()) {
            LOG.info("auth user={} result=wrong-password reason=\"empty password\" (no backend asked)", printable(user));
            return new Answer(new Verdict.WrongPassword("empty password"), null);
        }
        UserRecord remembered = cached ? cache.get(user, password) : null;
        if (remembered != null) {
            LOG.info("auth user={} backend={} result=ok (cached)", printable(user), cache.backendOf(user));
            return new Answer(new Verdict.Success(remembered), cache.backendOf(user));
        }
        long epoch = cache.epoch();
        long deadline = clockNanos.getAsLong() + timeoutNanos;
        Verdict last = Verdict.NO_SUCH_USER;
        String lastBackend = null;
        List<String> unbound = new ArrayList<>();
        List<String> notAsked = new ArrayList<>(); // why a bound backend was not asked
        boolean outOfTime = false;
        for (String name : order) {
            PasswordDatabase db = passdbs.get(name);
            if (db == null) {
                unbound.add(name);
                continue;
            }
            if (outOfTime) {
                notAsked.add("backend " + name + " not asked: out of time");
                continue;
            }
            if (!breakers.admit(name)) {
                notAsked.add(breakers.reason(name));
                continue;
            }
            long start = System.nanoTime();
            Verdict v;
            try {
                v = ask(name, deadline, () -> {
                    Secret copy = copy(password); // the caller clears its own once it is answered
                    try {
                        return db.verify(user, copy);
                    } finally {
                        copy.clear();
                    }
                });
            } catch (NoAnswer e) {
                outOfTime = e.timedOut;
                v = new Verdict.Unavailable(e.getMessage());
            }
            long nanos = System.nanoTime() - start;
            long micros = nanos / 1000;
            statsOf(name).record(switch (v) {
                case Verdict.Success s -> BackendStats.Answer.OK;
                case Verdict.WrongPassword w -> BackendStats.Answer.WRONG_PASSWORD;
                case Verdict.NoSuchUser n -> BackendStats.Answer.NO_SUCH_USER;
                case Verdict.Unavailable u -> BackendStats.Answer.UNAVAILABLE;
            }, nanos);
            switch (v) {
                case Verdict.Success s -> {
                    breakers.answered(name);
                    UserRecord record = s.user() != null ? s.user() : lookup(user, deadline).orElse(null);
                    if (record == null) {
                        LOG.warn("auth user={} backend={} result=ok but no user record; refused ({} us)",
                                printable(user), name, micros);
                        return new Answer(new Verdict.Unavailable("no user record"), name);
                    }
                    LOG.info("auth user={} backend={} result=ok ({} us)", printable(user), name, micros);
                    if (cached) {
                        cache.put(user, password, name, record, epoch);
                    }
                    return new Answer(new Verdict.Success(record), name);
                }
                case Verdict.WrongPassword w -> {
                    breakers.answered(name);
                    LOG.info("auth user={} backend={} result=wrong-password reason=\"{}\" ({} us)",
                            printable(user), name, w.reason(), micros);
                    if (stopOnWrongPassword) {
                        return new Answer(v, name);
                    }
                    last = v;
                    lastBackend = name;
                }
                case Verdict.NoSuchUser n -> {
                    breakers.answered(name);
                    LOG.debug("auth user={} backend={} result=no-such-user ({} us)", printable(user), name, micros);
                }
                case Verdict.Unavailable u -> {
                    breakers.down(name, u.reason());
                    LOG.info("auth user={} backend={} result=unavailable reason=\"{}\" ({} us)",
                            printable(user), name, u.reason(), micros);
                    if (!(last instanceof Verdict.WrongPassword)) {
                        last = v;
                        lastBackend = name;
                    }
                }
            }
        }
        if (last instanceof Verdict.NoSuchUser && !(unbound.isEmpty() && notAsked.isEmpty())) {
            if (!unbound.isEmpty()) {
                notAsked.add(0, (unbound.size() == 1 ? "backend " : "backends ") + String.join(", ", unbound)
                        + " not bound");
            }
            last = new Verdict.Unavailable(String.join("; ", notAsked));
            lastBackend = null;
        }
        switch (last) {
            case Verdict.NoSuchUser n -> LOG.info("auth user={} result=no-such-user (chain {})", printable(user), order);
            case Verdict.Unavailable u -> LOG.info("auth user={} result=unavailable reason=\"{}\" (chain {})",
                    printable(user), u.reason(), order);
            default -> {
            }
        }
        return new Answer(last, lastBackend);
    }

    @Override
    public Optional<Secret> credential(String user, String scheme) {
        // Logged like verify(): the mechanism then tells the session whether the client's proof
        // matched (s1 AUTHENTICATE CRAM-MD5 failed ...), never the secret.
        long deadline = clockNanos.getAsLong() + timeoutNanos;
        for (String name : order) {
            CredentialSource source = credentials.get(name);
            if (source != null && source.schemes().contains(scheme) && breakers.admit(name)) {
                long start = System.nanoTime();
                Optional<Secret> s;
                try {
                    s = ask(name, deadline, () -> source.credential(user, scheme));
                } catch (NoAnswer e) {
                    breakers.down(name, e.getMessage());
                    continue;
                }
                breakers.answered(name);
                long micros = (System.nanoTime() - start) / 1000;
                if (s.isPresent()) {
                    LOG.info("auth user={} backend={} credential={} result=found ({} us)", printable(user), name,
                            scheme, micros);
                    return s;
                }
                LOG.debug("auth user={} backend={} credential={} result=none ({} us)", printable(user), name, scheme, micros);
            }
        }
        LOG.info("auth user={} credential={} result=none (chain {})", printable(user), scheme, order);
        return Optional.empty();
    }

    @Override
    public Set<String> credentialSchemes() {
        Set<String> all = new LinkedHashSet<>();
        for (String name : order) {
            CredentialSource source = credentials.get(name);
            if (source != null) {
                all.addAll(source.schemes());
            }
        }
        return all;
    }

    @Override
    public Optional<UserRecord> lookup(String user) {
        return lookup(user, clockNanos.getAsLong() + timeoutNanos);
    }

    private Optional<UserRecord> lookup(String user, long deadline) {
        for (String name : order) {
            UserDatabase db = userdbs.get(name);
            if (db != null && breakers.admit(name)) {
                Optional<UserRecord> r;
                try {
                    r = ask(name, deadline, () -> db.lookup(user));
                } catch (NoAnswer e) {
                    breakers.down(name, e.getMessage());
                    continue;
                }
                breakers.answered(name);
                if (r.isPresent()) {
                    return r;
                }
            }
        }
        return Optional.empty();
    }

    /** A backend said nothing: it failed, or did not answer in the time left. */
    private static final class NoAnswer extends Exception {
        private static final long serialVersionUID = 1L;
        final boolean timedOut;

        NoAnswer(String reason, boolean timedOut) {
            super(reason, null, false, false);
            this.timedOut = timedOut;
        }
    }

    /**
     * Runs one backend call on a virtual thread of its own and waits for it until the login's
     * deadline. Past it, the call is abandoned: interrupted, its thread left to end on its own, its
     * answer never used.
     */
    private <T> T ask(String backend, long deadline, Callable<T> call) throws NoAnswer {
        long left = deadline - clockNanos.getAsLong();
        if (left <= 0) {
            throw new NoAnswer("no time left within chain.timeout", true);
        }
        FutureTask<T> task = new FutureTask<>(call);
        Thread.ofVirtual().name("auth-" + backend).start(task);
        try {
            return task.get(left, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            task.cancel(true);
            LOG.warn("auth backend {} did not answer within chain.timeout ({} s); abandoned", backend,
                    timeoutNanos / 1e9);
            throw new NoAnswer("no answer within chain.timeout", true);
        } catch (ExecutionException e) {
            LOG.error("auth backend {} failed: {}", backend, e.getCause().toString());
            throw new NoAnswer(e.getCause().toString(), false);
        } catch (InterruptedException e) {
            task.cancel(true);
            Thread.currentThread().interrupt();
            throw new NoAnswer("interrupted", true);
        }
    }

    private static Secret copy(Secret password) {
        byte[] bytes = password.utf8();
        try {
            return Secret.ofUtf8(bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /** A user name fit for a log line: control characters and over-long names cannot forge lines. */
    public static String printable(String s) {
        if (s == null) {
            return "-";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), 64));
        s.codePoints().limit(64).forEach(c -> b.appendCodePoint(c < 0x20 || c == 0x7f ? '?' : c));
        if (s.length() > 64) {
            b.append("...");
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return "AuthChain" + Arrays.asList(order.toArray());
    }
}
