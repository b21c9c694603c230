#!/usr/bin/env python3
"""End-to-end: three Posthorn nodes over one shared Maildir store, behind nginx's mail proxy.

Starts three `./posthorn run` nodes on loopback (127.0.0.2, .3 and .4, free ports), each with its
own POSTHORN_VAR and its configuration from docs/nodes/ (the tested example deployment: the same
files with loopback addresses, free ports and this run's paths put in), over one store folder and
one userdb, with polling on (maildir.cfg watch=poll, poll.interval=1). Then:

- two sessions of one user, forced onto two different nodes, see each other's APPEND, flag change
  and EXPUNGE within the poll interval, in IDLE and by NOOP (the times are printed);
- a node is SIGKILLed during an APPEND loop, at a random moment, twice: every message whose APPEND
  was answered is there once with the UID it was given, seen from another node, and UIDs handed out
  afterwards (on any node) are never ones used before;
- nginx (Debian's nginx with libnginx-mod-mail, started here as an unprivileged process with its
  own config, pid and log paths, from docs/nodes/nginx.conf) in front of the nodes, its auth_http
  answered by the nodes' HTTP endpoints (posthorn.http), proxy_protocol on towards the nodes:
  imaplib, mbsync and Jakarta Mail log in through it; each user always reaches the same node;
  1,000 users spread over the three within 15% of even; the client address the node logs and
  imap:who shows is the client's (clients connect from 127.0.0.5; nginx's own connections come
  from 127.0.0.1, the nodes' proxy.trusted); a PROXY header from an untrusted address is refused;
  after a node is SIGKILLed its users' next logins reach a live node within the health-check
  interval, and the other users stay where they were.

Direct sessions to the nodes (not through nginx) connect from 127.0.0.6, which is not a trusted
proxy. Prints 'e2e-nodes: N passed, N failed' and exits non-zero on any failure. tools/test-deps
installs nginx and libnginx-mod-mail (and isync for mbsync).

Usage: e2e_nodes.py [-k NAME]   (run only the tests whose name contains NAME; the nodes always start)
"""
import concurrent.futures
import glob
import imaplib
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from e2e import TOP, free_port  # noqa: E402  (imported by path, beside this file)

DOCS = os.path.join(TOP, "docs", "nodes")
NODE_ADDRESSES = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
DIRECT_SOURCE = "127.0.0.6"   # direct sessions to a node: not a trusted proxy
CLIENT_SOURCE = "127.0.0.5"   # clients of nginx: the address the nodes must see through PROXY
PROXY_SOURCE = "127.0.0.1"    # nginx's connections to the nodes come from here (proxy.trusted)
POLL = 1                      # maildir.cfg poll.interval of the nodes, seconds
HEALTH_INTERVAL = 2           # http.cfg health.interval: the nodes check each other this often
HEALTH_TIMEOUT = 1            # http.cfg health.timeout
SLACK = 3.0                   # seconds beyond the poll interval a loaded machine may take
PASSWORD = "nodes-secret-%d" % random.randint(1000, 9999)
MEASURED = []                 # (what, seconds), printed at the end


def set_keys(path, values):
    """Sets key=value lines of a .cfg file: replaces the key's line, or adds one."""
    with open(path) as f:
        text = f.read()
    for key, value in values.items():
        line = "%s=%s" % (key, value)
        text, n = re.subn(r"(?m)^%s=.*$" % re.escape(key), lambda _m: line, text)
        if n == 0:
            text = text.rstrip("\n") + "\n" + line + "\n"
    with open(path, "w") as f:
        f.write(text)


def wait_for(condition, timeout, what, step=0.1):
    deadline = time.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(step)


class Node:
    """One ./posthorn run process: its own config (docs/nodes/ over a copy of config/) and var."""

    def __init__(self, work, index, store):
        self.index = index
        self.name = "node%d" % (index + 1)
        self.address = NODE_ADDRESSES[index]
        self.port = free_port()
        self.http_port = free_port()
        self.work = os.path.join(work, self.name)
        self.conf = os.path.join(self.work, "config")
        self.var = os.path.join(self.work, "var")
        self.err_path = os.path.join(self.work, "stderr.log")
        self.proc = None
        os.makedirs(self.var)
        shutil.copytree(os.path.join(TOP, "config"), self.conf)
        for name in ("imapd.cfg", "maildir.cfg", "auth.cfg", "auth.userdb.cfg"):
            shutil.copy(os.path.join(DOCS, name), os.path.join(self.conf, name))
        set_keys(os.path.join(self.conf, "imapd.cfg"), {
            "bind": self.address, "port": self.port,
            "proxy.trusted": PROXY_SOURCE + "/32",
            # direct test sessions (127.0.0.6) log in without TLS too
            "trusted.networks": "127.0.0.0/8"})
        set_keys(os.path.join(self.conf, "maildir.cfg"), {
            "template": os.path.join(store, "%u", "Maildir"), "poll.interval": POLL})
        set_keys(os.path.join(self.conf, "auth.userdb.cfg"), {"file": os.path.join(store, "userdb")})
        self.http_cfg = os.path.join(self.conf, "http.cfg")
        shutil.copy(os.path.join(DOCS, "http.cfg"), self.http_cfg)

    def configure_http(self, nodes):
        """http.cfg: this node's endpoint, and the node list every node shares."""
        set_keys(self.http_cfg, {
            "bind": self.address, "port": self.http_port,
            "nodes": ", ".join("%s %s:%d http://%s:%d/health" % (n.name, n.address, n.port, n.address, n.http_port)
                               for n in nodes),
            "health.interval": HEALTH_INTERVAL, "health.timeout": HEALTH_TIMEOUT,
            "auth.clients": PROXY_SOURCE + "/32"})

    def start(self):
        env = dict(os.environ, POSTHORN_VAR=self.var)
        self.err = open(self.err_path, "ab")
        self.proc = subprocess.Popen([os.path.join(TOP, "posthorn"), "run", "--config", self.conf],
                                     stdin=subprocess.DEVNULL, stdout=self.err, stderr=self.err, env=env, cwd=TOP)

    def wait_ready(self, timeout=300):
        def greets():
            if self.proc.poll() is not None:
                raise AssertionError("%s exited with %s:\n%s" % (self.name, self.proc.returncode, self.log()[-3000:]))
            try:
                with socket.create_connection((self.address, self.port), timeout=2,
                                              source_address=(DIRECT_SOURCE, 0)) as s:
                    return s.recv(200).startswith(b"* OK")
            except OSError:
                return False
        wait_for(greets, timeout, "%s to listen on %s:%d" % (self.name, self.address, self.port), 0.3)

    def kill(self):
        """SIGKILL: no shutdown hook, no index written, locks left as they are."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.err.close()

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.err.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            with open(self.err_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""  # not started yet

    def shell(self, command):
        r = subprocess.run([os.path.join(TOP, "posthorn"), "shell", "-c", command], capture_output=True, timeout=60,
                           env=dict(os.environ, POSTHORN_VAR=self.var, POSTHORN_CONF=self.conf), cwd=TOP)
        assert r.returncode == 0, "%s: shell -c %r: %s %s" % (self.name, command, r.stdout, r.stderr)
        return r.stdout.decode(errors="replace")


class Raw:
    """A raw IMAP session from a chosen source address: for IDLE, APPENDUID and exact responses."""

    def __init__(self, host, port, source=DIRECT_SOURCE, timeout=20):
        self.sock = socket.create_connection((host, port), timeout=timeout, source_address=(source, 0))
        self.file = self.sock.makefile("rwb")
        self.greeting = self.file.readline()
        self.n = 0

    def send(self, data):
        self.file.write(data)
        self.file.flush()

    def line(self):
        l = self.file.readline()
        if not l:
            raise EOFError("connection closed")
        return l

    def cmd(self, text, literal=None):
        """Sends a command (with one synchronizing literal, if given); returns (untagged, tagged)."""
        self.n += 1
        tag = b"c%d" % self.n
        if literal is None:
            self.send(tag + b" " + text + b"\r\n")
        else:
            self.send(tag + b" " + text + b" {%d}\r\n" % len(literal))
            l = self.line()
            assert l.startswith(b"+"), l
            self.send(literal + b"\r\n")
        untagged = []
        while True:
            l = self.line()
            if l.startswith(tag + b" "):
                return untagged, l
            untagged.append(l)

    def ok(self, text, literal=None):
        untagged, tagged = self.cmd(text, literal)
        assert tagged.split(b" ")[1] == b"OK", (text, untagged, tagged)
        return untagged, tagged

    def login(self, user, password=PASSWORD):
        self.ok(b"LOGIN " + user.encode() + b" " + password.encode())
        return self

    def idle(self):
        self.n += 1
        self.idle_tag = b"c%d" % self.n
        self.send(self.idle_tag + b" IDLE\r\n")
        l = self.line()
        assert l.startswith(b"+"), l

    def expect(self, pattern, timeout):
        """Reads lines until one matches; returns (line, seconds waited)."""
        t0 = time.time()
        rx = re.compile(pattern)
        seen = []
        while True:
            left = timeout - (time.time() - t0)
            if left <= 0:
                raise AssertionError("no line matching %r within %.1f s; got %r" % (pattern, timeout, seen))
            self.sock.settimeout(left)
            try:
                l = self.line()
            except socket.timeout:
                continue
            finally:
                self.sock.settimeout(20)
            seen.append(l)
            if rx.search(l):
                return l, time.time() - t0

    def done(self):
        self.send(b"DONE\r\n")
        while True:
            l = self.line()
            if l.startswith(self.idle_tag + b" "):
                assert b" OK" in l, l
                return

    def close(self):
        try:
            self.cmd(b"LOGOUT")
        except (OSError, EOFError, AssertionError):
            pass
        self.sock.close()


def message(msgid, subject="Nodes test"):
    return ("From: Tester <tester@example.org>\r\nTo: user@example.org\r\nSubject: %s\r\n"
            "Date: Sun, 06 Dec 2026 10:00:00 +0000\r\nMessage-ID: %s\r\n\r\nBody of %s.\r\n"
            % (subject, msgid, msgid)).encode()


def appenduid(tagged):
    m = re.search(rb"\[APPENDUID (\d+) (\d+)\]", tagged)
    assert m, tagged
    return int(m.group(1)), int(m.group(2))


def uid_map(session):
    """{Message-ID: [UIDs]} of the selected mailbox, and its UIDVALIDITY."""
    untagged, _ = session.ok(b"SELECT INBOX")
    validity = int(re.search(rb"UIDVALIDITY (\d+)", b"".join(untagged)).group(1))
    untagged, _ = session.ok(b"UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    found = {}
    data = b"".join(untagged)
    for m in re.finditer(rb"UID (\d+) BODY\[HEADER\.FIELDS \(MESSAGE-ID\)\] \{\d+\}\r\nMessage-ID: (<[^>]+>)", data):
        found.setdefault(m.group(2).decode(), []).append(int(m.group(1)))
    return found, validity


class Site:
    """The store, the userdb, the three nodes and (once started) nginx."""

    def __init__(self, work):
        self.work = work
        self.store = os.path.join(work, "store")
        os.makedirs(self.store)
        os.chmod(self.store, 0o700)
        self.hash = self.password_hash()
        self.users = set()
        self.nodes = [Node(work, i, self.store) for i in range(3)]
        for n in self.nodes:
            n.configure_http(self.nodes)
        self.nginx = None

    @staticmethod
    def password_hash():
        r = subprocess.run([os.path.join(TOP, "posthorn"), "pw"], input=(PASSWORD + "\n" + PASSWORD + "\n").encode(),
                           capture_output=True, timeout=120, cwd=TOP)
        # the hash alone (a build of the tools first may leave terminal escapes on stdout)
        m = re.search(r"\$6\$[./0-9A-Za-z]+\$[./0-9A-Za-z]+", r.stdout.decode(errors="replace"))
        assert m, (r.stdout, r.stderr)
        return m.group(0)

    def add_users(self, names):
        """Adds users to the shared userdb (every node reads it again within a second or two)."""
        lines = []
        for name in names:
            home = os.path.join(self.store, name)
            lines.append("%s\thome=%s|mail=%s|systempw=%s\n" % (name, home, os.path.join(home, "Maildir"), self.hash))
            self.users.add(name)
        path = os.path.join(self.store, "userdb")
        with open(path, "a") as f:
            f.write("".join(lines))
        os.chmod(path, 0o600)
        last = names[-1]

        def everyone_knows():
            for n in self.nodes:
                if not n.alive():
                    continue
                try:
                    r = Raw(n.address, n.port)
                    _, tagged = r.cmd(b"LOGIN " + last.encode() + b" " + PASSWORD.encode())
                    r.close()
                    if b" OK" not in tagged:
                        return False
                except (OSError, EOFError):
                    return False
            return True
        # A failed login counts toward the login delay of DIRECT_SOURCE: poll gently.
        wait_for(everyone_knows, 30, "the nodes to read the new userdb", 1.5)

    def node_of_login(self, user, since):
        """The node whose log, after the offsets in since, has a login of user; or None."""
        found = None
        for n, offset in zip(self.nodes, since):
            # an IMAP session's login (sN), not the auth_http check (which any node's endpoint may answer)
            if re.search(r"\bs\d+ login user=%s via " % re.escape(user), n.log()[offset:]):
                assert found is None, "%s logged in on %s and %s" % (user, found.name, n.name)
                found = n
        return found

    def log_offsets(self):
        return [len(n.log()) for n in self.nodes]


# ---------------------------------------------------------------------------------------------
# Two sessions of one user on two nodes (bypassing nginx)

def test_two_nodes_see_each_others_append_flags_and_expunge(site, work):
    site.add_users(["pair"])
    n1, n2 = site.nodes[0], site.nodes[1]
    a = Raw(n1.address, n1.port).login("pair")
    b = Raw(n2.address, n2.port).login("pair")
    try:
        a.ok(b"SELECT INBOX")
        b.ok(b"SELECT INBOX")
        # Not in IDLE: the other node's APPEND shows at b's next command.
        t0 = time.time()
        a.ok(b"APPEND INBOX", message("<p1@nodes>"))
        untagged, _ = b.ok(b"NOOP")
        assert any(re.match(rb"\* 1 EXISTS", l) for l in untagged), untagged
        MEASURED.append(("APPEND on node1 to NOOP on node2", time.time() - t0))
        # In IDLE on node2: APPEND, flag change and EXPUNGE on node1, each within the poll interval.
        b.idle()
        a.ok(b"APPEND INBOX", message("<p2@nodes>"))
        _, secs = b.expect(rb"^\* 2 EXISTS", POLL + SLACK)
        MEASURED.append(("APPEND on node1 to IDLE on node2", secs))
        a.ok(b"STORE 1 +FLAGS (\\Flagged $Work)")
        l, secs = b.expect(rb"^\* 1 FETCH \(.*FLAGS \(", POLL + SLACK)
        assert b"\\Flagged" in l and b"$Work" in l, l
        MEASURED.append(("STORE on node1 to IDLE on node2", secs))
        a.ok(b"STORE 2 +FLAGS.SILENT (\\Deleted)")
        a.ok(b"EXPUNGE")
        l, secs = b.expect(rb"^\* 2 EXPUNGE", POLL + SLACK)
        MEASURED.append(("EXPUNGE on node1 to IDLE on node2", secs))
        b.done()
        # And the other way round: node1 in IDLE sees node2's changes.
        a.idle()
        b.ok(b"APPEND INBOX", message("<p3@nodes>"))
        _, secs = a.expect(rb"^\* 2 EXISTS", POLL + SLACK)
        MEASURED.append(("APPEND on node2 to IDLE on node1", secs))
        b.ok(b"STORE 2 +FLAGS (\\Seen)")
        l, _ = a.expect(rb"^\* 2 FETCH \(.*FLAGS \(", POLL + SLACK)
        assert b"\\Seen" in l, l
        b.ok(b"STORE 1 +FLAGS.SILENT (\\Deleted)")
        b.ok(b"EXPUNGE")
        a.expect(rb"^\* 1 EXPUNGE", POLL + SLACK)
        a.done()
        # Both agree on what is left, UIDs included.
        ma, va = uid_map(a)
        mb, vb = uid_map(b)
        assert ma == mb == {"<p3@nodes>": [3]} and va == vb, (ma, mb, va, vb)
    finally:
        a.close()
        b.close()


# ---------------------------------------------------------------------------------------------
# SIGKILL during an APPEND loop

def append_loop(node, user, prefix, acked, stop):
    """APPENDs until the connection dies or stop is set; records answered ones {msgid: (validity, uid)}."""
    try:
        r = Raw(node.address, node.port).login(user)
        i = 0
        while not stop.is_set():
            i += 1
            msgid = "<%s-%d@nodes>" % (prefix, i)
            _, tagged = r.cmd(b"APPEND INBOX", message(msgid))
            if b" OK" not in tagged:
                return
            acked[msgid] = appenduid(tagged)
    except (OSError, EOFError, AssertionError):
        return  # killed under us: what was answered is in acked


def test_sigkill_during_append_loop_loses_nothing_and_reuses_no_uid(site, work):
    site.add_users(["crash"])
    victim, other, third = site.nodes[2], site.nodes[0], site.nodes[1]
    acked = {}
    validity = None
    highest = 0
    for round_ in range(2):
        stop = threading.Event()
        mine = {}
        t = threading.Thread(target=append_loop, args=(victim, "crash", "r%d" % round_, mine, stop))
        t.start()
        target = random.randint(15, 60)
        wait_for(lambda: len(mine) >= target or not t.is_alive(), 120, "%d APPENDs on %s" % (target, victim.name), 0.01)
        time.sleep(random.random() * 0.05)  # somewhere inside an APPEND, or between two
        victim.kill()
        t.join(30)
        stop.set()
        assert len(mine) >= target, "the loop ended early: %d" % len(mine)
        acked.update(mine)
        # Seen from another node: every answered APPEND is there, once, with its UID.
        t0 = time.time()
        s = Raw(other.address, other.port).login("crash")
        found, v = uid_map(s)
        MEASURED.append(("SELECT on another node right after the SIGKILL", time.time() - t0))
        validity = validity or v
        assert v == validity, "UIDVALIDITY changed: %d -> %d" % (validity, v)
        for msgid, (val, uid) in acked.items():
            assert val == validity, (msgid, val, validity)
            assert found.get(msgid) == [uid], "%s answered with UID %d, found %r" % (msgid, uid, found.get(msgid))
        dups = {k: u for k, u in found.items() if len(u) > 1}
        assert not dups, "messages twice: %r" % dups
        all_uids = sorted(u for us in found.values() for u in us)
        assert len(all_uids) == len(set(all_uids)), "a UID used twice: %r" % all_uids
        unanswered = set(found) - set(acked)
        # at most the APPEND in flight at each kill so far: stored (its file was renamed into place) but not answered
        assert len(unanswered) <= round_ + 1, "more than the APPENDs in flight stored without an answer: %r" % unanswered
        highest = max(all_uids + [highest])
        # UIDs handed out afterwards, on any node, are new ones.
        t0 = time.time()
        _, tagged = s.ok(b"APPEND INBOX", message("<after%d-a@nodes>" % round_))
        MEASURED.append(("first APPEND on another node after the SIGKILL (lock left by the dead node)", time.time() - t0))
        va, ua = appenduid(tagged)
        acked["<after%d-a@nodes>" % round_] = (va, ua)
        s2 = Raw(third.address, third.port).login("crash")
        _, tagged = s2.ok(b"APPEND INBOX", message("<after%d-b@nodes>" % round_))
        vb, ub = appenduid(tagged)
        acked["<after%d-b@nodes>" % round_] = (vb, ub)
        assert va == vb == validity and highest < ua < ub, (highest, ua, ub)
        highest = ub
        s.close()
        s2.close()
        print("    round %d: %d APPENDs answered before the SIGKILL, %d stored unanswered (in flight) so far, next UIDs %d, %d"
              % (round_, len(mine), len(unanswered), ua, ub), flush=True)
        # The killed node comes back and sees the same mailbox.
        victim.start()
        victim.wait_ready()
        s3 = Raw(victim.address, victim.port).login("crash")
        again, v3 = uid_map(s3)
        s3.close()
        again = {k: sorted(u) for k, u in again.items()}
        seen_elsewhere = uid_map_after(other, "crash")
        assert v3 == validity and again == seen_elsewhere, (again, seen_elsewhere)


def uid_map_after(node, user):
    s = Raw(node.address, node.port).login(user)
    try:
        return {k: sorted(u) for k, u in uid_map(s)[0].items()}
    finally:
        s.close()


# ---------------------------------------------------------------------------------------------
# A PROXY header where none is trusted

def test_proxy_header_from_an_untrusted_address_is_refused(site, work):
    n = site.nodes[0]
    offset = len(n.log())
    r = Raw(n.address, n.port)  # from 127.0.0.6: not proxy.trusted
    assert r.greeting.startswith(b"* OK"), r.greeting
    r.send(b"PROXY TCP4 192.0.2.99 %s 40000 %d\r\n" % (n.address.encode(), n.port))
    assert r.line().startswith(b"* BYE PROXY header not accepted"), "no BYE"
    assert r.file.readline() == b"", "the connection stays open"
    line = wait_for(lambda: re.search(r".*refused a PROXY protocol v1 header from %s:\d+.*" % re.escape(DIRECT_SOURCE),
                                      n.log()[offset:]), 10, "the refusal in the log")
    print("    " + line.group(0), flush=True)
    assert "192.0.2.99" not in n.log()[offset:], "the address in the refused header was taken"
    # From the trusted proxy's address, a connection without a header is cut off, with a line.
    with socket.create_connection((n.address, n.port), timeout=20, source_address=(PROXY_SOURCE, 0)) as s:
        s.sendall(b"a1 CAPABILITY\r\n")
        assert s.recv(100) == b"", "a trusted proxy's connection without a header got an answer"
    wait_for(lambda: "trusted proxy sent no valid PROXY header" in n.log()[offset:], 10, "the log line")


# ---------------------------------------------------------------------------------------------
# nginx in front

class Nginx:
    """Debian's nginx with the mail module, run from docs/nodes/nginx.conf as an unprivileged process
    (user nobody when the test runs as root) with its own prefix, pid, logs and loopback ports."""

    def __init__(self, site):
        self.dir = os.path.join(site.work, "nginx")
        os.makedirs(self.dir)
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.auth_port = free_port()
        self.cert = os.path.join(self.dir, "mail.pem")
        self.key = os.path.join(self.dir, "mail.key")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", self.key, "-out", self.cert], capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr
        with open(os.path.join(DOCS, "nginx.conf")) as f:
            conf = f.read()
        swaps = [("/run/nginx-posthorn.pid", os.path.join(self.dir, "nginx.pid")),
                 ("/var/log/nginx/posthorn-mail.log", os.path.join(self.dir, "error.log")),
                 ("/var/lib/nginx/posthorn", self.dir),
                 ("/etc/ssl/posthorn/mail.pem", self.cert), ("/etc/ssl/posthorn/mail.key", self.key),
                 ("127.0.0.1:9143", "127.0.0.1:%d" % self.auth_port),
                 ("10.0.0.10:143;", "127.0.0.1:%d;" % self.imap_port),
                 ("10.0.0.10:993 ssl;", "127.0.0.1:%d ssl;" % self.imaps_port)]
        for i, n in enumerate(site.nodes):
            swaps.append(("10.0.0.1%d:8143" % (i + 1), "%s:%d" % (n.address, n.http_port)))
        for old_, new_ in swaps:
            assert old_ in conf, "docs/nodes/nginx.conf no longer has %r" % old_
            conf = conf.replace(old_, new_)
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.proc = None

    def start(self):
        cmd = ["nginx", "-p", self.dir, "-c", self.conf, "-e", os.path.join(self.dir, "error.log"),
               "-g", "daemon off;"]
        if os.geteuid() == 0:
            # Not a privileged daemon: the master runs as nobody, ports and files are its own.
            subprocess.run(["chown", "-R", "nobody", self.dir], check=True)
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + cmd
        self.out = open(os.path.join(self.dir, "stdout.log"), "ab")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.out)

        def greets():
            if self.proc.poll() is not None:
                raise AssertionError("nginx exited with %s:\n%s" % (self.proc.returncode, self.log()[-3000:]))
            try:
                with socket.create_connection(("127.0.0.1", self.imap_port), timeout=2) as s_:
                    return s_.recv(200).startswith(b"* OK")
            except OSError:
                return False
        wait_for(greets, 30, "nginx to listen on 127.0.0.1:%d" % self.imap_port, 0.2)

    def log(self):
        try:
            with open(os.path.join(self.dir, "error.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.proc is not None:
            self.out.close()


class ClientIMAP(imaplib.IMAP4):
    """imaplib connecting from CLIENT_SOURCE, the address the nodes must see behind nginx."""

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(CLIENT_SOURCE, 0))


def tls_context(site):
    ctx = ssl.create_default_context(cafile=site.nginx.cert)
    return ctx


def login_through_nginx(site, user, keep=False):
    """Logs user in through nginx (STARTTLS, certificate checked); returns the session or logs out."""
    m = ClientIMAP("127.0.0.1", site.nginx.imap_port, timeout=30)
    try:
        m.starttls(ssl_context=tls_context(site))
        m.login(user, PASSWORD)
    except Exception:
        try:
            m.shutdown()
        except Exception:
            pass
        raise
    if keep:
        return m
    m.logout()
    return None


def ensure_nginx(site):
    if site.nginx is None:
        assert os.path.isdir(os.path.join(TOP, "bundles", "posthorn.http")), \
            "the HTTP endpoint bundle (posthorn.http) is not in this tree: nginx's auth_http has nothing to ask"
        site.nginx = Nginx(site)
        site.nginx.start()
        # every node's endpoint answers /health before the first login
        for n in site.nodes:
            wait_for(lambda: http_ok(n.address, n.http_port, "/health"), 60, n.name + "'s /health")


def http_ok(host, port, path):
    try:
        with socket.create_connection((host, port), timeout=2) as s_:
            s_.sendall(b"GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path.encode(), host.encode()))
            return s_.recv(100).split(b" ")[1] == b"200"
    except (OSError, IndexError):
        return False


def which_node(site, user, action):
    """Runs action() (a login of user) and returns the node whose log shows that login."""
    before = site.log_offsets()
    action()
    return wait_for(lambda: site.node_of_login(user, before), 10, "the login of %s in a node's log" % user)


def test_imaplib_mbsync_and_jakarta_log_in_through_nginx_and_reach_the_same_node(site, work):
    ensure_nginx(site)
    site.add_users(["clients"])
    node = which_node(site, "clients", lambda: login_through_nginx(site, "clients"))
    # mbsync: STARTTLS through nginx, certificate checked; a two-way sync of INBOX.
    local = os.path.join(work, "mbsync-mail")
    os.makedirs(local)
    rc = os.path.join(work, "mbsyncrc")
    with open(rc, "w") as f:
        f.write("IMAPAccount nodes\nHost 127.0.0.1\nPort %d\nUser clients\nPass \"%s\"\nSSLType STARTTLS\n"
                "CertificateFile %s\nTimeout 30\n\nIMAPStore remote\nAccount nodes\n\nMaildirStore local\n"
                "Path %s/\nInbox %s/INBOX\n\nChannel nodes\nFar :remote:\nNear :local:\nPatterns INBOX\n"
                "Create Both\nSync All\nSyncState *\n" % (site.nginx.imap_port, PASSWORD, site.nginx.cert, local, local))
    os.makedirs(os.path.join(local, "INBOX", "cur"))
    os.makedirs(os.path.join(local, "INBOX", "new"))
    os.makedirs(os.path.join(local, "INBOX", "tmp"))
    with open(os.path.join(local, "INBOX", "new", "1.mbsync.local"), "wb") as f:
        f.write(message("<mbsync-nodes@e2e>").replace(b"\r\n", b"\n"))

    def mbsync():
        r = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True, timeout=120)
        assert r.returncode == 0 and b"Error" not in r.stderr, (r.returncode, r.stdout, r.stderr)
    assert which_node(site, "clients", mbsync) is node, "mbsync reached another node"
    # Jakarta Mail: STARTTLS required, the certificate in a trust store of its own.
    store = os.path.join(work, "trust.p12")
    r = subprocess.run(["keytool", "-importcert", "-noprompt", "-alias", "nginx", "-file", site.nginx.cert,
                        "-keystore", store, "-storetype", "PKCS12", "-storepass", "changeit"],
                       capture_output=True, timeout=60, env=dict(os.environ, PATH=os.path.dirname(java_binary()) + ":" + os.environ["PATH"]))
    assert r.returncode == 0, r.stderr
    out = {}

    def jakarta():
        r = subprocess.run([java_binary(), "-cp", jakarta_classpath(), os.path.join(HERE, "JakartaNodesLogin.java"),
                            "127.0.0.1", str(site.nginx.imap_port), "clients", PASSWORD, store],
                           capture_output=True, timeout=120)
        out["text"] = r.stdout.decode(errors="replace")
        assert r.returncode == 0, "JakartaNodesLogin failed:\n%s\n%s" % (out["text"][-3000:], r.stderr[-2000:])
    assert which_node(site, "clients", jakarta) is node, "Jakarta Mail reached another node"
    assert re.search(r"^APPENDED \d+$", out["text"], re.M), out["text"]
    # What the clients did is one mailbox, seen from every node.
    for n in site.nodes:
        found = uid_map_after(n, "clients")
        assert set(found) == {"<mbsync-nodes@e2e>", "<jakarta-nodes@e2e>"}, (n.name, found)
    print("    imaplib, mbsync and Jakarta Mail: user clients on %s" % node.name, flush=True)


def test_each_user_always_reaches_the_same_node(site, work):
    ensure_nginx(site)
    users = ["same%02d" % i for i in range(12)]
    site.add_users(users)
    seen = {}
    for round_ in range(3):
        for u in users:
            n = which_node(site, u, lambda: login_through_nginx(site, u))
            assert seen.setdefault(u, n) is n, "%s reached %s, then %s" % (u, seen[u].name, n.name)
    print("    " + ", ".join("%s: %s" % (n.name, sum(1 for v in seen.values() if v is n)) for n in site.nodes), flush=True)


def test_client_address_through_nginx_is_the_clients_in_logs_and_who(site, work):
    ensure_nginx(site)
    site.add_users(["seen"])
    before = site.log_offsets()
    m = login_through_nginx(site, "seen", keep=True)
    try:
        port = m.sock.getsockname()[1]
        node = wait_for(lambda: site.node_of_login("seen", before), 10, "the login in a node's log")
        off = before[site.nodes.index(node)]
        connect = re.search(r"s\d+ connect remote=%s:%d port=imap proxy=%s:\d+" % (re.escape(CLIENT_SOURCE), port,
                                                                                  re.escape(PROXY_SOURCE)), node.log()[off:])
        assert connect, node.log()[off:][-2000:]
        login = re.search(r"login user=seen via \S+ from %s:%d" % (re.escape(CLIENT_SOURCE), port), node.log()[off:])
        assert login, node.log()[off:][-2000:]
        who = node.shell("imap:who")
        assert re.search(r"seen.*%s:%d|%s:%d.*seen" % (re.escape(CLIENT_SOURCE), port, re.escape(CLIENT_SOURCE), port), who), who
        print("    %s\n    imap:who on %s: %s" % (connect.group(0), node.name,
              [l for l in who.splitlines() if "seen" in l]), flush=True)
    finally:
        m.logout()


def test_thousand_users_spread_evenly_and_a_killed_nodes_users_move(site, work):
    ensure_nginx(site)
    users = ["u%04d" % i for i in range(1000)]
    site.add_users(users)
    before = site.log_offsets()
    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for f in [pool.submit(login_through_nginx, site, u) for u in users]:
            f.result()
    MEASURED.append(("1000 logins through nginx (STARTTLS, 8 at a time)", time.time() - t0))
    home = {}
    for n, off in zip(site.nodes, before):
        for u in re.findall(r"\bs\d+ login user=(u\d{4}) via ", n.log()[off:]):
            assert u not in home, "%s logged in on two nodes" % u
            home[u] = n
    assert set(home) == set(users), "logins missing from the logs: %d" % (1000 - len(home))
    counts = {n.name: sum(1 for v in home.values() if v is n) for n in site.nodes}
    print("    1000 users: %s" % counts, flush=True)
    for name, c in counts.items():
        assert abs(c - 1000 / 3) <= 0.15 * 1000 / 3, "%s has %d users, not within 15%% of %.0f" % (name, c, 1000 / 3)
    # SIGKILL one node: its users' next logins reach a live node within the health-check interval.
    dead = site.nodes[1]
    movers = [u for u in users if home[u] is dead][:25]
    stayers = [u for u in users if home[u] is not dead][:25]
    dead.kill()
    killed = time.time()
    moved = {}
    for u in movers:
        while True:
            try:
                n = which_node(site, u, lambda: login_through_nginx(site, u))
                moved[u] = (n, time.time() - killed)
                break
            except (imaplib.IMAP4.error, OSError, AssertionError, EOFError, ssl.SSLError):
                assert time.time() - killed < HEALTH_INTERVAL + HEALTH_TIMEOUT + 2 * SLACK, \
                    "%s could not log in %.1f s after its node was killed" % (u, time.time() - killed)
                time.sleep(0.2)
    worst = max(t for _, t in moved.values())
    MEASURED.append(("SIGKILL of a node to the last of 25 of its users logged in on a live node", worst))
    assert worst <= HEALTH_INTERVAL + HEALTH_TIMEOUT + SLACK, "took %.1f s" % worst
    for u, (n, _) in moved.items():
        assert n is not dead and n.alive(), (u, n.name)
        again = which_node(site, u, lambda: login_through_nginx(site, u))
        assert again is n, "%s moved to %s, then to %s" % (u, n.name, again.name)
    for u in stayers:
        n = which_node(site, u, lambda: login_through_nginx(site, u))
        assert n is home[u], "%s of a live node moved from %s to %s" % (u, home[u].name, n.name)
    print("    after the SIGKILL of %s: its users on %s within %.1f s; the others stayed" % (
        dead.name, sorted({n.name for n, _ in moved.values()}), worst), flush=True)


def jakarta_classpath():
    from e2e_sync import jakarta_classpath as cp
    return cp()


def java_binary():
    from e2e_sync import java_binary as jb
    return jb()


TESTS = [
    test_two_nodes_see_each_others_append_flags_and_expunge,
    test_sigkill_during_append_loop_loses_nothing_and_reuses_no_uid,
    test_proxy_header_from_an_untrusted_address_is_refused,
    test_imaplib_mbsync_and_jakarta_log_in_through_nginx_and_reach_the_same_node,
    test_each_user_always_reaches_the_same_node,
    test_client_address_through_nginx_is_the_clients_in_logs_and_who,
    test_thousand_users_spread_evenly_and_a_killed_nodes_users_move,  # last: it kills a node for good
]


def main():
    only = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "-k" else None
    work = tempfile.mkdtemp(prefix="posthorn-e2e-nodes-")
    os.chmod(work, 0o755)
    passed = failed = 0
    begin = time.time()
    site = None
    try:
        site = Site(work)
        for n in site.nodes:
            n.start()
        for n in site.nodes:
            n.wait_ready()
        for n in site.nodes:
            # the store took docs/nodes/maildir.cfg: polling alone, as on NFS (no inotify across hosts)
            wait_for(lambda: "poll.interval %d s, watch poll" % POLL in n.log(), 30, n.name + "'s maildir.cfg")
        print("nodes up: %s (%.0f s)" % (", ".join("%s %s:%d" % (n.name, n.address, n.port) for n in site.nodes),
                                         time.time() - begin), flush=True)
        for t in TESTS:
            if only and only not in t.__name__:
                continue
            start = time.time()
            twork = os.path.join(work, t.__name__)
            os.makedirs(twork)
            try:
                t(site, twork)
                passed += 1
                print("PASS %s (%.1f s)" % (t.__name__, time.time() - start), flush=True)
            except Exception:
                failed += 1
                print("FAIL %s (%.1f s)\n%s" % (t.__name__, time.time() - start, traceback.format_exc()), flush=True)
    except Exception:
        failed += 1
        print("FAIL setting up the site\n" + traceback.format_exc(), flush=True)
    finally:
        if site is not None:
            if site.nginx is not None:
                site.nginx.stop()
            for n in site.nodes:
                n.stop()
    for what, secs in MEASURED:
        print("measured: %s: %.0f ms" % (what, secs * 1000))
    if failed:
        for n in site.nodes if site else []:
            print("%s log (last 40 lines):\n%s" % (n.name, "\n".join(n.log().splitlines()[-40:])))
        if site and site.nginx:
            print("nginx log (last 30 lines):\n" + "\n".join(site.nginx.log().splitlines()[-30:]))
        print("work directory kept: " + work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    print("e2e-nodes: %d passed, %d failed (%.0f s)" % (passed, failed, time.time() - begin))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
