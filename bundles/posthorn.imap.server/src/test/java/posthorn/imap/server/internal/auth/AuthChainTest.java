package posthorn.imap.server.internal.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import posthorn.auth.api.AuthBackend;
import posthorn.auth.api.CredentialSource;
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
        volatile Verdict forced;
        boolean withRecord = true;
        volatile int asked;
        /** Runs inside the check, before the answer (a reconfiguration at that moment, a hang). */
        volatile Runnable during;

        Backend user(String name, String password) {
            passwords.put(name, password);
            return this;
        }

        @Override
        public Verdict verify(String user, Secret password) {
            asked++;
            if (during != null) {
                during.run();
            }
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

    /** The breaker's clock, in nanoseconds. */
    private final AtomicLong now = new AtomicLong(7_000_000_000L);

    private AuthChain chainWithClock(String backends, Map<String, Object> more) {
        AuthChain chain = new AuthChain(now::get);
        Map<String, Object> settings = new HashMap<>(Map.of("backends", new String[] {backends}));
        settings.putAll(more);
        chain.configure(Configurations.of(AuthConfig.class, settings));
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

    @Test
    void aBackendThatIsDownIsSkippedForBackendRetryAndCountsAsUnavailable() {
        AuthChain chain = chainWithClock("ldap, userdb", Map.of("backend.retry", 5.0));
        Backend ldap = new Backend().user("lou", "pw");
        ldap.forced = new Verdict.Unavailable("connect timed out");
        Backend userdb = new Backend().user("ann", "pw");
        bind(chain, "ldap", ldap);
        bind(chain, "userdb", userdb);
        assertEquals(new Verdict.Unavailable("connect timed out"), verify(chain, "lou", "pw"));
        assertEquals(1, ldap.asked);

        assertInstanceOf(Verdict.Success.class, verify(chain, "ann", "pw"), "the rest of the chain answers");
        Verdict skipped = verify(chain, "lou", "pw");
        assertInstanceOf(Verdict.Unavailable.class, skipped, "lou may be in ldap: not told the password is wrong");
        assertEquals(1, ldap.asked, "not asked again within backend.retry");

        now.addAndGet(5_000_000_000L);
        ldap.forced = null;
        assertInstanceOf(Verdict.Success.class, verify(chain, "lou", "pw"), "asked again after backend.retry");
        assertEquals(2, ldap.asked);
        verify(chain, "nobody", "pw");
        assertEquals(3, ldap.asked, "back in the chain once it answered");
    }

    @Test
    void aBackendThatThrowsTripsTheBreakerToo() {
        AuthChain chain = chainWithClock("broken", Map.of());
        int[] asked = {0};
        chain.bindPasswordDatabase((user, password) -> {
            asked[0]++;
            throw new IllegalStateException("bug");
        }, Map.of(AuthBackend.NAME, "broken"));
        verify(chain, "ann", "pw");
        verify(chain, "ann", "pw");
        assertEquals(1, asked[0]);
    }

    @Test
    void aHungBackendIsAbandonedAtTheChainTimeoutAndThenSkipped() throws InterruptedException {
        AuthChain chain = chainWithClock("hung, userdb", Map.of("chain.timeout", 0.2));
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch abandoned = new CountDownLatch(1);
        Backend hung = new Backend().user("hal", "pw");
        hung.during = () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                abandoned.countDown();
            }
        };
        Backend userdb = new Backend().user("ann", "pw");
        bind(chain, "hung", hung);
        bind(chain, "userdb", userdb);
        try {
            long t0 = System.nanoTime();
            Verdict v = verify(chain, "ann", "pw");
            long took = (System.nanoTime() - t0) / 1_000_000;
            assertInstanceOf(Verdict.Unavailable.class, v, "past chain.timeout the answer is UNAVAILABLE");
            assertTrue(took >= 150 && took < 5000, "answered after " + took + " ms");
            assertEquals(0, userdb.asked, "the login's time is used up");
            assertTrue(abandoned.await(5, TimeUnit.SECONDS), "the hung call was interrupted on its thread");

            t0 = System.nanoTime();
            assertInstanceOf(Verdict.Success.class, verify(chain, "ann", "pw"), "the hung backend is skipped");
            assertTrue(System.nanoTime() - t0 < 150_000_000L, "at once");
            assertEquals(1, hung.asked);
        } finally {
            release.countDown();
        }
    }

    @Test
    void theCacheIsDroppedWhenABackendIsReconfigured() {
        AuthChain chain = chain("ldap", true);
        Backend ldap = new Backend().user("ann", "pw");
        bind(chain, "ldap", ldap);
        verify(chain, "ann", "pw");
        verify(chain, "ann", "pw");
        assertEquals(1, ldap.asked, "cached");

        // DS: the backend's @Modified ran with a narrower filter, and its service properties changed.
        ldap.passwords.clear();
        chain.updatedPasswordDatabase(ldap, Map.of(AuthBackend.NAME, "ldap", "filter", "(uid=nobody)"));
        assertEquals(Verdict.NO_SUCH_USER, verify(chain, "ann", "pw"), "not let in (cached) any more");
        assertEquals(2, ldap.asked);
    }

    @Test
    void theCacheIsDroppedWhenAUserDatabaseOrCredentialSourceIsReconfigured() {
        AuthChain chain = chain("db", true);
        Backend db = new Backend().user("ann", "pw");
        bind(chain, "db", db);
        verify(chain, "ann", "pw");
        chain.updatedUserDatabase(db, Map.of(AuthBackend.NAME, "db", "home", "/elsewhere"));
        verify(chain, "ann", "pw");
        assertEquals(2, db.asked);
        chain.updatedCredentialSource(new CredentialSource() {
            @Override
            public Set<String> schemes() {
                return Set.of();
            }

            @Override
            public Optional<Secret> credential(String user, String scheme) {
                return Optional.empty();
            }
        }, Map.of(AuthBackend.NAME, "db"));
        verify(chain, "ann", "pw");
        assertEquals(3, db.asked);
    }

    @Test
    void theCacheIsDroppedWhenTheChainIsReconfigured() {
        AuthChain chain = chain("db", true);
        Backend db = new Backend().user("ann", "pw");
        bind(chain, "db", db);
        verify(chain, "ann", "pw");
        chain.configure(Configurations.of(AuthConfig.class, Map.of("backends", new String[] {"db"})));
        verify(chain, "ann", "pw");
        assertEquals(2, db.asked);
    }

    @Test
    void aCheckThatStartedBeforeAReconfigurationIsNotCached() {
        AuthChain chain = chain("ldap", true);
        Backend ldap = new Backend().user("ann", "pw");
        bind(chain, "ldap", ldap);
        // The configuration changes while the check runs under the old one.
        ldap.during = () -> chain.updatedPasswordDatabase(ldap, Map.of(AuthBackend.NAME, "ldap", "filter", "(x=1)"));
        assertInstanceOf(Verdict.Success.class, verify(chain, "ann", "pw"));
        ldap.during = null;
        verify(chain, "ann", "pw");
        assertEquals(2, ldap.asked, "the answer under the old configuration was not remembered");
    }
}
