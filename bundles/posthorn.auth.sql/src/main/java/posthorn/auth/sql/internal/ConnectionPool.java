package posthorn.auth.sql.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

import javax.sql.DataSource;

import org.osgi.service.jdbc.DataSourceFactory;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * A HikariCP pool over a DataSource made by one driver bundle's DataSourceFactory service. Owned by
 * the backend, which closes it when its settings change or the factory goes away. Thread-safe.
 */
final class ConnectionPool implements AutoCloseable {

    private final DataSourceFactory factory;
    private final Settings settings;
    private final HikariDataSource hikari;

    /**
     * Starts the pool. It does not wait for the database: while the database is down the pool keeps
     * trying in the background and {@link #connection()} fails after {@code connect.timeout}.
     *
     * @throws SQLException if the factory refuses the settings (a malformed URL, say)
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
        DataSource ds = factory.createDataSource(props);
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("posthorn-auth-sql");
        hc.setDataSource(ds);
        hc.setMaximumPoolSize(settings.poolSize());
        hc.setMinimumIdle(1);
        hc.setConnectionTimeout(settings.connectTimeout());
        hc.setValidationTimeout(Math.min(settings.connectTimeout(), 5000));
        // start at once even if the database is down: logins answer Unavailable until it is back
        hc.setInitializationFailTimeout(-1);
        hikari = new HikariDataSource(hc);
    }

    /** A connection from the pool; the caller closes it to give it back. */
    Connection connection() throws SQLException {
        return hikari.getConnection();
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
        hikari.close();
    }
}
