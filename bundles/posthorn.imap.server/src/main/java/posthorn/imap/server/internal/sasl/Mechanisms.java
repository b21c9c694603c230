package posthorn.imap.server.internal.sasl;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import posthorn.auth.api.Authenticator;
import posthorn.auth.api.SaslExchange;
import posthorn.auth.api.SaslMechanism;
import posthorn.auth.api.Secret;
import posthorn.auth.api.Verdict;

/**
 * The SASL mechanisms the server offers: PLAIN and LOGIN built in, more as services (CRAM-MD5 and
 * SCRAM from the auth bundles) that come and go. Thread-safe.
 */
public final class Mechanisms {
    private static final List<SaslMechanism> BUILT_IN = List.of(new PlainMechanism(), new LoginMechanism());
    private final Map<String, SaslMechanism> services = new ConcurrentHashMap<>();

    public void add(SaslMechanism m) {
        services.put(m.name().toUpperCase(Locale.ROOT), m);
    }

    public void remove(SaslMechanism m) {
        services.remove(m.name().toUpperCase(Locale.ROOT), m);
    }

    /** The mechanism of that name, or null. */
    public SaslMechanism get(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        for (SaslMechanism m : BUILT_IN) {
            if (m.name().equals(n)) {
                return m;
            }
        }
        return services.get(n);
    }

    /** The names to announce as AUTH=..., given whether plaintext mechanisms are allowed now. */
    public List<String> offered(Authenticator authenticator, boolean plaintextAllowed) {
        List<String> names = new ArrayList<>();
        List<SaslMechanism> all = new ArrayList<>(BUILT_IN);
        services.values().stream().sorted((a, b) -> a.name().compareTo(b.name())).forEach(all::add);
        for (SaslMechanism m : all) {
            if ((plaintextAllowed || !m.plaintext()) && m.available(authenticator)) {
                names.add(m.name());
            }
        }
        return names;
    }

    /** Verifies a user name and password through the chain, as a SASL step. */
    public static SaslExchange.Step verify(Authenticator authenticator, String user, Secret password) {
        Verdict v = authenticator.verify(user, password);
        return switch (v) {
            case Verdict.Success s -> new SaslExchange.Step.Done(s.user().name(), s.user());
            case Verdict.Unavailable u -> new SaslExchange.Step.Unavailable(u.reason());
            case Verdict.WrongPassword w -> new SaslExchange.Step.Failed("wrong password", false);
            case Verdict.NoSuchUser n -> new SaslExchange.Step.Failed("no such user", false);
        };
    }
}
