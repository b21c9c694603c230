package posthorn.auth.sql.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

import org.osgi.service.jdbc.DataSourceFactory;
import org.postgresql.osgi.PGDataSourceFactory;

/**
 * A real PostgreSQL server (Debian package postgresql): initdb into a temporary directory, then
 * {@code postgres} on 127.0.0.1 and a free port, password (SCRAM) authentication over TCP.
 * PostgreSQL refuses to run as root, so as root both run as the {@code postgres} system user
 * (setpriv), in a directory that user owns.
 */
final class PostgresServer extends ServerProcess {

    static final String SUPERUSER_PASSWORD = "pg-admin-pw";
    final DataSourceFactory factory = new PGDataSourceFactory();

    PostgresServer() {
        super("pg");
    }

    static Path binDir() {
        Path base = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(base)) {
            try (Stream<Path> versions = Files.list(base)) {
                for (Path v : versions.sorted(Comparator.comparing((Path p) -> version(p)).reversed()).toList()) {
                    if (Files.isExecutable(v.resolve("bin/postgres")) && Files.isExecutable(v.resolve("bin/initdb"))) {
                        return v.resolve("bin");
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        Path postgres = find("postgresql", "postgres");
        return postgres.getParent();
    }

    private static int version(Path p) {
        try {
            return Integer.parseInt(p.getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Runs initdb and starts the server. */
    PostgresServer start() throws Exception {
        Path bin = binDir();
        List<String> as = new ArrayList<>();
        if (root()) {
            UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(dir, postgres);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            as.addAll(List.of(find("util-linux", "setpriv", "/usr/bin/setpriv").toString(),
                    "--reuid=postgres", "--regid=postgres", "--init-groups", "--"));
        }
        Path pw = dir.resolve("pwfile");
        Files.writeString(pw, SUPERUSER_PASSWORD + "\n");
        if (root()) {
            Files.setOwner(pw, dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres"));
        }
        List<String> initdb = new ArrayList<>(as);
        initdb.addAll(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "postgres",
                "--pwfile=" + pw, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale",
                "--no-sync", "--no-instructions"));
        run(Duration.ofSeconds(90), initdb);
        List<String> postgres = new ArrayList<>(as);
        postgres.addAll(List.of(bin.resolve("postgres").toString(), "-D", dir.resolve("data").toString(),
                "-p", Integer.toString(port), "-k", dir.toString(), "-h", "127.0.0.1",
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "shared_buffers=16MB", "-c", "max_connections=40"));
        start(postgres, Duration.ofSeconds(60));
        return this;
    }

    /**
     * SIGINT, PostgreSQL's fast shutdown: SIGTERM would wait for every open session, and the pools
     * of the backends under test still hold some.
     */
    @Override
    void signalStop(Process p) throws Exception {
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start().waitFor();
    }

    String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    @Override
    Connection connect() throws Exception {
        Properties p = new Properties();
        p.setProperty(DataSourceFactory.JDBC_URL, url("postgres"));
        p.setProperty(DataSourceFactory.JDBC_USER, "postgres");
        p.setProperty(DataSourceFactory.JDBC_PASSWORD, SUPERUSER_PASSWORD);
        return factory.createDataSource(p).getConnection();
    }
}
