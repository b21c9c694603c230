#!/usr/bin/env python3
"""End-to-end: a real IMAP client logs in through a real PostgreSQL and a real MariaDB.

For each database: starts a server of its own on a free loopback port in a temporary directory
(PostgreSQL as the postgres system user, since it refuses root), creates a users table with a
SHA-512 crypt hash for one user and a clear password for another, starts `./posthorn run` with
`backends=sql` and an auth.sql.cfg pointing at it (the database password through $[secret:...]),
then logs in with imaplib via LOGIN and AUTHENTICATE PLAIN, tries SQL injection as user names, and
stops both. Prints 'sql-e2e: N passed, N failed'; exits non-zero on any failure, also when a server
binary is missing (tools/test-deps installs postgresql and mariadb-server).
"""
import glob
import imaplib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import Server, free_port  # noqa: E402

USERS = {"carol": "carol secret", "dave": "dave clear"}


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout.strip()


def wait_port(port, secs=30):
    import socket
    deadline = time.time() + secs
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("database did not listen on %d" % port)


def users_sql(work):
    crypt = run(["openssl", "passwd", "-6", "-salt", "posthornsalt", USERS["carol"]])
    rows = []
    for name, pw_crypt, pw_clear in (("carol", crypt, None), ("dave", None, USERS["dave"])):
        home = os.path.join(work, "mail", name)
        for d in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(home, "Maildir", d), exist_ok=True)
        val = lambda v: "NULL" if v is None else "'" + v.replace("'", "''") + "'"
        rows.append("(%s, %s, %s, %s, %s)" % (val(name), val(pw_crypt), val(pw_clear), val(home),
                                              val(os.path.join(home, "Maildir"))))
    return ("CREATE TABLE users (id VARCHAR(64) PRIMARY KEY, crypt VARCHAR(200), clear VARCHAR(200), "
            "home VARCHAR(300), maildir VARCHAR(300));\n"
            "INSERT INTO users (id, crypt, clear, home, maildir) VALUES %s;\n" % ", ".join(rows))


class Postgres:
    def __init__(self, work):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
        if not bins:
            raise AssertionError("PostgreSQL is not installed: apt-get install postgresql")
        self.bin = os.path.dirname(bins[-1])
        self.dir = os.path.join(work, "pg")
        os.makedirs(self.dir)
        self.port = free_port()
        self.as_pg = []
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_pg = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
        run(self.as_pg + [self.bin + "/initdb", "-D", self.dir + "/data", "-U", "postgres", "--auth-local=trust",
                          "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"])
        self.proc = subprocess.Popen(self.as_pg + [self.bin + "/postgres", "-D", self.dir + "/data", "-p",
                                                   str(self.port), "-k", self.dir, "-h", "127.0.0.1",
                                                   "-c", "fsync=off", "-c", "shared_buffers=16MB"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)
        sql = users_sql(work)
        def psql(user, db):
            return self.as_pg + [self.bin + "/psql", "-h", self.dir, "-p", str(self.port), "-U", user, "-d", db,
                                 "-v", "ON_ERROR_STOP=1", "-q"]
        for _ in range(50):
            if subprocess.run(psql("postgres", "postgres") + ["-c", "SELECT 1"], capture_output=True).returncode == 0:
                break
            time.sleep(0.2)
        run(psql("postgres", "postgres") + ["-c", "CREATE USER mail PASSWORD 'mail-db-pw'"])
        run(psql("postgres", "postgres") + ["-c", "CREATE DATABASE mail OWNER mail"])
        run(psql("mail", "mail"), input=sql)
        self.url = "jdbc:postgresql://127.0.0.1:%d/mail" % self.port

    def stop(self):
        self.proc.terminate()
        self.proc.wait(20)


class Mariadb:
    def __init__(self, work):
        mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        if not os.path.exists(mariadbd):
            raise AssertionError("MariaDB is not installed: apt-get install mariadb-server")
        self.dir = os.path.join(work, "maria")
        os.makedirs(self.dir)
        self.port = free_port()
        sock = self.dir + "/sock"
        run(["mariadb-install-db", "--no-defaults", "--datadir=" + self.dir + "/data", "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db"])
        self.proc = subprocess.Popen([mariadbd, "--no-defaults", "--datadir=" + self.dir + "/data", "--user=root",
                                      "--socket=" + sock, "--port=%d" % self.port, "--bind-address=127.0.0.1",
                                      "--skip-log-bin", "--innodb-buffer-pool-size=16M",
                                      "--pid-file=" + self.dir + "/pid"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)
        client = ["mariadb", "--no-defaults", "--socket=" + sock, "-uroot"]
        run(client, input="CREATE DATABASE mail; CREATE USER 'mail'@'127.0.0.1' IDENTIFIED BY 'mail-db-pw'; "
                          "GRANT SELECT ON mail.* TO 'mail'@'127.0.0.1';")
        run(client + ["mail"], input=users_sql(work))
        self.url = "jdbc:mariadb://127.0.0.1:%d/mail" % self.port

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


def configure(srv, db):
    # Many refusals from one address follow: keep the brute-force delay short (e2e_session.py
    # tests it growing).
    with open(os.path.join(srv.conf, "imapd.cfg"), "a") as f:
        f.write("auth.delay.base=20\nauth.delay.max=100\n")
    with open(os.path.join(srv.conf, "auth.cfg"), "w") as f:
        f.write("backends=sql\n")
    os.makedirs(os.path.join(srv.conf, "secrets"), exist_ok=True)
    with open(os.path.join(srv.conf, "secrets", "sql-password"), "w") as f:
        f.write("mail-db-pw")
    with open(os.path.join(srv.conf, "auth.sql.cfg"), "w") as f:
        f.write("url=%s\nuser=mail\npassword=$[secret:sql-password]\n"
                "password.query=SELECT crypt, clear, home, maildir FROM users WHERE id = ?\n"
                "user.query=SELECT home, maildir FROM users WHERE id = ?\n" % db.url)


def wait_bound(srv):
    deadline = time.time() + 30
    while time.time() < deadline:
        if "auth backend sql bound" in srv.stderr():
            return
        time.sleep(0.2)
    raise AssertionError("sql backend never bound:\n" + srv.stderr()[-3000:])


def check_logins(srv):
    for user, pw in USERS.items():
        m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
        m.login(user, pw)
        assert m.select("INBOX")[0] == "OK"
        m.logout()
        m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
        typ, _ = m.authenticate("PLAIN", lambda c, u=user, p=pw: ("\0%s\0%s" % (u, p)).encode())
        assert typ == "OK", (user, typ)
        m.logout()
    # CRAM-MD5 from the clear column (RFC 2195): offered because the SQL backend supplies PLAIN
    # credentials, and carol (a crypt hash only) cannot use it.
    m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
    assert "AUTH=CRAM-MD5" in m.capabilities, m.capabilities
    typ, _ = m.login_cram_md5("dave", USERS["dave"])
    assert typ == "OK"
    m.logout()
    m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
    try:
        m.login_cram_md5("carol", USERS["carol"])
        raise AssertionError("CRAM-MD5 worked for a user with only a crypt hash")
    except imaplib.IMAP4.error as e:
        assert "AUTHENTICATIONFAILED" in str(e), e
    m.logout()
    log = srv.stderr()
    assert "auth user=carol backend=sql result=ok" in log and "auth user=dave backend=sql result=ok" in log, log[-2000:]
    for secret in USERS.values():
        assert secret not in log, "a password reached the log"


def check_refusals(srv):
    attempts = [("carol", "wrong"), ("' OR '1'='1", "x"), ("carol'--", "x"), ("x'; DROP TABLE users; --", "x"),
                ("' OR 1=1 LIMIT 1 -- ", "' OR '1'='1")]
    for user, pw in attempts:
        m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
        try:
            # Quoted by hand: imaplib sends LOGIN's arguments as they are.
            typ, data = m._simple_command("LOGIN", '"' + user.replace("\\", "\\\\").replace('"', '\\"') + '"',
                                          '"' + pw.replace('"', '\\"') + '"')
            assert typ == "NO" and b"AUTHENTICATIONFAILED" in data[0], (user, typ, data)
        finally:
            m.logout()
    # The table is still there: the right password still works.
    m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
    m.login("carol", USERS["carol"])
    m.logout()


def main():
    passed = failed = 0
    for name, kind in (("postgresql", Postgres), ("mariadb", Mariadb)):
        work = tempfile.mkdtemp(prefix="posthorn-sql-%s-" % name)
        os.chmod(work, 0o711)  # the postgres user must reach its data directory inside
        db = srv = None
        try:
            start = time.time()
            db = kind(work)
            srv = Server(work, free_port())
            configure(srv, db)
            srv.start()
            wait_bound(srv)
            for t in (check_logins, check_refusals):
                t(srv)
            passed += 1
            print("PASS %s (%.1f s)" % (name, time.time() - start), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s\n%s" % (name, traceback.format_exc()), flush=True)
            if srv:
                print("\n".join(srv.stderr().splitlines()[-40:]))
        finally:
            if srv and srv.proc and srv.proc.poll() is None:
                srv.stop()
            if db:
                db.stop()
            if not failed:
                shutil.rmtree(work, ignore_errors=True)
    print("sql-e2e: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
