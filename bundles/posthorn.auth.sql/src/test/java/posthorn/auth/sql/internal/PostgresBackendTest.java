package posthorn.auth.sql.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import posthorn.auth.api.Verdict;

/** The backend against a real PostgreSQL server started for this class (~3 s to set up). */
class PostgresBackendTest extends RealServerContract {

    private static PostgresServer server;
    private static TestDatabase db;

    @BeforeAll
    static void startServer() throws Exception {
        server = new PostgresServer();
        server.start();
        TestDatabase admin = new TestDatabase(server.factory, Settings.POSTGRESQL, null, null, null,
                server.url("postgres"), "postgres", PostgresServer.SUPERUSER_PASSWORD);
        admin.execute("CREATE ROLE mail LOGIN PASSWORD 'mail-db-pw'", "CREATE DATABASE mail OWNER mail");
        // the backend's own account owns the table: only bound parameters keep DROP TABLE out
        db = new TestDatabase(server.factory, Settings.POSTGRESQL, server.url("mail"), "mail", "mail-db-pw",
                server.url("mail"), "mail", "mail-db-pw");
        db.createUsers();
        // hashes made by PostgreSQL's own crypt() (pgcrypto), an implementation independent of ours
        new TestDatabase(server.factory, Settings.POSTGRESQL, null, null, null, server.url("mail"), "postgres",
                PostgresServer.SUPERUSER_PASSWORD).execute("CREATE EXTENSION pgcrypto");
        db.execute("""
                INSERT INTO users (id, crypt, home, uid, gid) VALUES
                  ('pg-bf', crypt('bf by pg', gen_salt('bf', 5)), '/home/pg-bf', 2001, 100),
                  ('pg-md5', crypt('md5 by pg', gen_salt('md5')), '/home/pg-md5', 2002, 100),
                  ('pg-des', crypt('des-pg', gen_salt('des')), '/home/pg-des', 2003, 100)""");
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
        return "SELECT crypt, clear FROM users, pg_sleep(3) WHERE id = ?";
    }

    @Override
    String urlWithPort(int port) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/mail";
    }

    @Test
    void hashesMadeByPgcryptoWork() {
        SqlBackend b = backend();
        assertEquals(Verdict.Success.class, verify(b, "pg-bf", "bf by pg").getClass());
        assertEquals(Verdict.Success.class, verify(b, "pg-md5", "md5 by pg").getClass());
        assertEquals(Verdict.Success.class, verify(b, "pg-des", "des-pg").getClass());
        assertEquals(Verdict.WrongPassword.class, verify(b, "pg-bf", "bf by PG").getClass());
    }
}
