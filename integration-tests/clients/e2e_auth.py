#!/usr/bin/env python3
"""End-to-end tests of the auth backends and mechanisms with real clients and real tools.

Starts `./posthorn run` (as e2e.py does) with the chain `userdb, passwd, checkpassword`:
- a userdb file written by Courier's own `userdb` and `userdbpw` (with an hmac-md5pw for
  CRAM-MD5), and an account added with `./posthorn userdb` and `./posthorn pw`, also while the
  server runs;
- a passwd + shadow pair of its own, its hashes made by `openssl passwd -6` and `mkpasswd`
  (bcrypt, yescrypt);
- a site's own checkpassword program (auth.checkpassword, last in the chain).
Then logs in with Python's imaplib (LOGIN, AUTHENTICATE PLAIN, CRAM-MD5) and curl (CRAM-MD5), and
checks refusals and the log. Prints 'e2e-auth: N passed, N failed'; exits non-zero on a failure.
Needs Debian packages courier-authlib-userdb, whois (mkpasswd), openssl (tools/test-deps).

Usage: e2e_auth.py [-k NAME]
"""
import imaplib
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import TOP, run_with_setup  # noqa: E402


def tool(name):
    """A Debian tool by name, also where /usr/sbin is not on PATH."""
    path = shutil.which(name) or ("/usr/sbin/" + name if os.path.exists("/usr/sbin/" + name) else None)
    if not path:
        raise AssertionError("%s is not installed (run tools/test-deps)" % name)
    return path


def run(cmd, stdin=""):
    r = subprocess.run(cmd, input=stdin.encode(), capture_output=True, cwd=TOP)
    assert r.returncode == 0, "%s: %s" % (cmd, r.stderr.decode(errors="replace"))
    return r.stdout.decode().strip()


def posthorn(*args, stdin="", env=None):
    r = subprocess.run([os.path.join(TOP, "posthorn")] + list(args), input=stdin.encode(), capture_output=True,
                       cwd=TOP, env=dict(os.environ, **(env or {})))
    assert r.returncode == 0, "posthorn %s: %s" % (args, r.stderr.decode(errors="replace")[-2000:])
    return r.stdout.decode().strip()


def add_userdb_user(userdb, homes, name, *fields):
    """A userdb account NAME with password NAME-pw (SHA-512 crypt) and its home under homes; the
    Maildir itself is the caller's. Returns the home."""
    home = os.path.join(homes, name)
    posthorn("userdb", "-f", userdb, name, "set", "home=" + home, "mail=" + os.path.join(home, "Maildir"), *fields)
    posthorn("userdb", "-f", userdb, name, "set", "systempw", stdin=posthorn("pw", stdin=name + "-pw\n") + "\n")
    return home


def use_userdb_only(conf, userdb):
    """The server's configuration: the userdb file as the only backend, no demo account."""
    with open(os.path.join(conf, "auth.cfg"), "w") as f:
        f.write("backends=userdb\n")
    with open(os.path.join(conf, "auth.userdb.cfg"), "w") as f:
        f.write("file=%s\ndemo=false\n" % userdb)


def make_maildir(home, subject):
    md = os.path.join(home, "Maildir")
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, d), exist_ok=True)
    name = "%d.M1P%d.e2e-auth" % (time.time(), os.getpid())
    with open(os.path.join(md, "new", name), "w") as f:
        f.write("From: t@example.org\nTo: u@example.org\nSubject: %s\nMessage-ID: <%s@e2e>\n\nHi.\n" % (subject, name))


class Setup:
    """The accounts and files, made before the server starts."""

    def __init__(self, work):
        self.work = work
        self.userdb = os.path.join(work, "userdb")
        self.passwd = os.path.join(work, "passwd")
        self.shadow = os.path.join(work, "shadow")
        self.homes = os.path.join(work, "home")
        userdb, userdbpw = tool("userdb"), tool("userdbpw")

        # Courier's tools: 'cora' with an MD5 crypt for LOGIN and an hmac-md5pw for CRAM-MD5
        home = os.path.join(self.homes, "cora")
        run([userdb, "-f", self.userdb, "cora", "set", "home=" + home, "uid=2000", "gid=2000"])
        run([userdb, "-f", self.userdb, "cora", "set", "systempw"], run([userdbpw, "-md5"], "cora-pw\n") + "\n")
        run([userdb, "-f", self.userdb, "cora", "set", "hmac-md5pw"], run([userdbpw, "-hmac-md5"], "cora-pw\n") + "\n")
        make_maildir(home, "for cora")
        # Posthorn's tools: 'toby', SHA-512 and hmac-md5pw
        home = os.path.join(self.homes, "toby")
        posthorn("userdb", "-f", self.userdb, "toby", "set", "home=" + home, "mail=" + os.path.join(home, "Maildir"))
        posthorn("userdb", "-f", self.userdb, "toby", "set", "systempw", stdin=posthorn("pw", stdin="toby-pw\n") + "\n")
        posthorn("userdb", "-f", self.userdb, "toby", "set", "hmac-md5pw",
                 stdin=posthorn("pw", "-hmac-md5", stdin="toby-pw\n") + "\n")
        make_maildir(home, "for toby")

        # passwd + shadow, as useradd and chpasswd would leave them
        mkpasswd = tool("mkpasswd")
        users = [  # name, uid, shadow hash, shadow expiry
            ("root", 0, run(["openssl", "passwd", "-6", "root-pw"]), ""),
            ("pat", 1000, run(["openssl", "passwd", "-6", "pat-pw"]), ""),
            ("bea", 1001, run([mkpasswd, "-m", "bcrypt", "bea-pw"]), ""),
            ("yan", 1002, run([mkpasswd, "-m", "yescrypt", "yan-pw"]), ""),
            ("exa", 1003, run(["openssl", "passwd", "-6", "exa-pw"]), "1"),
        ]
        with open(self.passwd, "w") as p, open(self.shadow, "w") as s:
            for name, uid, h, expire in users:
                home = os.path.join(self.homes, name)
                p.write("%s:x:%d:%d::%s:/bin/sh\n" % (name, uid, uid, home))
                s.write("%s:%s:19000:0:99999:7::%s:\n" % (name, h, expire))
                make_maildir(home, "for " + name)
        os.chmod(self.shadow, 0o600)

        # A site's own checkpassword program (djb's interface: login, password, timestamp on fd 3),
        # knowing one account, 'cleo', whose home it sets before running the program it is given.
        self.checkpassword = os.path.join(work, "site-checkpassword")
        home = os.path.join(self.homes, "cleo")
        with open(self.checkpassword, "w") as f:
            f.write("#!/bin/sh\n"
                    "input=$(head -c 512 <&3 | tr '\\000' '\\n')\n"
                    "user=$(printf '%%s\\n' \"$input\" | sed -n 1p)\n"
                    "pass=$(printf '%%s\\n' \"$input\" | sed -n 2p)\n"
                    "[ \"$user\" = cleo ] || exit 3\n"
                    "[ \"$pass\" = cleo-pw ] || exit 1\n"
                    "HOME=%s USER=cleo; export HOME USER\n"
                    "exec \"$@\"\n" % home)
        os.chmod(self.checkpassword, 0o700)
        make_maildir(home, "for cleo")

    def configure(self, conf):
        def write(name, text):
            with open(os.path.join(conf, name), "w") as f:
                f.write(text)
        write("auth.cfg", "backends=userdb, passwd, checkpassword\nstop.on.wrong.password=true\n")
        write("auth.userdb.cfg", "file=%s\ndemo=false\n" % self.userdb)
        write("auth.passwd.cfg", "passwd.file=%s\nshadow.file=%s\nmin.uid=1000\n" % (self.passwd, self.shadow))
        # min.uid 0: the script does not change user, and CI runs this as root
        write("auth.checkpassword.cfg", "program=%s\ntimeout=5\nmin.uid=0\n" % self.checkpassword)
        # The refusals below are many failed logins from one address: keep the brute-force delay
        # short here (e2e_session.py tests it growing).
        with open(os.path.join(conf, "imapd.cfg"), "a") as f:
            f.write("auth.delay.base=20\nauth.delay.max=100\n")


def imap(srv):
    return imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)


def inbox_subject(m):
    typ, data = m.select("INBOX")
    assert typ == "OK", data
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK", data
    return data[0][1].decode().strip()


def refused(fn):
    try:
        fn()
    except imaplib.IMAP4.error as e:
        return str(e)
    raise AssertionError("login succeeded where it should not")


# ---------------------------------------------------------------------------------------------

def test_cram_md5_offered_and_only_what_backends_can_serve(srv):
    m = imap(srv)
    caps = m.capabilities
    assert "AUTH=CRAM-MD5" in caps, caps
    # userdb holds HMAC-MD5 states and hashes, no clear passwords: nothing else can be served
    for mech in ("AUTH=CRAM-SHA1", "AUTH=CRAM-SHA256", "AUTH=SCRAM-SHA-256"):
        assert mech not in caps, caps
    m.logout()


def test_imaplib_cram_md5_with_courier_made_hmac_md5pw(srv):
    m = imap(srv)
    typ, _ = m.login_cram_md5("cora", "cora-pw")
    assert typ == "OK"
    assert inbox_subject(m) == "Subject: for cora"
    m.logout()
    m = imap(srv)
    assert "AUTHENTICATIONFAILED" in refused(lambda: m.login_cram_md5("cora", "cora-PW"))
    m.logout()


def test_curl_cram_md5(srv):
    url = "imap://127.0.0.1:%d/INBOX;UID=1" % srv.port
    r = subprocess.run(["curl", "-sS", "-v", "--max-time", "20", "--login-options", "AUTH=CRAM-MD5",
                        "-u", "cora:cora-pw", url], capture_output=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert b"AUTHENTICATE CRAM-MD5" in r.stderr, r.stderr[-2000:]
    assert b"Subject: for cora" in r.stdout, r.stdout


def test_posthorn_tools_account_logs_in_every_way(srv):
    m = imap(srv)
    m.login("toby", "toby-pw")
    assert inbox_subject(m) == "Subject: for toby"
    m.logout()
    m = imap(srv)
    assert m.login_cram_md5("toby", "toby-pw")[0] == "OK"
    m.logout()
    # Courier's own tool reads the file both tools wrote
    out = run([tool("userdb"), "-show", "-f", srv.setup.userdb])
    assert out.split() == ["cora", "toby"], out


def test_account_added_while_running_logs_in(srv):
    home = os.path.join(srv.setup.homes, "newt")
    make_maildir(home, "for newt")
    posthorn("userdb", "-f", srv.setup.userdb, "newt", "set", "home=" + home, "systempw",
             stdin=posthorn("pw", "-bcrypt", stdin="newt-pw\n") + "\n")
    deadline = time.time() + 10
    while True:
        m = imap(srv)
        try:
            m.login("newt", "newt-pw")
            break
        except imaplib.IMAP4.error:
            m.logout()
            if time.time() > deadline:
                raise
            time.sleep(0.5)
    assert inbox_subject(m) == "Subject: for newt"
    m.logout()


def test_passwd_login_and_authenticate_plain(srv):
    for user in ("pat", "bea"):
        m = imap(srv)
        m.login(user, user + "-pw")
        assert inbox_subject(m) == "Subject: for " + user, user
        m.logout()
        m = imap(srv)
        typ, _ = m.authenticate("PLAIN", lambda _c, u=user: ("\0%s\0%s-pw" % (u, u)).encode())
        assert typ == "OK"
        assert inbox_subject(m) == "Subject: for " + user, user
        m.logout()
        assert re.search(r"auth user=%s backend=passwd result=ok" % user, srv.stderr()), "not served by passwd"


def test_passwd_refusals(srv):
    for user, pw in (("pat", "pat-PW"), ("root", "root-pw"), ("yan", "yan-pw"), ("exa", "exa-pw"), ("bea", "")):
        m = imap(srv)
        err = refused(lambda: m.login(user, pw) if pw else
                      m.authenticate("PLAIN", lambda _c: ("\0%s\0" % user).encode()))
        assert "AUTHENTICATIONFAILED" in err, (user, err)
        m.logout()
    log = srv.stderr()
    assert re.search(r"user yan has a yescrypt \(\$y\$\) hash", log), "no yescrypt log line"
    assert "reason=\"account expired\"" in log, "expiry not logged"


def test_checkpassword_program_login_and_refusals(srv):
    """Issue 13: a checkpassword program as the last backend of the chain."""
    m = imap(srv)
    m.login("cleo", "cleo-pw")
    assert inbox_subject(m) == "Subject: for cleo"
    m.logout()
    m = imap(srv)
    typ, _ = m.authenticate("PLAIN", lambda _c: b"\0cleo\0cleo-pw")
    assert typ == "OK"
    m.logout()
    assert re.search(r"auth user=cleo backend=checkpassword result=ok", srv.stderr()), "not served by checkpassword"
    for user, pw in (("cleo", "cleo-PW"), ("nobody-here", "x")):
        m = imap(srv)
        err = refused(lambda: m.login(user, pw))
        assert "AUTHENTICATIONFAILED" in err, (user, err)
        m.logout()
    assert "cleo-PW" not in srv.stderr() and "cleo-pw" not in srv.stderr(), "a password reached the log"


def set_passwd_config(srv, min_uid):
    """Rewrites auth.passwd.cfg (as an operator would) and waits until the chain has seen the change."""
    before = srv.stderr().count("auth backend passwd reconfigured")
    with open(os.path.join(srv.conf, "auth.passwd.cfg"), "w") as f:
        f.write("passwd.file=%s\nshadow.file=%s\nmin.uid=%d\n" % (srv.setup.passwd, srv.setup.shadow, min_uid))
    deadline = time.time() + 20
    while srv.stderr().count("auth backend passwd reconfigured") == before:
        assert time.time() < deadline, "the change of auth.passwd.cfg was not seen:\n" + srv.stderr()[-2000:]
        time.sleep(0.2)


def test_remembered_login_is_dropped_when_a_backend_is_reconfigured(srv):
    """Issue 10: the 60 s cache of successful logins survived a change of a backend's configuration
    (a narrowed LDAP filter still let the user in "(cached)"). Here the narrowing is passwd's
    min.uid, past pat's uid 1000."""
    for _ in range(2):
        m = imap(srv)
        m.login("pat", "pat-pw")
        m.logout()
    assert re.search(r"auth user=pat backend=passwd result=ok \(cached\)", srv.stderr()), "the login was not cached"
    set_passwd_config(srv, 1001)
    try:
        m = imap(srv)
        err = refused(lambda: m.login("pat", "pat-pw"))
        assert "AUTHENTICATIONFAILED" in err, err
        m.logout()
    finally:
        set_passwd_config(srv, 1000)
    m = imap(srv)
    m.login("pat", "pat-pw")
    m.logout()


def test_no_password_or_secret_in_the_log(srv):
    log = srv.stderr()
    for secret in ("cleo-pw", "cora-pw", "toby-pw", "pat-pw", "bea-pw", "newt-pw", "yan-pw", "root-pw", "exa-pw"):
        assert secret not in log, secret
    with open(srv.setup.userdb) as f:
        for line in f:
            for field in line.strip().split("\t", 1)[1].split("|"):
                if field.startswith(("systempw=", "hmac-md5pw=")):
                    assert field.split("=", 1)[1] not in log, "a hash reached the log"


TESTS = [
    test_cram_md5_offered_and_only_what_backends_can_serve,
    test_imaplib_cram_md5_with_courier_made_hmac_md5pw,
    test_curl_cram_md5,
    test_posthorn_tools_account_logs_in_every_way,
    test_account_added_while_running_logs_in,
    test_passwd_login_and_authenticate_plain,
    test_passwd_refusals,
    test_checkpassword_program_login_and_refusals,
    test_remembered_login_is_dropped_when_a_backend_is_reconfigured,
    test_no_password_or_secret_in_the_log,
]


def main():
    return run_with_setup("e2e-auth", Setup, TESTS)


if __name__ == "__main__":
    sys.exit(main())
