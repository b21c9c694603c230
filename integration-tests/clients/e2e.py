#!/usr/bin/env python3
"""End-to-end tests of the exported server with real client programs.

Starts `./posthorn run` exactly as a user would (headless, a copy of config/ on a free port, a fresh
POSTHORN_VAR), then drives it with Python's imaplib, curl, mutt and a raw socket, restarts it with
SIGTERM, and checks what a user would see. Prints 'e2e: N passed, N failed' and exits non-zero on
any failure.

Usage: e2e.py [-k NAME]   (run only the tests whose name contains NAME)
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


def free_port():
    """A port nothing listens on, below the kernel's ephemeral range: a port from bind(0) could be
    taken by some client's outgoing connection between this check and the server's own bind (seen
    here under load), which cannot happen below the range."""
    import random
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    low = max(low, 12000)
    for _ in range(500):
        port = random.randint(10000, low - 1)
        try:
            for host in ("127.0.0.1", "0.0.0.0"):
                with socket.socket() as s:
                    s.bind((host, port))
            return port
        except OSError:
            continue
    raise AssertionError("no free port below %d" % low)


class Server:
    """One ./posthorn run process with its own config and var directories."""

    def __init__(self, work, port):
        self.work = work
        self.port = port
        self.conf = os.path.join(work, "config")
        self.var = os.path.join(work, "var")
        if not os.path.isdir(self.conf):
            shutil.copytree(os.path.join(TOP, "config"), self.conf)
            path = os.path.join(self.conf, "imapd.cfg")
            with open(path) as f:
                text = f.read()
            text = re.sub(r"(?m)^port=.*$", "port=%d" % port, text)
            text = re.sub(r"(?m)^tls\.port=.*$", "tls.port=%d" % free_port(), text)
            with open(path, "w") as f:
                f.write(text)
        self.proc = None
        self.out_path = os.path.join(work, "stdout.log")
        self.err_path = os.path.join(work, "stderr.log")

    def start(self):
        # Not a terminal: the demo account is made only when asked for, its password only in its file.
        env = dict(os.environ, POSTHORN_VAR=self.var, POSTHORN_DEMO="yes")
        self.out = open(self.out_path, "ab")
        self.err = open(self.err_path, "ab")
        self.proc = subprocess.Popen(
            [os.path.join(TOP, "posthorn"), "run", "--config", self.conf],
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err, env=env, cwd=TOP)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited with %s:\n%s" % (self.proc.returncode, self.stderr()[-3000:]))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(200).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("server did not listen in 60 s:\n" + self.stderr()[-3000:])

    def stop(self):
        """SIGTERM, as a supervisor stops it; returns the exit status."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("server did not stop within 30 s of SIGTERM")
        self.out.close()
        self.err.close()
        return code

    def stdout(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def password(self):
        with open(os.path.join(self.var, "demo-password")) as f:
            return f.read().strip()

    def maildir(self):
        return os.path.join(self.var, "mail", "demo", "Maildir")


def imap(server):
    return imaplib.IMAP4("127.0.0.1", server.port, timeout=20)


def deliver(maildir, subject, body="Hello.\n"):
    """Delivers the way an MDA does: write into tmp/, rename into new/."""
    name = "%d.M%dP%d.e2e" % (time.time(), time.time_ns() // 1000 % 1000000, os.getpid())
    tmp = os.path.join(maildir, "tmp", name)
    with open(tmp, "w") as f:
        f.write("From: Tester <tester@example.org>\nTo: demo@localhost\nSubject: %s\n"
                "Date: Tue, 24 Nov 2026 10:00:00 +0000\nMessage-ID: <%s@e2e>\n\n%s" % (subject, name, body))
    os.rename(tmp, os.path.join(maildir, "new", name))


def raw_session(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    f = s.makefile("rwb")
    greeting = f.readline()
    assert greeting.startswith(b"* OK"), greeting

    def cmd(line):
        f.write(line + b"\r\n")
        f.flush()
        lines = []
        tag = line.split(b" ", 1)[0]
        while True:
            l = f.readline()
            assert l, "connection closed after %r; got %r" % (line, lines)
            lines.append(l)
            if l.startswith(tag + b" ") or (not tag.strip() and l.startswith(b"* BAD")):
                return lines
    return s, cmd


# ---------------------------------------------------------------------------------------------
# The tests, in order: each gets the running server.

def test_first_start_keeps_the_demo_password_out_of_stdout_and_the_log(srv):
    """Started without a terminal (stdout and stderr are files here, as a supervisor's pipe would
    be), with POSTHORN_DEMO=yes: the demo account is made, its password only in var/demo-password."""
    password = srv.password()
    assert len(password) >= 12, password
    assert password not in srv.stdout(), "the password reached stdout, which is not a terminal"
    assert password not in srv.stderr(), "the password reached the log"
    assert "demo account created in %s" % os.path.join(srv.var, "userdb") in srv.stderr(), srv.stderr()[-2000:]


def test_imaplib_reads_welcome(srv):
    m = imap(srv)
    typ, caps = m.capability()
    assert typ == "OK" and b"IMAP4rev1" in caps[0], caps
    m.login("demo", srv.password())
    typ, boxes = m.list()
    assert typ == "OK" and any(b"INBOX" in b for b in boxes), boxes
    typ, data = m.select("INBOX")
    assert typ == "OK" and int(data[0]) >= 1, data
    typ, data = m.uid("FETCH", "1", "(UID FLAGS RFC822.SIZE BODY.PEEK[])")
    assert typ == "OK", data
    body = data[0][1]
    assert b"Subject: Welcome to Posthorn" in body, body[:500]
    size = int(re.search(rb"RFC822\.SIZE (\d+)", data[0][0]).group(1))
    assert size == len(body), (size, len(body))
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])")
    assert typ == "OK" and data[0][1].startswith(b"From:") or data[0][1].startswith(b"Subject:"), data
    assert data[0][1].endswith(b"\r\n\r\n"), data
    m.close()
    m.logout()


def test_curl_reads_welcome(srv):
    url = "imap://127.0.0.1:%d/INBOX;UID=1" % srv.port
    r = subprocess.run(["curl", "-sS", "--max-time", "20", "-u", "demo:" + srv.password(), url],
                       capture_output=True)
    assert r.returncode == 0, r.stderr
    assert b"Subject: Welcome to Posthorn" in r.stdout, r.stdout[:500]


def test_authenticate_plain_and_login_mechanisms(srv):
    pw = srv.password()
    m = imap(srv)
    typ, _ = m.authenticate("PLAIN", lambda challenge: ("\0demo\0" + pw).encode())
    assert typ == "OK"
    assert m.select("INBOX")[0] == "OK"
    m.logout()
    m = imap(srv)
    answers = iter(["demo", pw])
    typ, _ = m.authenticate("LOGIN", lambda challenge: next(answers).encode())
    assert typ == "OK"
    m.logout()
    m = imap(srv)
    try:
        m.authenticate("PLAIN", lambda challenge: b"\0demo\0wrong")
        raise AssertionError("AUTHENTICATE PLAIN with a wrong password succeeded")
    except imaplib.IMAP4.error as e:
        assert "AUTHENTICATIONFAILED" in str(e), e
    m.logout()


def test_wrong_password_is_refused_and_logged_without_it(srv):
    m = imap(srv)
    try:
        m.login("demo", "not-the-password-xyzzy")
        raise AssertionError("login with a wrong password succeeded")
    except imaplib.IMAP4.error as e:
        assert "AUTHENTICATIONFAILED" in str(e), e
    m.logout()
    time.sleep(0.3)
    log = srv.stderr()
    assert "not-the-password-xyzzy" not in log, "password in the log"
    assert re.search(r"auth user=demo .*wrong-password", log), log[-2000:]


def test_bad_input_gets_bad_and_session_survives(srv):
    s, cmd = raw_session(srv)
    try:
        assert cmd(b"a1 FROBNICATE")[-1].startswith(b"a1 BAD"), "unknown command"
        assert cmd(b"a2 FETCH 1 (FLAGS)")[-1].startswith(b"a2 BAD"), "FETCH before login"
        assert cmd(b"a3 LOGIN")[-1].startswith(b"a3 BAD"), "LOGIN without arguments"
        assert cmd(b"a4 LOGIN demo \"" + srv.password().encode() + b"\"")[-1].startswith(b"a4 OK")
        assert cmd(b"a5 FETCH 1 (FLAGS)")[-1].startswith(b"a5 BAD"), "FETCH before SELECT"
        assert cmd(b"a6 SELECT INBOX")[-1].startswith(b"a6 OK")
        assert cmd(b"a7 FETCH 1:* (FLAGS")[-1].startswith(b"a7 BAD"), "unbalanced parenthesis"
        assert cmd(b"a8 FETCH 999999 (FLAGS)")[-1].startswith(b"a8 BAD"), "sequence beyond EXISTS"
        assert cmd(b"a9 SELECT INBOX/../../etc")[-1].startswith(b"a9 NO"), "mailbox name escaping the Maildir"
        assert cmd(b"a10 NOOP")[-1].startswith(b"a10 OK"), "session did not survive"
        assert cmd(b"a11 LOGOUT")[-1].startswith(b"a11 OK")
    finally:
        s.close()


def test_outside_delivery_appears_with_next_uid(srv):
    deliver(srv.maildir(), "Dropped by hand")
    m = imap(srv)
    m.login("demo", srv.password())
    typ, data = m.select("INBOX")
    count = int(data[0])
    assert count == 2, data
    typ, data = m.fetch(str(count), "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK", data
    assert b"UID 2 " in data[0][0] or b"UID 2)" in data[0][0], data
    assert b"Dropped by hand" in data[0][1], data
    m.logout()


def test_mutt_lists_and_reads_welcome(srv):
    """mutt in a real terminal (tmux): logs in, shows INBOX's index, opens the welcome message."""
    home = tempfile.mkdtemp(prefix="posthorn-mutt-")
    rc = os.path.join(home, "muttrc")
    with open(rc, "w") as f:
        f.write('set imap_user="demo"\nset imap_pass="%s"\n'
                'set folder="imap://127.0.0.1:%d/"\nset spoolfile="+INBOX"\n'
                'set ssl_starttls=no\nset ssl_force_tls=no\nset imap_passive=no\n'
                'set mbox_type=Maildir\nset move=no\nset pager_stop=yes\nset sort=date\n'
                'set header_cache=""\nset message_cachedir=""\nset timeout=5\n' % (srv.password(), srv.port))
    session = "posthorn-mutt-%d" % os.getpid()
    env = dict(os.environ, HOME=home, TERM="xterm", MAIL="")

    def tmux(*args):
        return subprocess.run(["tmux"] + list(args), capture_output=True, env=env, timeout=20)

    def screen():
        return tmux("capture-pane", "-p", "-t", session).stdout.decode(errors="replace")

    def wait_for(text, secs=20):
        deadline = time.time() + secs
        while time.time() < deadline:
            s = screen()
            if text in s:
                return s
            time.sleep(0.3)
        raise AssertionError("mutt never showed %r; screen:\n%s" % (text, screen()))

    r = tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "40", "mutt -n -F " + rc)
    assert r.returncode == 0, r.stderr
    try:
        index = wait_for("Welcome to Posthorn")
        assert "Dropped by hand" in index or "2 " in index or "INBOX" in index, index
        tmux("send-keys", "-t", session, "Home")
        # Open the welcome message: search for it, then Enter.
        tmux("send-keys", "-t", session, "/", "Welcome", "Enter")
        time.sleep(0.5)
        tmux("send-keys", "-t", session, "Enter")
        wait_for("Hello, and welcome to Posthorn")
        tmux("send-keys", "-t", session, "q")
        time.sleep(0.3)
        tmux("send-keys", "-t", session, "q")
        time.sleep(1)
    finally:
        tmux("kill-session", "-t", session)
        shutil.rmtree(home, ignore_errors=True)


def test_thunderbird_command_sequence(srv):
    """The commands Thunderbird sends to set up an account and show a message, as it spells them
    (no Thunderbird binary runs here; its sequence is replayed over a raw socket)."""
    s, cmd = raw_session(srv)
    try:
        assert b"IMAP4rev1" in cmd(b"1 capability")[0]
        assert cmd(b'2 login "demo" "' + srv.password().encode() + b'"')[-1].startswith(b"2 OK")
        lsub = cmd(b'3 lsub "" "*"')
        assert lsub[-1].startswith(b"3 OK"), lsub
        listing = cmd(b'4 list "" "*"')
        assert listing[-1].startswith(b"4 OK") and any(b"INBOX" in l for l in listing[:-1]), listing
        sel = cmd(b'5 select "INBOX"')
        assert sel[-1].startswith(b"5 OK [READ-WRITE]"), sel
        assert any(re.match(rb"\* \d+ EXISTS", l) for l in sel), sel
        flags = cmd(b"6 UID fetch 1:* (FLAGS)")
        assert flags[-1].startswith(b"6 OK") and re.match(rb"\* 1 FETCH \(UID 1 FLAGS \(", flags[0]) \
            or re.match(rb"\* 1 FETCH \(FLAGS \(.*\) UID 1\)", flags[0]), flags
        headers = cmd(b"7 UID fetch 1 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject "
                      b"Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])")
        text = b"".join(headers)
        assert headers[-1].startswith(b"7 OK") and b"Subject: Welcome to Posthorn" in text, text
        body = cmd(b"8 UID fetch 1 (UID RFC822.SIZE BODY.PEEK[]<0.65536>)")
        text = b"".join(body)
        assert body[-1].startswith(b"8 OK") and b"BODY[]<0>" in text and b"Hello, and welcome" in text, text
        assert cmd(b"9 logout")[-1].startswith(b"9 OK")
    finally:
        s.close()


def test_mailbox_commands(srv):
    """CREATE, LIST (CHILDREN), SUBSCRIBE/LSUB, APPEND (APPENDUID), STATUS, COPY (COPYUID), MOVE,
    UID EXPUNGE, RENAME, DELETE, and refusals with response codes."""
    m = imap(srv)
    m.login("demo", srv.password())
    assert m.create("INBOX.Work")[0] == "OK"
    typ, data = m.create("INBOX.Work")
    assert typ == "NO", data
    assert m.create("INBOX.Work.2026")[0] == "OK"
    typ, boxes = m.list()
    listing = b"\n".join(boxes)
    assert re.search(rb'\(\\HasChildren\) "\." INBOX\.Work\b', listing), listing
    assert re.search(rb'\(\\HasNoChildren\) "\." INBOX\.Work\.2026', listing), listing
    typ, boxes = m.list('""', "INBOX.%")
    assert typ == "OK" and not any(b"2026" in b for b in boxes), boxes
    assert m.subscribe("INBOX.Work")[0] == "OK"
    typ, subs = m.lsub()
    assert any(b"INBOX.Work" in b for b in subs), subs
    msg = b"From: a@example.org\r\nSubject: appended\r\n\r\nbody\r\n"
    typ, data = m.append("INBOX.Work", "(\\Flagged)", imaplib.Time2Internaldate(time.time()), msg)
    assert typ == "OK" and b"APPENDUID" in data[0], data
    uid = int(data[0].split()[2].rstrip(b"]"))
    typ, data = m.status("INBOX.Work", "(MESSAGES UIDNEXT UNSEEN)")
    assert typ == "OK" and b"MESSAGES 1" in data[0] and (b"UIDNEXT %d" % (uid + 1)) in data[0] \
        and b"UNSEEN 1" in data[0], data
    typ, data = m.append("INBOX.Nowhere", None, None, msg)
    assert typ == "NO" and b"TRYCREATE" in data[0], data
    m.select("INBOX")
    typ, data = m.uid("COPY", "1", "INBOX.Work")
    assert typ == "OK", data
    typ, data = m.select("INBOX.Work")
    assert int(data[0]) == 2, data
    typ, data = m.uid("MOVE", "%d" % uid, "INBOX.Work.2026")
    assert typ == "OK", data
    typ, data = m.select("INBOX.Work")
    assert int(data[0]) == 1, data
    m.store("1", "+FLAGS", "(\\Deleted)")
    typ, data = m.uid("EXPUNGE", "1:*")
    assert typ == "OK", data
    typ, data = m.status("INBOX.Work", "(MESSAGES)")
    assert b"MESSAGES 0" in data[0], data
    m.close()
    typ, data = m.status("INBOX.Work.2026", "(MESSAGES)")
    assert b"MESSAGES 1" in data[0], data
    assert m.rename("INBOX.Work", "INBOX.Archive")[0] == "OK"
    typ, boxes = m.list()
    names = b" ".join(boxes)
    assert b"INBOX.Archive.2026" in names and b"INBOX.Work" not in names, boxes
    for bad in ("INBOX/../../etc", "INBOX..x", "INBOX.&Jjo", "../x", "INBOX./etc"):
        try:
            typ, data = m.create(bad)
            assert typ == "NO", (bad, typ, data)
        except imaplib.IMAP4.error as e:
            assert "BAD" in str(e), (bad, e)
    assert not os.path.exists(os.path.join(srv.var, "mail", "demo", "etc"))
    assert m.delete("INBOX")[0] == "NO"
    assert m.delete("INBOX.Archive.2026")[0] == "OK"
    assert m.delete("INBOX.Archive")[0] == "OK"
    typ, data = m.namespace()
    assert typ == "OK" and b'(("" "."))' in data[0], data
    m.logout()
    # The response codes imaplib does not show: COPYUID on COPY, untagged before EXPUNGE on MOVE.
    s, cmd = raw_session(srv)
    try:
        cmd(b"r1 LOGIN demo " + srv.password().encode())
        cmd(b"r2 CREATE INBOX.Codes")
        cmd(b"r3 SELECT INBOX")
        copy = cmd(b"r4 UID COPY 1:2 INBOX.Codes")
        assert re.match(rb"r4 OK \[COPYUID \d+ 1:2 1:2\]", copy[-1]), copy
        cmd(b"r5 SELECT INBOX.Codes")
        moved = cmd(b"r6 MOVE 1 INBOX")
        assert re.match(rb"\* OK \[COPYUID \d+ 1 \d+\]", moved[0]), moved
        assert moved[1] == b"* 1 EXPUNGE\r\n" and moved[-1].startswith(b"r6 OK"), moved
        cmd(b"r7 CLOSE")
        cmd(b"r8 DELETE INBOX.Codes")
        # The message moved back into INBOX is expunged again, so INBOX keeps its two messages.
        cmd(b"r9 SELECT INBOX")
        cmd(b"r10 STORE 3 +FLAGS.SILENT (\\Deleted)")
        assert cmd(b"r11 EXPUNGE")[-1].startswith(b"r11 OK")
        cmd(b"r12 LOGOUT")
    finally:
        s.close()


def uid_subjects(srv):
    m = imap(srv)
    m.login("demo", srv.password())
    m.select("INBOX", readonly=True)
    typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    typ2, validity = m.status("INBOX", "(UIDVALIDITY)") if False else ("OK", None)
    m.logout()
    pairs = []
    for item in data:
        if isinstance(item, tuple):
            uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
            pairs.append((uid, item[1].strip()))
    return pairs


def test_uids_survive_restart(srv):
    before = uid_subjects(srv)
    assert len(before) == 2, before
    code = srv.stop()
    assert code == 0, "exit status on SIGTERM was %s" % code
    log = srv.stderr()
    assert "signal received; stopping" in log and "stopped cleanly" in log, log[-1500:]
    srv.start()
    after = uid_subjects(srv)
    assert before == after, (before, after)
    assert srv.password() not in srv.stdout() + srv.stderr(), "demo password printed on a restart"


def test_log_is_one_event_a_line(srv):
    for line in srv.stderr().splitlines():
        if not line.strip():
            continue
        # stderr is not a terminal: no timestamps (multilog t or the journal add them)
        assert re.match(r"^(TRACE|DEBUG|INFO|WARN|ERROR) [\w$.]+ - ", line) \
            or line.startswith("posthorn:"), "not a log line: %r" % line


class Console:
    """./posthorn run on a pseudo-terminal, so that the Gogo console runs, as on an operator's tty."""

    def __init__(self, server):
        import pty
        env = dict(os.environ, POSTHORN_VAR=server.var, TERM="dumb")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(TOP)
            os.execvpe(os.path.join(TOP, "posthorn"), ["posthorn", "run", "--config", server.conf], env)
        self.out = b""

    def expect(self, pattern, secs=60):
        """Reads until the output (since the last expect) matches; returns the match."""
        import select
        deadline = time.time() + secs
        while True:
            m = re.search(pattern, self.out)
            if m:
                self.out = self.out[m.end():]
                return m
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("console never showed %r; it showed:\n%s" % (pattern, self.out[-3000:].decode(errors="replace")))
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.5))
            if ready:
                try:
                    self.out += os.read(self.fd, 65536)
                except OSError:
                    raise AssertionError("console closed; it showed:\n" + self.out[-3000:].decode(errors="replace"))

    def command(self, line):
        os.write(self.fd, (line + "\r").encode())

    def close(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        except OSError:
            pass
        os.close(self.fd)


def test_console_manages_bundles_while_sessions_stay(srv):
    """On a terminal the Gogo console runs: `lb` lists every bundle Active; stopping the userdb
    backend bundle there makes new logins fail while a logged-in session goes on; starting it again
    brings logins back; `stop 0` stops the server."""
    other = Server(tempfile.mkdtemp(prefix="posthorn-console-"), free_port())
    console = Console(other)
    try:
        # On a terminal: the demo password is shown there, and log lines carry ISO-8601 timestamps.
        start = console.expect(rb"(?s)^.*?imapd listening on 127\.0\.0\.1:%d.*?g! " % other.port).group(0).decode(errors="replace")
        assert "Posthorn demo account created: user demo, password %s " % other.password() in start, start[-3000:]
        assert re.search(r"(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d) INFO ListeningPort - imapd listening", start), start[-3000:]
        # The deploy folder's backends are installed by FileInstall a moment after the port opens:
        # ask again (up to 30 s) until they are started too.
        deadline = time.time() + 30
        while True:
            console.command("lb")
            listing = console.expect(rb"(?s)START LEVEL.*?g! ").group(0).decode(errors="replace")
            rows = re.findall(r"^\s*(\d+)\|(\w+)\s*\|\s*\d+\|(.*?)\s*$", listing, re.M)
            # posthorn.logging is a fragment (Logback's logback.xml): attached to its host, never started
            waiting = [r for r in rows if r[1] != "Active" and not (r[1] == "Resolved" and "posthorn.logging" in r[2])]
            if not waiting or time.time() > deadline:
                break
            time.sleep(0.5)
        assert len(rows) >= 20, "lb printed too few bundles:\n" + listing
        assert not waiting, waiting
        names = " ".join(r[2] for r in rows)
        for bsn in ("posthorn.imap.server", "posthorn.imap.shell", "posthorn.store.maildir", "posthorn.auth.userdb"):
            assert bsn in names, (bsn, names)
        userdb_id = next(r[0] for r in rows if "posthorn.auth.userdb" in r[2])

        kept = imaplib.IMAP4("127.0.0.1", other.port, timeout=20)
        kept.login("demo", other.password())
        assert kept.select("INBOX")[0] == "OK"

        # the imap: scope, on the console a terminal gets
        console.command("imap:who demo")
        who = console.expect(rb"(?s)(s\d+ +demo .*?)g! ").group(1).decode(errors="replace")
        assert " selected " in who and " INBOX " in who, who

        console.command("stop " + userdb_id)
        console.expect(rb"auth backend userdb unbound")
        m = imaplib.IMAP4("127.0.0.1", other.port, timeout=20)
        try:
            m.login("demo", other.password())
            raise AssertionError("login worked with the only backend stopped")
        except imaplib.IMAP4.error as e:
            assert "AUTHENTICATIONFAILED" in str(e) or "UNAVAILABLE" in str(e), e
        m.logout()
        assert kept.noop()[0] == "OK"
        typ, data = kept.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert typ == "OK" and b"Welcome" in data[0][1], data

        console.command("start " + userdb_id)
        console.expect(rb"auth backend userdb bound")
        m = imaplib.IMAP4("127.0.0.1", other.port, timeout=20)
        m.login("demo", other.password())
        m.logout()
        assert kept.noop()[0] == "OK"
        kept.logout()

        console.command("stop 0")
        console.expect(rb"imapd stopped")
    finally:
        console.close()
    shutil.rmtree(other.work, ignore_errors=True)


TESTS = [
    test_first_start_keeps_the_demo_password_out_of_stdout_and_the_log,
    test_imaplib_reads_welcome,
    test_curl_reads_welcome,
    test_authenticate_plain_and_login_mechanisms,
    test_wrong_password_is_refused_and_logged_without_it,
    test_bad_input_gets_bad_and_session_survives,
    test_outside_delivery_appears_with_next_uid,
    test_mutt_lists_and_reads_welcome,
    test_thunderbird_command_sequence,
    test_mailbox_commands,
    test_uids_survive_restart,
    test_log_is_one_event_a_line,
    test_console_manages_bundles_while_sessions_stay,
]


def run_suite(label, work, make_server, tests, prepare=None, finish=None):
    """Runs one script's tests against one server, the same way for every client script.

    make_server() returns the Server, not yet started; prepare(srv) runs once it is up; each test
    gets the server. Prints PASS/FAIL lines and 'LABEL: N passed, N failed'; a failure while setting
    up counts as one. The work directory is kept when anything failed (or E2E_KEEP is set). `-k NAME`
    on the command line runs only the tests whose name contains NAME. Returns the exit status.
    """
    only = sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv[1:-1] else None
    passed = failed = 0
    srv = None
    try:
        srv = make_server()
        srv.start()
        if prepare:
            prepare(srv)
        for t in tests:
            if only and only not in t.__name__:
                continue
            start = time.time()
            try:
                t(srv)
                passed += 1
                print("PASS %s (%.1f s)" % (t.__name__, time.time() - start), flush=True)
            except Exception:
                failed += 1
                print("FAIL %s\n%s" % (t.__name__, traceback.format_exc()), flush=True)
    except Exception:
        failed += 1
        print("FAIL setup\n%s" % traceback.format_exc(), flush=True)
    finally:
        if srv is not None and srv.proc and srv.proc.poll() is None:
            srv.stop()
    if failed:
        if srv is not None and os.path.exists(srv.err_path):
            print("server log (last 60 lines):\n" + "\n".join(srv.stderr().splitlines()[-60:]))
        print("%s: work directory kept: %s" % (label, work))
    elif not os.environ.get("E2E_KEEP"):
        shutil.rmtree(work, ignore_errors=True)
    if finish:
        finish()
    print("%s: %d passed, %d failed" % (label, passed, failed))
    return 1 if failed else 0


def run_with_setup(label, setup_class, tests):
    """run_suite for a script whose accounts and files are made before the server starts:
    setup_class(work) makes them, its configure(conf) writes the server's configuration, and the
    server carries it as srv.setup for the tests."""
    work = tempfile.mkdtemp(prefix="posthorn-%s-" % label)

    def make_server():
        setup = setup_class(work)
        srv = Server(os.path.join(work, "server"), free_port())
        setup.configure(srv.conf)
        srv.setup = setup
        return srv
    return run_suite(label, work, make_server, tests)


def set_config_keys(path, values):
    """Sets keys in a config file (dict key -> value), replacing each key's line or adding it; returns
    the file's new text."""
    with open(path) as f:
        text = f.read()
    for key, value in values.items():
        line = "%s=%s" % (key, value)
        text, n = re.subn(r"(?m)^%s=.*$" % re.escape(key), line, text)
        if not n:
            text += ("" if text.endswith("\n") or not text else "\n") + line + "\n"
    with open(path, "w") as f:
        f.write(text)
    return text


def main():
    work = tempfile.mkdtemp(prefix="posthorn-e2e-")
    return run_suite("e2e", work, lambda: Server(work, free_port()), TESTS)


if __name__ == "__main__":
    sys.exit(main())
