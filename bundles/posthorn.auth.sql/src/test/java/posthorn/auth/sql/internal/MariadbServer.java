package posthorn.auth.sql.internal;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.ops4j.pax.jdbc.mariadb.impl.MariaDbDataSourceFactory;
import org.osgi.service.jdbc.DataSourceFactory;

/**
 * A real MariaDB server (Debian package mariadb-server): mariadb-install-db into a temporary
 * directory, then {@code mariadbd} on 127.0.0.1 and a free port, with grant tables (root without a
 * password for the set-up; the backend gets an account of its own).
 */
final class MariadbServer extends ServerProcess {

    final DataSourceFactory factory = new MariaDbDataSourceFactory();

    MariadbServer() {
        super("mariadb");
    }

    MariadbServer start() throws Exception {
        Path install = find("mariadb-server", "mariadb-install-db", "/usr/bin/mariadb-install-db", "mysql_install_db",
                "/usr/bin/mysql_install_db");
        Path server = find("mariadb-server", "mariadbd", "/usr/sbin/mariadbd", "mysqld", "/usr/sbin/mysqld");
        Path data = dir.resolve("data");
        // small InnoDB files: the defaults write ~100 MB for a table of twelve rows
        List<String> tuning = List.of("--innodb-log-file-size=4M", "--innodb-buffer-pool-size=16M");
        List<String> init = new ArrayList<>(List.of(install.toString(), "--no-defaults", "--datadir=" + data,
                "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"));
        init.addAll(tuning);
        if (root()) {
            init.add("--user=root");
        }
        run(Duration.ofSeconds(90), init);
        List<String> cmd = new ArrayList<>(List.of(server.toString(), "--no-defaults", "--datadir=" + data,
                "--socket=" + dir.resolve("sock"), "--port=" + port, "--bind-address=127.0.0.1",
                "--pid-file=" + dir.resolve("pid"), "--skip-log-bin", "--skip-name-resolve",
                "--log-error=" + dir.resolve("error.log")));
        cmd.addAll(tuning);
        if (root()) {
            cmd.add("--user=root");
        }
        start(cmd, Duration.ofSeconds(60));
        return this;
    }

    String url(String database) {
        return "jdbc:mariadb://127.0.0.1:" + port + "/" + database;
    }

    @Override
    Connection connect() throws Exception {
        Properties p = new Properties();
        p.setProperty(DataSourceFactory.JDBC_URL, url(""));
        p.setProperty(DataSourceFactory.JDBC_USER, "root");
        return factory.createDataSource(p).getConnection();
    }

    Path errorLog() {
        return dir.resolve("error.log");
    }
}
