package posthorn.auth.sql.internal;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The backend against a real MariaDB server started for this class (~3 s to set up). */
class MariadbBackendTest extends RealServerContract {

    private static MariadbServer server;
    private static TestDatabase db;

    @BeforeAll
    static void startServer() throws Exception {
        server = new MariadbServer();
        server.start();
        TestDatabase admin = new TestDatabase(server.factory, Settings.MARIADB, null, null, null,
                server.url(""), "root", null);
        // the backend's own account may do anything to its database: only bound parameters keep DROP TABLE out
        admin.execute("CREATE DATABASE mail",
                "CREATE USER 'mail'@'127.0.0.1' IDENTIFIED BY 'mail-db-pw'",
                "GRANT ALL ON mail.* TO 'mail'@'127.0.0.1'");
        db = new TestDatabase(server.factory, Settings.MARIADB, server.url("mail"), "mail", "mail-db-pw",
                server.url("mail"), "mail", "mail-db-pw");
        db.createUsers();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Override
    TestDatabase db() {
        return db;
    }

    @Override
    ServerProcess server() {
        return server;
    }

    @Override
    String slowPasswordQuery() {
        return "SELECT crypt, clear FROM users WHERE id = ? AND SLEEP(3) = 0";
    }

    @Override
    String urlWithPort(int port) {
        return "jdbc:mariadb://127.0.0.1:" + port + "/mail";
    }
}
