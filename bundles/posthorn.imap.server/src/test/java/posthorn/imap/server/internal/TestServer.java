package posthorn.imap.server.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import posthorn.auth.api.AuthBackend;
import posthorn.auth.api.PasswordDatabase;
import posthorn.auth.api.UserDatabase;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.imap.server.internal.auth.AuthChain;
import posthorn.imap.server.internal.auth.AuthConfig;
import posthorn.imap.server.internal.net.ImapdConfig;

/**
 * The server as DS would wire it, without a framework: the in-memory store and an in-memory password
 * database (fakes are fine here: the real store and backends have their own tests, and the
 * integration tests run the server on them). Listens on a free loopback port.
 */
final class TestServer implements AutoCloseable {
    final Path root;
    final ImapServer server = new ImapServer();
    final MemoryStore store = new MemoryStore();
    private final Map<String, String> passwords = new HashMap<>();

    TestServer(Path root, Map<String, Object> imapd) throws IOException {
        this.root = root;
        store.uploadsIn(root.resolve(".uploads"));
        AuthChain chain = new AuthChain();
        chain.configure(Configurations.of(AuthConfig.class, Map.of("backends", new String[] {"test"})));
        InMemoryUsers users = new InMemoryUsers();
        chain.bindPasswordDatabase(users, Map.of(AuthBackend.NAME, "test"));
        chain.bindUserDatabase(users, Map.of(AuthBackend.NAME, "test"));
        server.auth = chain;
        server.store = store;
        Map<String, Object> c = new HashMap<>(imapd);
        c.putIfAbsent("port", 0);
        c.putIfAbsent("tls.port", 0);
        server.activate(c);
    }

    /** Adds a user, with an empty INBOX. */
    TestServer user(String name, String password) {
        passwords.put(name, password);
        return this;
    }

    /** Delivers a message to the user's INBOX from outside the server, as an MDA does. */
    void deliver(String user, String text) {
        store.deliver(user, text.getBytes(StandardCharsets.UTF_8));
    }

    int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.deactivate();
    }

    private final class InMemoryUsers implements PasswordDatabase, UserDatabase {
        @Override
        public Verdict verify(String user, posthorn.auth.api.Secret password) {
            String expected = passwords.get(user);
            if (expected == null) {
                return Verdict.NO_SUCH_USER;
            }
            return password.matches(expected.getBytes(StandardCharsets.UTF_8))
                    ? new Verdict.Success(UserRecord.of(user, root.resolve(user)))
                    : new Verdict.WrongPassword("test");
        }

        @Override
        public Optional<UserRecord> lookup(String user) {
            return passwords.containsKey(user) ? Optional.of(UserRecord.of(user, root.resolve(user))) : Optional.empty();
        }
    }
}
