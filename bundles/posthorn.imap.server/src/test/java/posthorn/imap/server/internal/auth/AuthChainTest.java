package posthorn.imap.server.internal.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import posthorn.auth.api.AuthBackend;
import posthorn.auth.api.PasswordDatabase;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserDatabase;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.imap.server.internal.Configurations;

/** The chain's rules: order, fall-through, stop, backends that are missing or down, the empty password. */
class AuthChainTest {

    /** A backend that knows some users and their passwords, counting how often it is asked. */
    private static final class Backend implements PasswordDatabase, UserDatabase {
        final Map<String, String> passwords = new HashMap<>();
        Verdict forced;
        boolean withRecord = true;
        int asked;

        Backend user(String name, String password) {
            passwords.put(name, password);
            return this;
        }

        @Override
        public Verdict verify(String user, Secret password) {
            asked++;
            if (forced != null) {
                return forced;
            }
            String expected = passwords.get(user);
            if (expected == null) {
                return Verdict.NO_SUCH_USER;
            }
            if (!password.reveal().equals(expected)) {
                return new Verdict.WrongPassword("mismatch");
            }
            return new Verdict.Success(withRecord ? record(user) : null);
        }

        @Override
        public Optional<UserRecord> lookup(String user) {
            return passwords.containsKey(user) ? Optional.of(record(user)) : Optional.empty();
        }
    }

    private static UserRecord record(String user) {
        return UserRecord.of(user, Path.of("/home", user));
    }

    private static AuthChain chain(String backends, boolean stopOnWrongPassword) {
        AuthChain chain = new AuthChain();
        chain.configure(Configurations.of(AuthConfig.class, Map.of("backends", new String[] {backends},
                "stop.on.wrong.password", stopOnWrongPassword, "cache.ttl", 60L)));
        return chain;
    }

    private static void bind(AuthChain chain, String name, Backend b) {
        chain.bindPasswordDatabase(b, Map.of(AuthBackend.NAME, name));
        chain.bindUserDatabase(b, Map.of(AuthBackend.NAME, name));
    }

    private static Verdict verify(AuthChain chain, String user, String password) {
        return chain.verify(user, Secret.of(password));
    }

    @Test
    void backendsAreAskedInTheConfiguredOrder() {
        AuthChain chain = chain("first, second", true);
        Backend first = new Backend().user("ann", "one");
        Backend second = new Backend().user("ann", "two").user("bob", "two");
        bind(chain, "second", second); // binding order does not matter
        bind(chain, "first", first);
        assertEquals(List.of("first", "second"), chain.order());
        assertInstanceOf(Verdict.Success.class, verify(chain, "ann", "one"));
        assertEquals(0, second.asked, "the first backend knew ann");
        assertInstanceOf(Verdict.Success.class, verify(chain, "bob", "two"), "NoSuchUser falls through");
        assertEquals(1, second.asked);
    }

    @Test
    void wrongPasswordStopsTheChainUnlessConfiguredOtherwise() {
        Backend first = new Backend().user("ann", "one");
        Backend second = new Backend().user("ann", "two");
        AuthChain stopping = chain("first, second", true);
        bind(stopping, "first", first);
        bind(stopping, "second", second);
        assertInstanceOf(Verdict.WrongPassword.class, verify(stopping, "ann", "two"));
        assertEquals(0, second.asked);

        AuthChain going = chain("first, second", false);
        bind(going, "first", first);
        bind(going, "second", second);
        assertInstanceOf(Verdict.Success.class, verify(going, "ann", "two"));
        assertInstanceOf(Verdict.WrongPassword.class, verify(going, "ann", "three"));
    }

    @Test
    void unavailableFallsThroughAndAnUnknownUserIsThenUnavailable() {
        AuthChain chain = chain("down, up", true);
        Backend down = new Backend();
        down.forced = new Verdict.Unavailable("directory down");
        Backend up = new Backend().user("ann", "pw");
        bind(chain, "down", down);
        bind(chain, "up", up);
        assertInstanceOf(Verdict.Success.class, verify(chain, "ann", "pw"), "a later backend still answers");
        Verdict unknown = verify(chain, "nobody", "pw");
        assertEquals(new Verdict.Unavailable("directory down"), unknown, "nobody may be in the backend that is down");
        assertInstanceOf(Verdict.WrongPassword.class, verify(chain, "ann", "bad"), "a backend that knows the user decides");
    }

    @Test
    void aBackendThatThrowsIsUnavailable() {
        AuthChain chain = chain("broken", true);
        chain.bindPasswordDatabase((user, password) -> {
            throw new IllegalStateException("bug");
        }, Map.of(AuthBackend.NAME, "broken"));
        assertInstanceOf(Verdict.Unavailable.class, verify(chain, "ann", "pw"));
    }

    @Test
    void aConfiguredBackendThatIsNotBoundMakesAnUnknownUserUnavailable() {
        AuthChain chain = chain("userdb, ldap", true);
        bind(chain, "ldap", new Backend().user("ann", "pw"));
        assertInstanceOf(Verdict.Success.class, verify(chain, "ann", "pw"), "the bound backend answers");
        assertEquals(new Verdict.Unavailable("backend userdb not bound"), verify(chain, "bob", "pw"));

        AuthChain none = chain("userdb", true);
        assertEquals(new Verdict.Unavailable("backend userdb not bound"), verify(none, "ann", "pw"),
                "the only backend stopped: not every user unknown");
        assertEquals(false, none.isBound("userdb"));
    }

    @Test
    void aBackendNotInTheChainIsNotAsked() {
        AuthChain chain = chain("userdb", true);
        Backend userdb = new Backend();
        Backend other = new Backend().user("ann", "pw");
        bind(chain, "userdb", userdb);
        bind(chain, "other", other);
        assertEquals(Verdict.NO_SUCH_USER, verify(chain, "ann", "pw"));
        assertEquals(0, other.asked);
    }

    @Test
    void aSuccessWithoutRecordTakesItFromTheUserDatabases() {
        AuthChain chain = chain("pw", true);
        Backend pw = new Backend().user("ann", "secret");
        pw.withRecord = false;
        bind(chain, "pw", pw);
        Verdict v = verify(chain, "ann", "secret");
        assertEquals(new Verdict.Success(record("ann")), v);

        AuthChain recordless = chain("pw", true);
        recordless.bindPasswordDatabase(pw, Map.of(AuthBackend.NAME, "pw"));
        assertInstanceOf(Verdict.Unavailable.class, verify(recordless, "ann", "secret"),
                "a password without a user record cannot log in");
    }

    @Test
    void theCacheIsDroppedWhenItsBackendGoes() {
        AuthChain chain = chain("userdb", true);
        Backend userdb = new Backend().user("ann", "pw");
        bind(chain, "userdb", userdb);
        assertInstanceOf(Verdict.Success.class, verify(chain, "ann", "pw"));
        assertInstanceOf(Verdict.Success.class, verify(chain, "ann", "pw"));
        assertEquals(1, userdb.asked, "the second login came from the cache");

        chain.unbindPasswordDatabase(userdb, Map.of(AuthBackend.NAME, "userdb"));
        chain.unbindUserDatabase(userdb, Map.of(AuthBackend.NAME, "userdb"));
        assertInstanceOf(Verdict.Unavailable.class, verify(chain, "ann", "pw"),
                "what the unbound backend vouched for is forgotten");
        bind(chain, "userdb", userdb);
        assertInstanceOf(Verdict.Success.class, verify(chain, "ann", "pw"));
        assertEquals(2, userdb.asked);
    }

    @Test
    void theCacheKeepsOnlyTheVerifiedPassword() {
        AuthChain chain = chain("userdb", true);
        Backend userdb = new Backend().user("ann", "pw");
        bind(chain, "userdb", userdb);
        verify(chain, "ann", "pw");
        assertInstanceOf(Verdict.WrongPassword.class, verify(chain, "ann", "other"));
        assertEquals(2, userdb.asked, "a wrong password always reaches the backend");
    }

    @Test
    void anEmptyPasswordNeverReachesABackendAndFailsLikeAWrongOne() {
        AuthChain chain = chain("userdb", true);
        Backend userdb = new Backend().user("ann", "");
        bind(chain, "userdb", userdb);
        assertEquals(new Verdict.WrongPassword("empty password"), verify(chain, "ann", ""));
        assertEquals(new Verdict.WrongPassword("empty password"), verify(chain, "nobody", ""));
        assertEquals(0, userdb.asked);
        assertTrue(chain.toString().contains("userdb"));
    }
}
