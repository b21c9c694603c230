package posthorn.imap.server.internal.auth;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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

/**
 * The auth chain: every backend service that comes and goes, asked in the order auth.cfg gives.
 * Backends are bound dynamically, so a backend bundle can be started, stopped or replaced while
 * sessions run; a session that has logged in keeps what it got.
 *
 * <p>Every attempt is logged with backend, user, result and latency, never the password.
 * Thread-safe: the bound services sit in concurrent maps, the order in a volatile field.
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
    private final VerifiedCache cache = new VerifiedCache(60);

    @Activate
    @Modified
    public void configure(AuthConfig config) {
        List<String> names = new ArrayList<>();
        for (String b : config.backends()) {
            for (String part : b.split("[,\\s]+")) {
                if (!part.isBlank()) {
                    names.add(part.strip());
                }
            }
        }
        order = List.copyOf(new LinkedHashSet<>(names));
        stopOnWrongPassword = config.stop_on_wrong_password();
        cache.clear();
        cache.ttl(config.cache_ttl());
        LOG.info("auth chain: {} (bound: {})", order, passdbs.keySet());
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void bindPasswordDatabase(PasswordDatabase db, Map<String, Object> props) {
        String name = backendName(props);
        if (name != null) {
            passdbs.put(name, db);
            cache.clear(); // a backend earlier in the chain may now answer differently
            LOG.info("auth backend {} bound{}", name, order.contains(name) ? "" : " (not in the chain)");
        }
    }

    public void unbindPasswordDatabase(PasswordDatabase db, Map<String, Object> props) {
        String name = backendName(props);
        if (name != null && passdbs.remove(name, db)) {
            cache.forgetBackend(name);
            LOG.info("auth backend {} unbound", name);
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void bindUserDatabase(UserDatabase db, Map<String, Object> props) {
        String name = backendName(props);
        if (name != null) {
            userdbs.put(name, db);
        }
    }

    public void unbindUserDatabase(UserDatabase db, Map<String, Object> props) {
        String name = backendName(props);
        if (name != null) {
            userdbs.remove(name, db);
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void bindCredentialSource(CredentialSource source, Map<String, Object> props) {
        String name = backendName(props);
        if (name != null) {
            credentials.put(name, source);
        }
    }

    public void unbindCredentialSource(CredentialSource source, Map<String, Object> props) {
        String name = backendName(props);
        if (name != null) {
            credentials.remove(name, source);
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
     * no backend knows while a configured backend could not be asked (not bound now, or Unavailable)
     * is Unavailable, not NoSuchUser: the user may be in that backend, and the client should try
     * again later rather than be told the password is wrong.
     */
    @Override
    public Verdict verify(String user, Secret password) {
        if (password.isEmpty()) {
            LOG.info("auth user={} result=wrong-password reason=\"empty password\" (no backend asked)", printable(user));
            return new Verdict.WrongPassword("empty password");
        }
        UserRecord remembered = cache.get(user, password);
        if (remembered != null) {
            LOG.info("auth user={} backend={} result=ok (cached)", printable(user), cache.backendOf(user));
            return new Verdict.Success(remembered);
        }
        Verdict last = Verdict.NO_SUCH_USER;
        List<String> unasked = new ArrayList<>();
        for (String name : order) {
            PasswordDatabase db = passdbs.get(name);
            if (db == null) {
                unasked.add(name);
                continue;
            }
            long start = System.nanoTime();
            Verdict v;
            try {
                v = db.verify(user, password);
            } catch (RuntimeException e) {
                LOG.error("auth backend {} failed for user {}: {}", name, printable(user), e.toString());
                v = new Verdict.Unavailable(e.toString());
            }
            long micros = (System.nanoTime() - start) / 1000;
            switch (v) {
                case Verdict.Success s -> {
                    UserRecord record = s.user() != null ? s.user() : lookup(user).orElse(null);
                    if (record == null) {
                        LOG.warn("auth user={} backend={} result=ok but no user record; refused ({} us)",
                                printable(user), name, micros);
                        return new Verdict.Unavailable("no user record");
                    }
                    LOG.info("auth user={} backend={} result=ok ({} us)", printable(user), name, micros);
                    cache.put(user, password, name, record);
                    return new Verdict.Success(record);
                }
                case Verdict.WrongPassword w -> {
                    LOG.info("auth user={} backend={} result=wrong-password reason=\"{}\" ({} us)",
                            printable(user), name, w.reason(), micros);
                    if (stopOnWrongPassword) {
                        return v;
                    }
                    last = v;
                }
                case Verdict.NoSuchUser n -> LOG.debug("auth user={} backend={} result=no-such-user ({} us)",
                        printable(user), name, micros);
                case Verdict.Unavailable u -> {
                    LOG.warn("auth user={} backend={} result=unavailable reason=\"{}\" ({} us)",
                            printable(user), name, u.reason(), micros);
                    if (!(last instanceof Verdict.WrongPassword)) {
                        last = v;
                    }
                }
            }
        }
        if (last instanceof Verdict.NoSuchUser && !unasked.isEmpty()) {
            last = new Verdict.Unavailable((unasked.size() == 1 ? "backend " : "backends ")
                    + String.join(", ", unasked) + " not bound");
        }
        switch (last) {
            case Verdict.NoSuchUser n -> LOG.info("auth user={} result=no-such-user (chain {})", printable(user), order);
            case Verdict.Unavailable u -> LOG.warn("auth user={} result=unavailable reason=\"{}\" (chain {})",
                    printable(user), u.reason(), order);
            default -> {
            }
        }
        return last;
    }

    @Override
    public Optional<Secret> credential(String user, String scheme) {
        // Logged like verify(): the mechanism then tells the session whether the client's proof
        // matched (s1 AUTHENTICATE CRAM-MD5 failed ...), never the secret.
        for (String name : order) {
            CredentialSource source = credentials.get(name);
            if (source != null && source.schemes().contains(scheme)) {
                long start = System.nanoTime();
                Optional<Secret> s;
                try {
                    s = source.credential(user, scheme);
                } catch (RuntimeException e) {
                    LOG.error("auth backend {} failed for user {}: {}", name, printable(user), e.toString());
                    continue;
                }
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
        for (String name : order) {
            UserDatabase db = userdbs.get(name);
            if (db != null) {
                Optional<UserRecord> r = db.lookup(user);
                if (r.isPresent()) {
                    return r;
                }
            }
        }
        return Optional.empty();
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
