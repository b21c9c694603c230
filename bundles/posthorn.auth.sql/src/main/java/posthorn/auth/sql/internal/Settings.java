package posthorn.auth.sql.internal;

import java.time.Duration;
import java.util.Locale;

import posthorn.auth.support.config.BadSetting;
import posthorn.auth.support.health.Reachability;

/**
 * The backend's configuration, checked and translated. Immutable; {@link #toString()} leaves out
 * the password.
 *
 * @param driverClass    the {@code osgi.jdbc.driver.class} of the DataSourceFactory to use
 * @param url            the JDBC URL
 * @param user           database user, or empty to leave it to the URL
 * @param password       database password, or empty
 * @param poolSize       most connections at once
 * @param connectTimeout milliseconds to wait for a connection (a new one or a free one from the pool)
 * @param queryTimeout   seconds a query may run
 * @param passwordQuery  finds the stored password of a login
 * @param userQuery      finds the user record of a login, or {@code null} if none is configured
 * @param defaultDomain  {@code $(domain)} for a login without {@code @}
 * @param downRetry      how long a database that cannot be reached is not asked ({@link Reachability})
 */
record Settings(String driverClass, String url, String user, String password, int poolSize,
                long connectTimeout, int queryTimeout, SqlQuery passwordQuery, SqlQuery userQuery,
                String defaultDomain, Duration downRetry) {

    static final String POSTGRESQL = "org.postgresql.Driver";
    static final String MARIADB = "org.mariadb.jdbc.Driver";
    static final String H2 = "org.h2.Driver";

    /**
     * Builds settings from configured values.
     *
     * @param downRetry seconds, 0 for off
     * @throws BadSetting naming the bad key (never quoting the password)
     */
    static Settings of(String driver, String url, String user, String password, int poolSize,
                       long connectTimeout, int queryTimeout, String passwordQuery, String userQuery,
                       String defaultDomain, int downRetry) {
        if (url == null || url.isBlank()) {
            throw new BadSetting("url", "required (e.g. jdbc:postgresql://127.0.0.1/mail)");
        }
        url = url.trim();
        if (poolSize < 1) {
            throw new BadSetting("pool.size", "must be at least 1");
        }
        if (connectTimeout < 250) {
            throw new BadSetting("connect.timeout", "must be at least 250 (ms)");
        }
        if (queryTimeout < 1) {
            throw new BadSetting("query.timeout", "must be at least 1 (s)");
        }
        return new Settings(driverClass(driver, url), url, user == null ? "" : user.trim(),
                password == null ? "" : password, poolSize, connectTimeout, queryTimeout,
                SqlQuery.parse("password.query", passwordQuery),
                userQuery == null || userQuery.isBlank() ? null : SqlQuery.parse("user.query", userQuery),
                defaultDomain == null ? "" : defaultDomain.trim(), Reachability.downRetry("down.retry", downRetry));
    }

    /**
     * The driver class a {@code driver} value names: {@code postgresql}, {@code mariadb} (or
     * {@code mysql}), {@code h2}, or a driver class as it is; when empty, the one the URL's
     * {@code jdbc:NAME:} prefix names.
     */
    static String driverClass(String driver, String url) {
        String d = driver == null ? "" : driver.trim();
        if (d.isEmpty()) {
            String u = url.toLowerCase(Locale.ROOT);
            if (u.startsWith("jdbc:postgresql:")) {
                return POSTGRESQL;
            } else if (u.startsWith("jdbc:mariadb:") || u.startsWith("jdbc:mysql:")) {
                return MARIADB;
            } else if (u.startsWith("jdbc:h2:")) {
                return H2;
            }
            throw new BadSetting("driver", "not set, and the url names no driver known here (postgresql, mariadb, h2)");
        }
        return switch (d.toLowerCase(Locale.ROOT)) {
            case "postgresql", "postgres", "pgsql" -> POSTGRESQL;
            case "mariadb", "mysql" -> MARIADB;
            case "h2" -> H2;
            default -> d;
        };
    }

    /** The URL without its query string, which may carry a password: for log lines. */
    String safeUrl() {
        int q = url.indexOf('?');
        int semi = url.startsWith("jdbc:h2:") ? url.indexOf(';') : -1; // H2 puts options after ';'
        int end = q < 0 ? semi : semi < 0 ? q : Math.min(q, semi);
        return end < 0 ? url : url.substring(0, end);
    }

    @Override
    public String toString() {
        return "Settings[driver=" + driverClass + ", url=" + safeUrl() + ", user=" + user + ", pool.size="
                + poolSize + ", connect.timeout=" + connectTimeout + ", query.timeout=" + queryTimeout
                + ", down.retry=" + downRetry.toSeconds() + "]";
    }
}
