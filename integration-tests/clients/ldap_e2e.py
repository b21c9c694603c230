#!/usr/bin/env python3
"""End-to-end: a real IMAP client logs in through a real OpenLDAP slapd.

Starts slapd (Debian package slapd) on a free loopback port with its own slapd.conf, mdb database,
users and self-signed certificate in a temporary directory; then `./posthorn run` with a copy of
config/ whose auth chain is `backends=ldap` and whose auth.ldap.cfg points at that slapd (StartTLS,
the service account's password through $[secret:...]); then logs in with imaplib via LOGIN and
AUTHENTICATE PLAIN, switches the backend's mode (bind, dn, compare) by rewriting auth.ldap.cfg
while the server runs, and stops both. Prints 'ldap-e2e: N passed, N failed'; exits non-zero on
any failure, and when slapd is not installed (tools/test-deps installs it).

Usage: ldap_e2e.py [-k NAME]   (run only the tests whose name contains NAME)
"""
import imaplib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SLAPPASSWD = "/usr/sbin/slappasswd"
BASE = "dc=example,dc=org"
PEOPLE = "ou=people," + BASE
PASSWORDS = {"alice": "alice secret", "bob": "bob secret", "admin": "admin secret"}


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import free_port  # noqa: E402  (ports below the ephemeral range)


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


class Slapd:
    """One slapd process with its own configuration and database under work/slapd."""

    def __init__(self, work):
        self.dir = os.path.join(work, "slapd")
        self.home = os.path.join(work, "home")
        os.makedirs(os.path.join(self.dir, "db"))
        self.port = free_port()
        d = self.dir
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", d + "/server.key", "-out", d + "/server.pem")
        with open(d + "/test.schema", "w") as f:
            f.write("attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'mailMessageStore' EQUALITY caseExactIA5Match "
                    "SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )\n"
                    "objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'posthornMailUser' SUP top AUXILIARY "
                    "MAY mailMessageStore )\n")
        with open(d + "/slapd.conf", "w") as f:
            f.write(f"""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
include {d}/test.schema
pidfile {d}/slapd.pid
argsfile {d}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCertificateFile {d}/server.pem
TLSCertificateKeyFile {d}/server.key
database mdb
maxsize 10485760
suffix "{BASE}"
rootdn "cn=admin,{BASE}"
rootpw admin-pw
directory {d}/db
access to attrs=userPassword by self read by dn.exact="cn=reader,{BASE}" read by anonymous auth by * none
access to * by * read
""")
        entries = [f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n",
                   f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
                   f"dn: cn=reader,{BASE}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
                   "cn: reader\nuserPassword: reader secret\n"]
        for n, (uid, pw) in enumerate(PASSWORDS.items()):
            stored = pw if uid == "bob" else run(SLAPPASSWD, "-s", pw, "-h", "{SSHA}")
            home = os.path.join(self.home, uid)
            for sub in ("cur", "new", "tmp"):
                os.makedirs(os.path.join(home, "Maildir", sub))
            entries.append(f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n"
                           f"objectClass: posthornMailUser\nuid: {uid}\ncn: {uid}\nsn: {uid}\n"
                           f"uidNumber: {2000 + n}\ngidNumber: 100\nhomeDirectory: {home}\n"
                           f"mailMessageStore: Maildir\nuserPassword: {stored}\n")
        with open(d + "/data.ldif", "w") as f:
            f.write("\n".join(entries))
        run(SLAPADD, "-q", "-f", d + "/slapd.conf", "-l", d + "/data.ldif")
        self.log = open(d + "/slapd.log", "wb")
        self.proc = subprocess.Popen([SLAPD, "-h", f"ldap://127.0.0.1:{self.port}/", "-f", d + "/slapd.conf",
                                      "-d", "0"], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise AssertionError("slapd did not start: " + open(d + "/slapd.log").read())
                time.sleep(0.05)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Server:
    """./posthorn run with a copy of config/ whose chain is the LDAP backend."""

    def __init__(self, work, slapd):
        self.port = free_port()
        self.conf = os.path.join(work, "config")
        self.var = os.path.join(work, "var")
        self.slapd = slapd
        shutil.copytree(os.path.join(TOP, "config"), self.conf, ignore=shutil.ignore_patterns("examples"))
        self.edit("imapd.cfg", lambda t: re.sub(r"(?m)^port=.*$", "port=%d" % self.port, t))
        # IMAPS on a free port too, and a short brute-force delay: many refusals follow here
        # (e2e_session.py tests the delay growing).
        self.edit("imapd.cfg", lambda t: re.sub(r"(?m)^tls\.port=.*$", "tls.port=%d" % free_port(), t)
                  + "auth.delay.base=20\nauth.delay.max=100\n")
        self.edit("auth.cfg", lambda t: re.sub(r"(?m)^backends=.*$", "backends=ldap", t))
        os.makedirs(os.path.join(self.conf, "secrets"), exist_ok=True)
        with open(os.path.join(self.conf, "secrets", "ldap-bind-password"), "w") as f:
            f.write("reader secret")
        self.ldap_config("bind")
        self.err_path = os.path.join(work, "stderr.log")

    def edit(self, name, change):
        path = os.path.join(self.conf, name)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(change(text))

    def ldap_config(self, mode):
        """Writes auth.ldap.cfg for a mode; FileInstall hands the change to the running backend."""
        tmp = os.path.join(self.conf, ".auth.ldap.tmp")
        with open(tmp, "w") as f:
            f.write(f"""url=ldap://127.0.0.1:{self.slapd.port}
starttls=true
ca.file={self.slapd.dir}/server.pem
bind.dn=cn=reader,{BASE}
bind.password=$[secret:ldap-bind-password]
base.dn={BASE}
mode={mode}
dn.template=uid=%u,{PEOPLE}
connect.timeout=2000
response.timeout=5000
credentials.plain=true
""")
        os.replace(tmp, os.path.join(self.conf, "auth.ldap.cfg"))

    def start(self):
        env = dict(os.environ, POSTHORN_VAR=self.var)
        self.err = open(self.err_path, "ab")
        self.proc = subprocess.Popen([os.path.join(TOP, "posthorn"), "run", "--config", self.conf],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.err,
                                     env=env, cwd=TOP)
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited with %s:\n%s" % (self.proc.returncode, self.stderr()[-3000:]))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(200).startswith(b"* OK"):
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("server did not listen in 90 s:\n" + self.stderr()[-3000:])
        # the LDAP backend activates when FileInstall has read auth.ldap.cfg: wait for the chain to bind it
        wait_for(lambda: "auth backend ldap bound" in self.stderr(), "the ldap backend to bind", 30)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.err.close()

    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def imap(self):
        return imaplib.IMAP4("127.0.0.1", self.port, timeout=20)


def wait_for(condition, what, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def quoted(s):
    """An IMAP quoted string (RFC 3501 4.3): imaplib quotes the password but sends the user as is."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def login_ok(server, user, password):
    m = server.imap()
    try:
        m.login(quoted(user), password)
        typ, data = m.select("INBOX")
        assert typ == "OK", (typ, data)
        m.logout()
        return True
    except imaplib.IMAP4.error:
        return False


def authenticate_plain_ok(server, user, password):
    m = server.imap()
    try:
        m.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (user, password)).encode())
        typ, _ = m.select("INBOX")
        m.logout()
        return typ == "OK"
    except imaplib.IMAP4.error:
        return False


def test_login_search_then_bind(s):
    assert login_ok(s, "alice", PASSWORDS["alice"]), "alice ({SSHA}) should log in"
    assert login_ok(s, "bob", PASSWORDS["bob"]), "bob (clear) should log in"


def test_authenticate_plain(s):
    assert authenticate_plain_ok(s, "alice", PASSWORDS["alice"])
    assert not authenticate_plain_ok(s, "alice", "wrong")


def test_wrong_password_and_unknown_user(s):
    assert not login_ok(s, "alice", "wrong")
    assert not login_ok(s, "alice", "")
    assert not login_ok(s, "nobody", PASSWORDS["alice"])


def test_injection_attempts_fail(s):
    users = ("*", "*)(uid=*", "admin)(|(uid=*", "\\2a", "admin*", "*)(|(objectClass=*)", "admin\\")
    for user in users:
        for pw in (PASSWORDS["admin"], PASSWORDS["alice"]):
            assert not login_ok(s, user, pw), "LOGIN as %r succeeded" % user
            assert not authenticate_plain_ok(s, user, pw), "AUTHENTICATE PLAIN as %r succeeded" % user
    # the attempts reached the directory (not refused by the IMAP parser) and found no one
    log = s.stderr()
    for user in users:
        assert ("auth user=%s result=no-such-user" % user) in log, "no auth line for %r" % user


def test_record_from_ldap_opens_the_users_maildir(s):
    home = os.path.join(s.slapd.home, "bob", "Maildir")
    with open(os.path.join(home, "new", "1700000000.1.e2e"), "wb") as f:
        f.write(b"From: e2e@example.org\r\nSubject: via ldap\r\n\r\nhello\r\n")
    m = s.imap()
    m.login("bob", PASSWORDS["bob"])
    typ, data = m.select("INBOX")
    assert typ == "OK" and data[0] == b"1", data
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert b"via ldap" in data[0][1], data
    m.logout()


def test_mode_dn_then_compare_without_restart(s):
    for mode in ("dn", "compare"):
        s.ldap_config(mode)
        wait_for(lambda: ("mode=" + mode) in s.stderr(), "auth.ldap mode=" + mode, 30)
        assert login_ok(s, "alice", PASSWORDS["alice"]), mode + ": alice"
        assert login_ok(s, "bob", PASSWORDS["bob"]), mode + ": bob"
        assert not login_ok(s, "bob", PASSWORDS["alice"]), mode + ": wrong password"
        assert not login_ok(s, "*)(uid=*", PASSWORDS["admin"]), mode + ": injection"
    s.ldap_config("bind")
    wait_for(lambda: s.stderr().count("mode=bind") >= 2, "auth.ldap mode=bind", 30)


def test_cram_md5_with_clear_ldap_password(s):
    """CRAM-MD5 (RFC 2195) from a clear userPassword, which credentials.plain=true hands out; a user
    whose password is hashed ({SSHA}) cannot use it."""
    m = s.imap()
    assert "AUTH=CRAM-MD5" in m.capabilities, m.capabilities
    typ, _ = m.login_cram_md5("bob", PASSWORDS["bob"])
    assert typ == "OK"
    m.logout()
    m = s.imap()
    try:
        m.login_cram_md5("alice", PASSWORDS["alice"])
        raise AssertionError("CRAM-MD5 worked for a hashed userPassword")
    except imaplib.IMAP4.error as e:
        assert "AUTHENTICATIONFAILED" in str(e), e
    m.logout()


def test_no_password_in_the_log(s):
    log = s.stderr()
    for secret in list(PASSWORDS.values()) + ["reader secret"]:
        assert secret not in log, "password %r in the server log" % secret


def main():
    only = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "-k" else None
    for prog in (SLAPD, SLAPADD, SLAPPASSWD):
        if not os.access(prog, os.X_OK):
            print("ldap-e2e: %s is not installed; install the Debian packages slapd and ldap-utils "
                  "(tools/test-deps does it as root)" % prog, file=sys.stderr)
            print("ldap-e2e: 0 passed, 1 failed")
            return 1
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]
    tests = [(n, f) for n, f in tests if not only or only in n]
    passed = failed = 0
    work = tempfile.mkdtemp(prefix="posthorn-ldap-e2e-")
    slapd = server = None
    try:
        slapd = Slapd(work)
        server = Server(work, slapd)
        server.start()
        for name, test in tests:
            start = time.time()
            try:
                test(server)
                passed += 1
                print("ok   %s (%.1f s)" % (name, time.time() - start))
            except Exception:
                failed += 1
                print("FAIL %s\n%s" % (name, traceback.format_exc()))
    except Exception:
        failed += 1
        print("FAIL setup\n%s" % traceback.format_exc())
        if server is not None and os.path.exists(server.err_path):
            print(server.stderr()[-3000:])
    finally:
        if server is not None and getattr(server, "proc", None) is not None:
            server.stop()
        if slapd is not None:
            slapd.stop()
        if failed == 0:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("ldap-e2e: work directory kept: " + work)
    print("ldap-e2e: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
