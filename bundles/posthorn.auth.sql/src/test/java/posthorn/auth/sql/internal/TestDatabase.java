package posthorn.auth.sql.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

import org.osgi.service.jdbc.DataSourceFactory;

/**
 * A database the tests run the backend against: the driver's real DataSourceFactory (the class its
 * bundle registers in the runtime), the backend's account, and an admin account to set it up.
 */
record TestDatabase(DataSourceFactory factory, String driverClass, String url, String user, String password,
                    String adminUrl, String adminUser, String adminPassword) {

    Connection admin() throws SQLException {
        Properties p = new Properties();
        p.setProperty(DataSourceFactory.JDBC_URL, adminUrl);
        if (adminUser != null) {
            p.setProperty(DataSourceFactory.JDBC_USER, adminUser);
        }
        if (adminPassword != null) {
            p.setProperty(DataSourceFactory.JDBC_PASSWORD, adminPassword);
        }
        return factory.createDataSource(p).getConnection();
    }

    void execute(String... statements) throws SQLException {
        try (Connection c = admin(); Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }

    /** Creates the users table the tests expect, as the backend's account would see it. */
    void createUsers() throws SQLException {
        execute("""
                CREATE TABLE users (
                  id VARCHAR(128) NOT NULL PRIMARY KEY,
                  crypt VARCHAR(200),
                  clear VARCHAR(200),
                  home VARCHAR(200),
                  maildir VARCHAR(200),
                  uid INTEGER,
                  gid INTEGER,
                  quota VARCHAR(40)
                )""");
        try (Connection c = admin(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO users (id, crypt, clear, home, maildir, uid, gid, quota) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (Fixtures.User u : Fixtures.USERS) {
                ps.setString(1, u.id());
                ps.setString(2, u.crypt());
                ps.setString(3, u.clear());
                ps.setString(4, "/home/" + u.id());
                ps.setString(5, u.id().equals("alice") ? "/var/mail/alice/Maildir" : null);
                ps.setInt(6, u.uid());
                ps.setInt(7, 100);
                ps.setString(8, u.id().equals("alice") ? "100000000S" : null);
                ps.executeUpdate();
            }
        }
    }

    long count(String table) throws SQLException {
        try (Connection c = admin(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
