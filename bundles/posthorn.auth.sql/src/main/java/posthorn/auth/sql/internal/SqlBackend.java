package posthorn.auth.sql.internal;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.jdbc.DataSourceFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.api.AuthBackend;
import posthorn.auth.api.CredentialSource;
import posthorn.auth.api.PasswordDatabase;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserDatabase;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.auth.support.config.BadSetting;
import posthorn.auth.support.config.ConfigFile;
import posthorn.auth.support.crypt.CryptHash;
import posthorn.auth.support.health.Reachability;

/**
 * An SQL database as an auth backend, as Courier's authpgsql/authmysql: one object registered as
 * password database, user database and credential source (clear passwords, for CRAM-MD5), named
 * {@code sql}.
 *
 * <p>JDBC comes from whichever driver bundle registers an OSGi {@link DataSourceFactory} for the
 * configured driver class (pgjdbc and H2 register their own; pax-jdbc-mariadb registers one for
 * MariaDB Connector/J). The connection pool is made on first use and dropped when the settings
 * change or that factory goes away, so driver bundles can be stopped and started at run time; while
 * none is there, or the database is down or slow, logins answer {@link Verdict.Unavailable}.
 *
 * <p>A row's {@code crypt} column is checked by the shared {@link CryptHash} (its rules for locked
 * accounts and for bcrypt's 72 bytes); where it is empty, the {@code clear} column is compared,
 * timing-safely. An empty password is refused by the server's auth chain before any backend is asked.
 *
 * <p>A database that cannot be reached (refused, lost, not answering in time: {@link SqlFailure}) is
 * not asked for {@code down.retry} afterwards ({@link Reachability}: logins answer Unavailable at
 * once, and the outage is logged once); the next try makes a new pool (see {@link ConnectionPool}).
 *
 * <p>A configuration it cannot use is refused whole, in one log line naming the key: the settings
 * from before keep serving, or, if there were none, logins answer Unavailable with that reason.
 *
 * <p>Logins reach the database only as bind parameters ({@link SqlQuery}). Thread-safe: the settings
 * and the pool are swapped atomically; the pool is made under a lock.
 */
@Component(configurationPid = "auth.sql", configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {PasswordDatabase.class, UserDatabase.class, CredentialSource.class},
        property = AuthBackend.NAME + "=sql")
@Designate(ocd = SqlBackend.Config.class)
public class SqlBackend implements PasswordDatabase, UserDatabase, CredentialSource {

    @ObjectClassDefinition(name = "Posthorn SQL backend",
            description = "Users and passwords in an SQL database (PostgreSQL, MariaDB/MySQL, H2) through JDBC")
    @interface Config {
        @AttributeDefinition(description = "postgresql, mariadb, h2, or a JDBC driver class "
                + "(osgi.jdbc.driver.class); empty: from the url")
        String driver() default "";

        @AttributeDefinition(description = "JDBC URL, e.g. jdbc:postgresql://127.0.0.1:5432/mail")
        String url();

        @AttributeDefinition(description = "Database user")
        String user() default "";

        @AttributeDefinition(type = AttributeType.PASSWORD, description = "Database password; use $[secret:NAME]")
        String password() default "";

        @AttributeDefinition(name = "pool.size", description = "Most database connections at once")
        int pool_size() default 4;

        @AttributeDefinition(name = "connect.timeout", description = "Milliseconds to wait for a connection")
        long connect_timeout() default 5000;

        @AttributeDefinition(name = "query.timeout", description = "Seconds a query may run")
        int query_timeout() default 5;

        @AttributeDefinition(name = "password.query",
                description = "Finds a login's stored password: columns crypt (a crypt(3) hash) and/or clear")
        String password_query() default DEFAULT_PASSWORD_QUERY;

        @AttributeDefinition(name = "user.query",
                description = "Finds a login's record: columns home, maildir, uid, gid, quota; empty for none")
        String user_query() default DEFAULT_USER_QUERY;

        @AttributeDefinition(name = "default.domain", description = "$(domain) for a login without @")
        String default_domain() default "";

        @AttributeDefinition(name = "down.retry", description = "Seconds a database that cannot be reached (refused,"
                + " lost, no answer in time) is not asked: logins answer 'unavailable' at once, then one tries again;"
                + " 0: always ask")
        int down_retry() default 5;
    }

    static final String DEFAULT_PASSWORD_QUERY = "SELECT crypt, clear FROM users WHERE id = ?";
    static final String DEFAULT_USER_QUERY = "SELECT home, maildir, uid, gid, quota FROM users WHERE id = ?";

    private static final Logger LOG = LoggerFactory.getLogger(SqlBackend.class);
    /** Runs the driver's network-timeout abort in the calling thread (the drivers only need one). */
    private static final Executor DIRECT = Runnable::run;
    /** Slack beyond query.timeout before a silent connection is given up (the driver cancels first). */
    private static final int NETWORK_SLACK_MS = 2000;

    /** A DataSourceFactory service and the driver class it registered for. */
    private record Factory(DataSourceFactory factory, String driverClass) {
    }

    /** Thrown when a query that must find at most one row finds several. */
    private static final class SeveralRows extends Exception {
        SeveralRows() {
            super(null, null, false, false);
        }
    }

    /** The settings in force and what is known of their database; replaced together. */
    private record Active(Settings settings, Reachability reachability) {
    }

    private final List<Factory> factories = new CopyOnWriteArrayList<>();
    private final ReentrantLock poolLock = new ReentrantLock();
    private final ConfigFile file = new ConfigFile("auth.sql.cfg", LOG);
    private volatile Active active;
    /** Written under poolLock; read without it. */
    private volatile ConnectionPool pool;

    @Reference(service = DataSourceFactory.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            unbind = "unbindDataSourceFactory")
    void bindDataSourceFactory(DataSourceFactory factory, Map<String, Object> properties) {
        Object driver = properties.get(DataSourceFactory.OSGI_JDBC_DRIVER_CLASS);
        factories.add(new Factory(factory, driver == null ? "" : driver.toString()));
    }

    void unbindDataSourceFactory(DataSourceFactory factory) {
        factories.removeIf(f -> f.factory() == factory);
        ConnectionPool p = pool;
        if (p != null && p.factory() == factory) {
            LOG.info("auth.sql: JDBC driver {} went away; closing its connections", p.settings().driverClass());
            dropPool(p);
        }
    }

    /**
     * What DS calls with the file's contents: the keys are checked first (a near-miss key or a bad
     * boolean refuses the file, as a bad value does), then the values.
     */
    @Activate
    @Modified
    void configure(Config config, Map<String, Object> properties) {
        if (file.keysTaken(properties, Config.class, active != null)) {
            activate(config);
        }
    }

    void activate(Config c) {
        try {
            activate(Settings.of(c.driver(), c.url(), c.user(), c.password(),
                    BadSetting.read("pool.size", c::pool_size), BadSetting.read("connect.timeout", c::connect_timeout),
                    BadSetting.read("query.timeout", c::query_timeout), c.password_query(), c.user_query(),
                    c.default_domain(), BadSetting.read("down.retry", c::down_retry)));
        } catch (BadSetting e) {
            file.refused(e, active != null);
        }
    }

    /** Activation with checked settings, for tests without a framework. */
    void activate(Settings s) {
        active = new Active(s, new Reachability("auth.sql: database", LOG, s.downRetry()));
        file.taken();
        ConnectionPool p = pool;
        if (p != null) {
            dropPool(p);
        }
        LOG.info("auth.sql: {}", s);
    }

    @Deactivate
    void deactivate() {
        ConnectionPool p = pool;
        if (p != null) {
            dropPool(p);
        }
    }

    @Override
    public Verdict verify(String user, Secret password) {
        if (user.indexOf('\0') >= 0) {
            return Verdict.NO_SUCH_USER; // no database keeps NUL in a name the same way; PostgreSQL refuses it
        }
        Active a = active;
        if (a == null) {
            return file.unavailable("auth.sql: not configured");
        }
        Optional<Verdict.Unavailable> down = a.reachability().skip();
        if (down.isPresent()) {
            return down.get();
        }
        Settings s = a.settings();
        SqlQuery.Login login = SqlQuery.Login.of(user, s.defaultDomain());
        Optional<UserRow> found;
        try {
            found = row(a, s.passwordQuery(), login);
        } catch (SeveralRows e) {
            LOG.warn("auth.sql: password.query found several rows for user {}; refusing the login", login.login());
            return new Verdict.WrongPassword("several rows for the login");
        } catch (SQLException e) {
            return unavailable(a, e);
        }
        if (found.isEmpty()) {
            return Verdict.NO_SUCH_USER;
        }
        UserRow row = found.get();
        String hash = row.crypt() == null ? "" : row.crypt().trim();
        if (hash.isEmpty() && (row.clear() == null || row.clear().isEmpty())) {
            return new Verdict.WrongPassword("no password in the row");
        }
        CryptHash.Outcome outcome;
        if (hash.isEmpty()) {
            // an empty crypt column means the clear one, as in Courier's authsql
            outcome = password.matches(row.clear().getBytes(StandardCharsets.UTF_8))
                    ? CryptHash.Outcome.MATCH : CryptHash.Outcome.MISMATCH;
        } else {
            outcome = CryptHash.check(hash, password);
        }
        return switch (outcome) {
            case MATCH -> success(a, login, row);
            case MISMATCH -> new Verdict.WrongPassword("wrong password");
            case LOCKED -> new Verdict.WrongPassword("account locked");
            case NO_PASSWORD -> new Verdict.WrongPassword("account has no password");
            case UNSUPPORTED -> {
                LOG.warn("auth.sql: user {} has a password hash in unsupported scheme {}; the account cannot log in",
                        login.login(), CryptHash.scheme(hash));
                yield new Verdict.WrongPassword("unsupported hash scheme");
            }
            case MALFORMED -> {
                LOG.warn("auth.sql: user {} has a malformed password hash", login.login());
                yield new Verdict.WrongPassword("malformed password hash");
            }
        };
    }

    /** The record for a verified login: from the password row if it has one, else from user.query. */
    private Verdict success(Active a, SqlQuery.Login login, UserRow row) {
        try {
            if (row.hasLocation()) {
                return new Verdict.Success(row.record(login.login()));
            }
            if (a.settings().userQuery() == null) {
                return new Verdict.Success(null); // the chain asks the user databases
            }
            Optional<UserRow> r = row(a, a.settings().userQuery(), login);
            return new Verdict.Success(r.map(u -> u.record(login.login())).orElse(null));
        } catch (IllegalArgumentException e) {
            LOG.warn("auth.sql: user {} has a bad record: {}", login.login(), e.getMessage());
            return new Verdict.Unavailable("bad user record: " + e.getMessage());
        } catch (SeveralRows e) {
            LOG.warn("auth.sql: user.query found several rows for user {}", login.login());
            return new Verdict.Unavailable("several user records");
        } catch (SQLException e) {
            return unavailable(a, e);
        }
    }

    @Override
    public Optional<UserRecord> lookup(String user) {
        Active a = active;
        if (user.indexOf('\0') >= 0 || a == null || a.reachability().skip().isPresent()) {
            return Optional.empty();
        }
        Settings s = a.settings();
        SqlQuery.Login login = SqlQuery.Login.of(user, s.defaultDomain());
        SqlQuery q = s.userQuery() != null ? s.userQuery() : s.passwordQuery();
        try {
            Optional<UserRow> row = row(a, q, login);
            if (row.isEmpty() || (s.userQuery() == null && !row.get().hasLocation())) {
                return Optional.empty();
            }
            return Optional.of(row.get().record(login.login()));
        } catch (IllegalArgumentException e) {
            LOG.warn("auth.sql: user {} has a bad record: {}", login.login(), e.getMessage());
        } catch (SeveralRows e) {
            LOG.warn("auth.sql: user.query found several rows for user {}", login.login());
        } catch (SQLException e) {
            unavailable(a, e);
        }
        return Optional.empty();
    }

    /**
     * PLAIN when password.query selects a clear password column and a driver for the configured
     * class is there; whether a given user has one shows only in {@link #credential}.
     */
    @Override
    public Set<String> schemes() {
        Active a = active;
        Settings s = a == null ? null : a.settings();
        if (s == null || Arrays.stream(UserRow.CLEAR).noneMatch(s.passwordQuery()::mentions)) {
            return Set.of();
        }
        return factory(s).isPresent() ? Set.of(PLAIN) : Set.of();
    }

    @Override
    public Optional<Secret> credential(String user, String scheme) {
        Active a = active;
        if (!PLAIN.equals(scheme) || user.indexOf('\0') >= 0 || a == null || a.reachability().skip().isPresent()) {
            return Optional.empty();
        }
        Settings s = a.settings();
        SqlQuery.Login login = SqlQuery.Login.of(user, s.defaultDomain());
        try {
            Optional<UserRow> row = row(a, s.passwordQuery(), login);
            if (row.isEmpty() || row.get().clear() == null || row.get().clear().isEmpty()) {
                return Optional.empty();
            }
            String hash = row.get().crypt();
            if (hash != null && !hash.isBlank() && CryptHash.refusesEveryPassword(hash.trim())) {
                return Optional.empty(); // a locked account hands out no secret either
            }
            return Optional.of(Secret.of(row.get().clear()));
        } catch (SeveralRows e) {
            LOG.warn("auth.sql: password.query found several rows for user {}", login.login());
        } catch (SQLException e) {
            unavailable(a, e);
        }
        return Optional.empty();
    }

    /**
     * Runs a query for a login: its placeholders bound, under query.timeout.
     *
     * @return the one row, or empty if there is none
     * @throws SeveralRows  if there are several
     * @throws SQLException if there is no driver, no connection in time ({@link SqlFailure.NoConnection}),
     *                      or the query fails; a pool that has lost the database is marked for replacement
     */
    private Optional<UserRow> row(Active a, SqlQuery q, SqlQuery.Login login) throws SQLException, SeveralRows {
        Settings s = a.settings();
        ConnectionPool p = pool(s);
        Connection connection;
        try {
            connection = p.connection();
        } catch (SqlFailure.NoConnection e) {
            p.distrust();
            throw e;
        }
        try (Connection c = connection) {
            try {
                // a backstop for a database that stops answering: the driver cancels at query.timeout
                c.setNetworkTimeout(DIRECT, s.queryTimeout() * 1000 + NETWORK_SLACK_MS);
            } catch (SQLFeatureNotSupportedException e) {
                // embedded databases have no network
            }
            try (PreparedStatement ps = c.prepareStatement(q.sql())) {
                ps.setQueryTimeout(s.queryTimeout());
                ps.setMaxRows(2);
                List<String> values = q.values(login);
                for (int i = 0; i < values.size(); i++) {
                    ps.setString(i + 1, values.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    a.reachability().answered();
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    UserRow row = UserRow.read(rs);
                    if (rs.next()) {
                        throw new SeveralRows();
                    }
                    return Optional.of(row);
                }
            }
        } catch (SQLException e) {
            if (SqlFailure.lostDatabase(e)) {
                p.distrust();
            }
            throw e;
        }
    }

    /**
     * The pool for these settings, made now if there is none yet, or if the one there has lost the
     * database (then the old one is closed in the background, and a database that is still down
     * fails fast here: see {@link ConnectionPool}).
     */
    private ConnectionPool pool(Settings s) throws SQLException {
        ConnectionPool p = pool;
        if (p != null && p.settings() == s && !p.distrusted()) {
            return p;
        }
        poolLock.lock();
        try {
            p = pool;
            if (p != null && p.settings() == s && !p.distrusted()) {
                return p;
            }
            if (p != null) {
                pool = null;
                if (p.settings() == s) {
                    Thread.ofVirtual().name("posthorn-auth-sql-close").start(p::close); // it may wait for a dead server
                } else {
                    p.close(); // made for settings since replaced
                }
            }
            Factory f = factory(s).orElseThrow(() -> new SQLException("no JDBC driver for " + s.driverClass()
                    + " (no DataSourceFactory service: is the driver bundle running?)"));
            ConnectionPool fresh = new ConnectionPool(f.factory(), s);
            pool = fresh;
            if (p == null || p.settings() != s) {
                LOG.info("auth.sql: connection pool for {} ({} connections at most)", s.safeUrl(), s.poolSize());
            } else {
                LOG.debug("auth.sql: a new connection pool for {}, the old one had lost the database", s.safeUrl());
            }
            return fresh;
        } finally {
            poolLock.unlock();
        }
    }

    private Optional<Factory> factory(Settings s) {
        return factories.stream().filter(f -> f.driverClass().equals(s.driverClass())).findFirst();
    }

    private void dropPool(ConnectionPool p) {
        poolLock.lock();
        try {
            if (pool == p) {
                pool = null;
            }
        } finally {
            poolLock.unlock();
        }
        p.close();
    }

    /**
     * Reports a failure to the settings' {@link Reachability} (which logs it once per outage) and
     * makes it a verdict. No connection, or one lost, means the database cannot be reached; a query
     * the database refused (a missing table) means it answered.
     */
    private static Verdict unavailable(Active a, SQLException e) {
        String reason = SqlFailure.reason(e);
        if (e instanceof SqlFailure.NoConnection || SqlFailure.lostDatabase(e)) {
            a.reachability().unreachable(reason);
        } else {
            a.reachability().failed(reason);
        }
        return new Verdict.Unavailable("database: " + reason);
    }
}
