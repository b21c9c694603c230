package posthorn.auth.sql.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import org.osgi.service.jdbc.DataSourceFactory;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.SQLExceptionOverride;

/**
 * A HikariCP pool over a DataSource made by one driver bundle's DataSourceFactory service. Owned by
 * the backend, which replaces it when its settings change, when that factory goes away, and after
 * the database was lost ({@link #distrust}). Thread-safe.
 *
 * <p>Why a lost database means a new pool: HikariCP keeps trying to connect in the background, with
 * a back-off that grows to five seconds, and a login that asks for a connection waits for the
 * next of those tries; so the first login after the database came back took seconds. A new pool
 * connects at once. Idle connections are checked in the background (keepalive), so one that a
 * restart or a firewall has killed is replaced before a login needs it.
 */
final class ConnectionPool implements AutoCloseable {

    /** How often HikariCP checks an idle connection (it refuses less than 30 s). */
    private static final long KEEPALIVE_MS = 120_000;

    private final DataSourceFactory factory;
    private final Settings settings;
    private final HikariDataSource hikari;
    /** The connection made to check the database, for the first caller; closed, not pooled, after. */
    private final AtomicReference<Connection> first;
    private volatile boolean distrusted;

    /**
     * Connects once, directly, then starts the pool. The direct connection makes a database that
     * refuses connections, or the account, fail here in milliseconds, and one that does not answer
     * within connect.timeout (the driver's login timeout, in whole seconds); the pool alone would
     * answer only after connect.timeout, whatever the reason. It then serves the first caller, so
     * the login that made the pool waits for one connection, not two.
     *
     * @throws SQLException if the factory refuses the settings (a malformed URL, say), and
     *                      {@link SqlFailure.NoConnection} if the database does not take the connection
     */
    ConnectionPool(DataSourceFactory factory, Settings settings) throws SQLException {
        this.factory = factory;
        this.settings = settings;
        Properties props = new Properties();
        props.setProperty(DataSourceFactory.JDBC_URL, settings.url());
        if (!settings.user().isEmpty()) {
            props.setProperty(DataSourceFactory.JDBC_USER, settings.user());
        }
        if (!settings.password().isEmpty()) {
            props.setProperty(DataSourceFactory.JDBC_PASSWORD, settings.password());
        }
        int connectSeconds = (int) Math.max(1, (settings.connectTimeout() + 999) / 1000);
        if (settings.driverClass().equals(Settings.POSTGRESQL)) {
            // pgjdbc cancels a statement past query.timeout over a new connection and waits for the
            // server to close it, cancelSignalTimeout (10 s) at most, before the statement returns:
            // against a hung server a login waited query.timeout + 10 s. (pgjdbc's factory passes
            // its own properties on; other drivers' factories may refuse unknown ones.)
            props.setProperty("cancelSignalTimeout", Integer.toString(connectSeconds));
        }
        DataSource ds = factory.createDataSource(props);
        ds.setLoginTimeout(connectSeconds);
        try {
            first = new AtomicReference<>(ds.getConnection());
        } catch (SQLException e) {
            throw new SqlFailure.NoConnection(e);
        }
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("posthorn-auth-sql");
        hc.setDataSource(ds);
        hc.setMaximumPoolSize(settings.poolSize());
        hc.setMinimumIdle(1);
        hc.setConnectionTimeout(settings.connectTimeout());
        hc.setValidationTimeout(Math.min(settings.connectTimeout(), 5000));
        hc.setKeepaliveTime(KEEPALIVE_MS);
        // a connection the database dropped is not HikariCP's to report (a WARN line and a stack
        // trace per connection): the backend reports the outage once and replaces the whole pool
        hc.setExceptionOverride(new LeaveLostConnections());
        // start at once even if the database went down since the probe: logins answer Unavailable
        hc.setInitializationFailTimeout(-1);
        try {
            hikari = new HikariDataSource(hc);
        } catch (RuntimeException e) {
            closeFirst();
            throw e;
        }
    }

    /** Leaves connections that lost the database alone: the whole pool goes (see above). */
    private static final class LeaveLostConnections implements SQLExceptionOverride {
        @java.lang.Override
        public SQLExceptionOverride.Override adjudicate(SQLException e) {
            return SqlFailure.lostDatabase(e) ? SQLExceptionOverride.Override.DO_NOT_EVICT
                    : SQLExceptionOverride.Override.CONTINUE_EVICT;
        }
    }

    /**
     * A connection from the pool (at first, the direct one); the caller closes it to give it back.
     *
     * @throws SqlFailure.NoConnection if none came within connect.timeout though not all were in
     *                                 use: the database refuses or does not answer
     * @throws SQLException            if every connection stayed in use (the database is busy, not gone)
     */
    Connection connection() throws SQLException {
        Connection c = first.getAndSet(null);
        if (c != null) {
            return c;
        }
        try {
            return hikari.getConnection();
        } catch (SQLException e) {
            HikariPoolMXBean pool = hikari.getHikariPoolMXBean();
            if (pool != null && pool.getActiveConnections() >= settings.poolSize()) {
                throw e;
            }
            throw new SqlFailure.NoConnection(e);
        }
    }

    /** Marks the pool as having lost the database: the backend makes a new one before the next use. */
    void distrust() {
        distrusted = true;
    }

    boolean distrusted() {
        return distrusted;
    }

    DataSourceFactory factory() {
        return factory;
    }

    Settings settings() {
        return settings;
    }

    /** Closes every connection; callers still holding one get it closed under them. */
    @Override
    public void close() {
        closeFirst();
        hikari.close();
    }

    private void closeFirst() {
        Connection c = first.getAndSet(null);
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // it goes either way
            }
        }
    }
}
