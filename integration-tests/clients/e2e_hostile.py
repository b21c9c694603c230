#!/usr/bin/env python3
"""End-to-end tests of issue 10 (hardening): what a stranger, a hostile message or a careless operator
can do to `./posthorn run`. Each test reproduces one defect of the issue from outside (raw IMAP,
files in the Maildir, processes, the JVM's heap as jcmd reports it) and asserts the behaviour the
issue demands, so it fails before the fix and passes after it; a failure message shows the figure
measured.

One shared server (free ports, short login delays) runs most tests; tests that need their own
settings, a clean heap, a umask or a taken port start their own servers beside it. Every wait is
bounded: a server that hangs makes a test fail, never the script hang. About 2.5 minutes once the
defects are fixed.

Not covered here: issue 10's item 8 (a session ended by StackOverflowError or OutOfMemoryError gets
BYE): once items 2 and 4 are fixed nothing reachable from outside throws either, so it needs an
in-server test; and the LDAP/SQL failure behaviours (hung slapd, refused database, their log lines,
refused auth.*.cfg edits, the login cache across config changes), which need slapd and a database
and belong beside ldap_e2e.py and sql_e2e.py. The missing-Maildir-on-first-login item needs a
second account and is left to the auth tests as well.

Usage: e2e_hostile.py [-k NAME]
"""
import hashlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import TOP, Server, deliver, free_port, run_suite, set_config_keys  # noqa: E402

MB = 1024 * 1024
HEAP_GROWTH_MAX = 8 * MB

# The shared server's login delay: short, so that a test's failed logins (once every attempt from a
# failing address is delayed) cost the next tests little.
SHARED_SETTINGS = {"auth.delay.base": 50, "auth.delay.max": 200, "max.per.ip": 20}


# ---------------------------------------------------------------------------------------------
# A raw IMAP connection that reads responses with their literals, from any loopback address.

class Conn:
    def __init__(self, port, source=None, timeout=10, greet=True, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buf = bytearray()
        self.greeting = self.line(timeout) if greet else None

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline, what):
        left = deadline - time.time()
        if left <= 0:
            raise TimeoutError("no %s within the time allowed; have %r" % (what, bytes(self.buf[:200])))
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            raise TimeoutError("no %s within the time allowed; have %r" % (what, bytes(self.buf[:200])))
        if not chunk:
            raise EOFError("connection closed; have %r" % bytes(self.buf[:200]))
        self.buf += chunk

    def line(self, timeout=10):
        """One line without its CRLF."""
        deadline = time.time() + timeout
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return line
            self._fill(deadline, "line")

    def exactly(self, n, timeout=10):
        deadline = time.time() + timeout
        while len(self.buf) < n:
            self._fill(deadline, "%d literal bytes" % n)
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def response(self, timeout=10):
        """One response line with its literals inline (as bytes, CRLFs of the line parts dropped)."""
        deadline = time.time() + timeout
        parts = []
        while True:
            l = self.line(max(0.01, deadline - time.time()))
            parts.append(l)
            m = re.search(rb"\{(\d+)\}$", l)
            if not m:
                return b"".join(parts)
            parts.append(self.exactly(int(m.group(1)), max(0.01, deadline - time.time())))

    def until(self, pred, timeout=10):
        lines = []
        deadline = time.time() + timeout
        while True:
            l = self.response(max(0.01, deadline - time.time()))
            lines.append(l)
            if pred(l):
                return lines

    def cmd(self, tag, text, timeout=10):
        """Sends a command; returns its responses up to the tagged one (or a BYE, then the connection ends)."""
        self.send(tag + b" " + text + b"\r\n")
        return self.until(lambda l: l.startswith(tag + b" ") or l.startswith(b"* BYE"), timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def login(srv, source=None):
    c = Conn(srv.port, source=source)
    r = c.cmd(b"l1", b"LOGIN demo \"" + srv.password().encode() + b"\"")
    assert r[-1].startswith(b"l1 OK"), r
    return c


def short(data, n=160):
    return repr(data[:n]) + ("... (%d bytes)" % len(data) if len(data) > n else "")


# ---------------------------------------------------------------------------------------------
# Servers beside the shared one, the config, the log, the JVM.

AUX = []


def tls_port(srv):
    with open(os.path.join(srv.conf, "imapd.cfg")) as f:
        return int(re.search(r"(?m)^tls\.port=(\d+)", f.read()).group(1))


def configure(srv, values):
    """Writes values into the server's imapd.cfg (replacing a key's line, or adding it)."""
    set_config_keys(os.path.join(srv.conf, "imapd.cfg"), values)


def set_config(srv, values, timeout=20):
    """Changes imapd.cfg of a running server and waits until the server says it took the change."""
    before = srv.stderr().count("imapd: configuration updated")
    configure(srv, values)
    deadline = time.time() + timeout
    while srv.stderr().count("imapd: configuration updated") == before:
        assert time.time() < deadline, "configuration change %r not picked up in %d s" % (values, timeout)
        time.sleep(0.2)


def aux_server(name, settings):
    """A server of its own under the work directory (not started); stopped at the end of the script."""
    srv = Server(os.path.join(WORK, name), free_port())
    configure(srv, settings)
    AUX.append(srv)
    return srv


def launch(srv, umask=None):
    """Starts ./posthorn run (under umask, if given) without waiting for it to listen."""
    env = dict(os.environ, POSTHORN_VAR=srv.var, POSTHORN_DEMO="yes")
    srv.out = open(srv.out_path, "ab")
    srv.err = open(srv.err_path, "ab")
    command = [os.path.join(TOP, "posthorn"), "run", "--config", srv.conf]
    if umask is not None:
        command = ["sh", "-c", 'umask %03o; exec "$0" "$@"' % umask] + command
    srv.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=srv.out, stderr=srv.err,
                                env=env, cwd=TOP)


def start_with_umask(srv, umask):
    """launch, then wait for the greeting as Server.start does; a failure is kept in srv.failed."""
    srv.failed = None
    launch(srv, umask)
    deadline = time.time() + 90
    while time.time() < deadline:
        if srv.proc.poll() is not None:
            srv.failed = "exited with status %s:\n%s" % (srv.proc.returncode, srv.stderr()[-2000:])
            return
        if greets(srv.port, timeout=2).startswith("* OK"):
            return
        time.sleep(0.3)
    srv.failed = "did not listen in 90 s:\n" + srv.stderr()[-2000:]


def shutdown(srv):
    """Stops a server whatever state it is in: SIGTERM, and SIGKILL if that does not end it."""
    if srv.proc is None:
        return
    if srv.proc.poll() is None:
        srv.proc.send_signal(signal.SIGTERM)
        try:
            srv.proc.wait(20)
        except subprocess.TimeoutExpired:
            srv.proc.kill()
            srv.proc.wait(10)
    for f in (getattr(srv, "out", None), getattr(srv, "err", None)):
        if f is not None and not f.closed:
            f.close()


def greets(port, source=None, timeout=10):
    """The greeting a new connection gets ('' if none)."""
    try:
        c = Conn(port, source=source, timeout=timeout)
    except (OSError, EOFError, TimeoutError) as e:
        return "(%s)" % e
    c.close()
    return c.greeting.decode(errors="replace")


def keeps_server(test):
    """Runs a test on the shared server; if the server died or stopped greeting, it is restarted
    (so the next tests run) and the test fails for it."""
    def run(srv):
        try:
            test(srv)
        finally:
            code = srv.proc.poll()
            greeting = greets(srv.port) if code is None else ""
            if code is not None or not greeting.startswith("* OK"):
                shutdown(srv)
                srv.start()
                raise AssertionError("the shared server %s during %s; restarted"
                                     % ("exited with status %s" % code if code is not None
                                        else "stopped greeting (%s)" % greeting, test.__name__))
    run.__name__ = test.__name__
    return run


def jvm_pid(srv):
    """The server's JVM: ./posthorn run execs java, but look among its children in case it does not."""
    todo = [srv.proc.pid]
    while todo:
        pid = todo.pop(0)
        try:
            if os.path.basename(os.readlink("/proc/%d/exe" % pid)) == "java":
                return pid
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                todo += [int(p) for p in f.read().split()]
        except OSError:
            continue
    raise AssertionError("no java process under the server's process %d" % srv.proc.pid)


def heap_used(srv):
    """Heap in use after a full GC, in bytes (jcmd GC.run, then GC.heap_info)."""
    pid = jvm_pid(srv)
    jcmd = os.path.join(os.path.dirname(os.readlink("/proc/%d/exe" % pid)), "jcmd")
    try:
        subprocess.run([jcmd, str(pid), "GC.run"], capture_output=True, timeout=60, check=True)
        out = subprocess.run([jcmd, str(pid), "GC.heap_info"], capture_output=True, timeout=60,
                             check=True).stdout.decode(errors="replace")
    except (subprocess.SubprocessError, OSError) as e:
        raise AssertionError("jcmd could not measure the server's heap (the JVM is stuck or gone?): %s" % e)
    m = re.search(r"used (\d+)K", out)
    assert m, "no heap figure in jcmd GC.heap_info:\n" + out
    return int(m.group(1)) * 1024


def log_lines_since(srv, offset):
    return srv.stderr()[offset:].splitlines()


def stack_trace_lines(lines):
    return [l for l in lines if re.match(r"^\s+at [\w$.]+\(", l) or l.startswith("Caused by:")
            or re.match(r"^(java|javax|org|com)\.[\w.$]+(Error|Exception)\b", l)]


# ---------------------------------------------------------------------------------------------
# 1. Literals: refused before login, streamed to disk after it.

@keeps_server
def test_prelogin_big_literal_refused_before_continuation(srv):
    problems = []
    c = Conn(srv.port)
    try:
        c.send(b"a1 LOGIN {100000}\r\n")
        r = c.response(timeout=10)
        if r.startswith(b"+"):
            problems.append("a 100000-byte literal before login got a continuation (the server would buffer it): %r" % r)
        elif not re.match(rb"a1 (BAD|NO) \[[A-Z-]+\]", r):
            problems.append("a 100000-byte literal before login should get BAD/NO with a response code such as "
                            "[TOOBIG]: %r" % r)
    finally:
        c.close()
    c = Conn(srv.port)
    try:
        try:
            c.send(b"a2 LOGIN {100000+}\r\n" + b"x" * 100000 + b" secret\r\n")
        except OSError:
            pass  # the server may refuse and close before all of it is sent
        try:
            r = c.until(lambda l: l.startswith(b"a2 ") or l.startswith(b"* BYE"), timeout=10)[-1]
        except (EOFError, TimeoutError) as e:
            r = ("(%s)" % e).encode()
        if not (r.startswith(b"* BYE") or re.match(rb"a2 (BAD|NO) \[(TOOBIG|LIMIT)\]", r)):
            problems.append("a non-synchronizing 100000-byte literal before login should be refused ([TOOBIG] "
                            "or BYE), not read and answered as a login: %r" % r)
    finally:
        c.close()
    c = Conn(srv.port)
    try:
        c.send(b"a3 LOGIN {300}\r\n")
        r = c.response()
        assert r.startswith(b"+"), "a 300-byte user name literal before login was refused: %r" % r
        c.send(b"u" * 300 + b" wrong-password\r\n")
        r = c.until(lambda l: l.startswith(b"a3 ") or l.startswith(b"* BYE"))[-1]
        assert r.startswith(b"a3 NO [AUTHENTICATIONFAILED]"), \
            "LOGIN with a 300-byte user name literal should be an ordinary failed login: %r" % r
        pw = srv.password().encode()
        c.send(b"a4 LOGIN {4}\r\n")
        assert c.response().startswith(b"+")
        c.send(b"demo {%d}\r\n" % len(pw))
        assert c.response().startswith(b"+")
        c.send(pw + b"\r\n")
        r = c.until(lambda l: l.startswith(b"a4 ") or l.startswith(b"* BYE"))[-1]
        assert r.startswith(b"a4 OK"), "LOGIN with small literals failed: %r" % r
    finally:
        c.close()
    g = greets(srv.port)
    assert g.startswith("* OK"), "the server does not greet after the literal tests: %s" % g
    assert not problems, "; ".join(problems)


def hold_prelogin_literal(port, i, sizes, deadline, stats):
    """One connection that announces the largest literal the server takes before login and sends all
    of it but the last byte. Returns the connection (or None if it could not open)."""
    try:
        c = Conn(port, timeout=5)
    except (OSError, EOFError, TimeoutError) as e:
        stats["failed"].append(str(e))
        return None
    if not c.greeting.startswith(b"* OK"):
        stats["failed"].append(c.greeting.decode(errors="replace"))
        return c
    accepted = 0
    nonsync = i % 2 == 1
    try:
        for size in (sizes[:1] if nonsync else sizes):
            if nonsync:
                c.send(b"t%d LOGIN {%d+}\r\n" % (i, size))
                accepted = size
                break
            c.send(b"t%d LOGIN {%d}\r\n" % (i, size))
            r = c.response(timeout=5)
            if r.startswith(b"+"):
                accepted = size
                break
            if r.startswith(b"* BYE"):
                break
        if accepted:
            chunk = b"x" * min(MB, accepted)
            # A server may read and discard a refused non-synchronizing literal (RFC 7888 allows
            # it): 4 MB of it show whether it buffers, without sending 64 MB fifty times.
            left = min(accepted - 1, 4 * MB) if nonsync else accepted - 1
            c.sock.settimeout(3)
            while left > 0 and time.time() < deadline:
                n = min(left, len(chunk))
                c.sock.sendall(chunk[:n])
                left -= n
                stats["sent"] += n
            stats["held"] += 1
    except (OSError, EOFError, TimeoutError):
        pass  # refused and closed, or the server stopped reading: either way it holds no more
    if not nonsync:
        stats["accepted"].append(accepted)
    return c


def test_prelogin_literals_do_not_grow_heap(srv):
    """100 connections each announcing the largest literal the server accepts before login (every
    other one non-synchronizing, literal.max) and sending all of it but the last byte."""
    mem = aux_server("prelogin-heap", {"max.per.ip": 200, "login.timeout": 300, "prelogin.rate": 100})
    mem.start()
    conns = []
    try:
        literal_max = 64 * MB
        sizes = [literal_max, MB, 65536, 8192, 1024, 256]
        before = heap_used(mem)
        stats = {"sent": 0, "held": 0, "accepted": [], "failed": []}
        deadline = time.time() + 45  # bound on the sending, whatever the server does
        for i in range(100):
            if len(stats["failed"]) >= 3:
                break
            conns.append(hold_prelogin_literal(mem.port, i, sizes, deadline, stats))
        assert mem.proc.poll() is None, "the server exited while connections held pre-login literals"
        after = heap_used(mem)
        growth = after - before
        print("  heap after GC: %.1f MB before, %.1f MB with 100 connections holding pre-login literals "
              "(growth %.1f MB); %.1f MB sent, largest literal given a continuation %d bytes, "
              "%d connections could not open"
              % (before / MB, after / MB, growth / MB, stats["sent"] / MB, max(stats["accepted"] or [0]),
                 len(stats["failed"])))
        assert growth < HEAP_GROWTH_MAX, \
            "heap grew by %.1f MB (from %.1f to %.1f MB) with 100 unfinished pre-login literals (%.1f MB sent); " \
            "limit %.0f MB" % (growth / MB, before / MB, after / MB, stats["sent"] / MB, HEAP_GROWTH_MAX / MB)
        oom = [l for l in mem.stderr().splitlines() if "OutOfMemoryError" in l]
        assert not oom, "OutOfMemoryError in the log: %s" % oom[:3]
    finally:
        for c in conns:
            if c is not None:
                c.close()
        shutdown(mem)


def big_message(size):
    """A message of exactly size bytes, CRLF lines only (stored and fetched byte for byte)."""
    head = (b"From: Big <big@example.org>\r\nTo: demo@localhost\r\nSubject: forty megabytes\r\n"
            b"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <big@e2e>\r\n\r\n")
    line_count = (size - len(head)) // 80 + 1
    body = b"".join(b"%07d " % n + b"y" * 71 + b"\r\n" for n in range(line_count))
    return head + body[:size - len(head) - 2] + b"\r\n"


@keeps_server
def test_append_literals_stream_to_disk(srv):
    """Five sessions each APPEND a 40 MB literal, send 39 MB of it and hold; then one completes."""
    size = 40 * MB
    held_bytes = 39 * MB
    msg = big_message(size)
    assert len(msg) == size
    setup = login(srv)
    assert setup.cmd(b"c", b"CREATE Big")[-1].startswith(b"c OK")
    sessions = []
    problems = []
    try:
        before = heap_used(srv)
        for i in range(5):
            c = login(srv)
            sessions.append(c)
            c.send(b"ap APPEND Big {%d}\r\n" % size)
            r = c.response()
            assert r.startswith(b"+"), "APPEND of a 40 MB literal refused: %r" % r
            c.sock.settimeout(30)
            for off in range(0, held_bytes, MB):
                c.sock.sendall(msg[off:min(off + MB, held_bytes)])
        time.sleep(0.5)  # the last bytes read by the server
        after = heap_used(srv)
        growth = after - before
        print("  heap after GC: %.1f MB before, %.1f MB with 5 APPENDs holding 39 MB each (growth %.1f MB)"
              % (before / MB, after / MB, growth / MB))
        if growth >= HEAP_GROWTH_MAX:
            problems.append("heap grew by %.1f MB (from %.1f to %.1f MB) with 5 unfinished 40 MB APPEND literals; "
                            "the literal should stream to tmp/, limit %.0f MB"
                            % (growth / MB, before / MB, after / MB, HEAP_GROWTH_MAX / MB))
        for c in sessions[1:]:
            c.close()
        c = sessions[0]
        c.sock.settimeout(60)
        c.sock.sendall(msg[held_bytes:] + b"\r\n")
        r = c.until(lambda l: l.startswith(b"ap ") or l.startswith(b"* BYE"), timeout=60)[-1]
        m = re.match(rb"ap OK \[APPENDUID \d+ (\d+)\]", r)
        assert m, "completing the 40 MB APPEND: %r" % r
        assert c.cmd(b"s", b"SELECT Big", timeout=30)[-1].startswith(b"s OK")
        lines = c.cmd(b"f", b"UID FETCH %s BODY.PEEK[]" % m.group(1), timeout=60)
        assert lines[-1].startswith(b"f OK"), lines[-1]
        fetched = next((l for l in lines if b"BODY[]" in l), b"")
        body = fetched[fetched.index(b"}") + 1:] if b"}" in fetched else b""
        if body.endswith(b")"):
            body = body[:-1]
        if body != msg:
            problems.append("the 40 MB message came back different: %d bytes, sha256 %s; sent %d bytes, sha256 %s"
                            % (len(body), hashlib.sha256(body).hexdigest()[:16], len(msg),
                               hashlib.sha256(msg).hexdigest()[:16]))
    finally:
        for c in sessions:
            c.close()
        setup.cmd(b"d", b"DELETE Big", timeout=30)
        setup.close()
    assert not problems, "; ".join(problems)


# ---------------------------------------------------------------------------------------------
# 2. A hostile message: 20,000 nested multiparts.

def hostile_message(depth=20000):
    """~1.4 MB: every part a multipart with its own boundary holding the next one, as an MDA stores it."""
    head = ("From: Mallory <mallory@example.org>\nTo: demo@localhost\nSubject: nested %d deep\n"
            "Date: Tue, 24 Nov 2026 10:00:00 +0000\nMessage-ID: <hostile@e2e>\nMIME-Version: 1.0\n" % depth)
    out = [head.encode()]
    for i in range(depth):
        out.append(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i))
    out.append(b"Content-Type: text/plain\n\ninnermost words\n")
    for i in reversed(range(depth)):
        out.append(b"--b%d--\n" % i)
    return b"".join(out)


def deliver_bytes(maildir, data, name=None):
    name = name or "%d.M%dP%d.hostile" % (time.time(), time.time_ns() // 1000 % 1000000, os.getpid())
    tmp = os.path.join(maildir, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(maildir, "new", name))
    return name


class Steps:
    """Runs commands on a logged-in session that selected a mailbox, one after another, and notes
    each outcome; a step that drops the session is noted and the next one gets a new session."""

    def __init__(self, srv, mailbox, expect=b"OK", timeout=10):
        self.srv, self.mailbox, self.expect, self.timeout = srv, mailbox, expect, timeout
        self.conn = None
        self.problems = []
        self.times = []

    def session(self):
        if self.conn is None:
            self.conn = login(self.srv)
            r = self.conn.cmd(b"s", b"SELECT " + self.mailbox, timeout=30)
            assert r[-1].startswith(b"s OK"), r[-1]
        return self.conn

    def run(self, what, tag, command, then_noop=False):
        """Returns the responses, or None if the step failed (noted)."""
        c = self.session()
        t0 = time.time()
        try:
            lines = c.cmd(tag, command, self.timeout)
        except (EOFError, ConnectionError):
            self.problems.append("%s: the session was dropped without a reply after %.1f s" % (what, time.time() - t0))
            self.drop()
            return None
        except TimeoutError:
            self.problems.append("%s: no reply within %d s" % (what, self.timeout))
            self.drop()
            return None
        took = time.time() - t0
        self.times.append("%s %.2f s" % (what, took))
        if not lines[-1].startswith(tag + b" " + self.expect):
            self.problems.append("%s answered %s after %.1f s" % (what, short(lines[-1]), took))
            return None
        if then_noop:
            try:
                ok = c.cmd(b"n", b"NOOP")[-1].startswith(b"n OK")
            except (EOFError, ConnectionError, TimeoutError):
                ok = False
            if not ok:
                self.problems.append("the session did not answer NOOP OK after %s" % what)
                self.drop()
        return lines

    def drop(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def check(self):
        self.drop()
        assert not self.problems, "; ".join(self.problems)


@keeps_server
def test_hostile_mime_nesting(srv):
    setup = login(srv)
    assert setup.cmd(b"c", b"CREATE Hostile")[-1].startswith(b"c OK")
    setup.close()
    box = os.path.join(srv.maildir(), ".Hostile")
    data = hostile_message()
    deliver_bytes(box, data)
    deliver(box, "An ordinary message", "The word zanzibarquill is in here.\n")
    offset = len(srv.stderr())
    steps = Steps(srv, b"Hostile")
    sizes = steps.session().cmd(b"z", b"FETCH 1:* (RFC822.SIZE)")
    by_size = {int(re.search(rb"RFC822\.SIZE (\d+)", l).group(1)): int(l.split()[1])
               for l in sizes if b"RFC822.SIZE" in l}
    hostile, plain = by_size[max(by_size)], by_size[min(by_size)]
    for tag, key in ((b"b", b"BODY"), (b"t", b"TEXT")):
        lines = steps.run("SEARCH " + key.decode(), tag, b"SEARCH %s zanzibarquill" % key)
        if lines is not None:
            found = next((l for l in lines if l.startswith(b"* SEARCH")), b"")
            if found.split()[2:] != [b"%d" % plain]:
                steps.problems.append("SEARCH %s found %r, expected message %d" % (key.decode(), found, plain))
    steps.run("FETCH BODYSTRUCTURE", b"f", b"FETCH %d BODYSTRUCTURE" % hostile, then_noop=True)
    steps.run("FETCH BODY[1.1.1]", b"g", b"FETCH %d BODY.PEEK[1.1.1]" % hostile, then_noop=True)
    print("  %d-byte message, 20,000 nested parts: %s" % (len(data), ", ".join(steps.times) or "no step answered"))
    time.sleep(0.3)
    traces = stack_trace_lines(log_lines_since(srv, offset))
    if traces:
        steps.problems.append("the log got a stack trace (%d lines), first: %s" % (len(traces), traces[:2]))
    steps.check()


# ---------------------------------------------------------------------------------------------
# 3. File modes under any umask.

def group_or_other_bits(top):
    bad = []
    for dirpath, dirs, files in os.walk(top):
        for name in [""] + dirs + files if dirpath == top else dirs + files:
            p = os.path.join(dirpath, name) if name else dirpath
            st = os.lstat(p)
            if st.st_mode & 0o077:
                bad.append("%s %o" % (os.path.relpath(p, os.path.dirname(top)), st.st_mode & 0o7777))
    return bad


def make_mail(srv):
    """APPEND, CREATE, a keyword, SELECT: every kind of file the server writes into a Maildir."""
    c = login(srv)
    try:
        msg = b"From: a@example.org\r\nSubject: modes\r\n\r\nwho may read this?\r\n"
        for box in (b"INBOX", b"INBOX.Private"):
            if box != b"INBOX":
                assert c.cmd(b"c", b"CREATE " + box)[-1].startswith(b"c OK")
            c.send(b"a APPEND %s {%d}\r\n" % (box, len(msg)))
            assert c.response().startswith(b"+")
            c.send(msg + b"\r\n")
            assert c.until(lambda l: l.startswith(b"a "))[-1].startswith(b"a OK")
            assert c.cmd(b"s", b"SELECT " + box)[-1].startswith(b"s OK")
            assert c.cmd(b"k", b"STORE 1:* +FLAGS ($foo \\Seen)")[-1].startswith(b"k OK")
            assert c.cmd(b"f", b"FETCH 1:* (ENVELOPE BODYSTRUCTURE)")[-1].startswith(b"f OK")
        assert c.cmd(b"u", b"SUBSCRIBE INBOX.Private")[-1].startswith(b"u OK")
        c.cmd(b"o", b"LOGOUT")
    finally:
        c.close()


def test_maildir_files_are_owner_only(srv):
    servers = {mask: aux_server("umask-%03o" % mask, {}) for mask in (0o022, 0o000)}
    # Started side by side: each JVM start takes seconds.
    threads = []
    for mask, s in servers.items():
        t = threading.Thread(target=start_with_umask, args=(s, mask))
        threads.append(t)
        t.start()
    for t in threads:
        t.join(120)
    report = []
    try:
        for mask, s in servers.items():
            assert not s.failed, "the server under umask %03o %s" % (mask, s.failed)
            make_mail(s)
            bad = group_or_other_bits(s.maildir())
            print("  umask %03o: %d paths in the Maildir with group/other bits" % (mask, len(bad)))
            if bad:
                report.append("umask %03o: %d paths with group/other bits, e.g.\n    %s"
                              % (mask, len(bad), "\n    ".join(bad[:12])))
    finally:
        for s in servers.values():
            shutdown(s)
    assert not report, "Maildir paths readable beyond the owner:\n" + "\n".join(report)


# ---------------------------------------------------------------------------------------------
# 4. Deep search terms.

@keeps_server
def test_deep_search_terms_answer_bad(srv):
    steps = Steps(srv, b"INBOX", expect=b"BAD")
    cases = [
        ("5,000 nested OR", b"SEARCH " + b"OR " * 5000 + b"ALL " * 5000 + b"ALL"),
        ("16,000 NOT", b"SEARCH " + b"NOT " * 16000 + b"ALL"),
        ("5,000 nested parentheses", b"SEARCH " + b"(" * 5000 + b"ALL" + b")" * 5000),
        ("3,000 OR NOT in turn", b"SEARCH " + b"OR NOT " * 3000 + b"ALL " * 3000 + b"ALL"),
    ]
    for n, (what, command) in enumerate(cases):
        steps.run(what, b"d%d" % n, command, then_noop=True)
    print("  answered BAD: %s" % (", ".join(steps.times) or "none"))
    steps.check()


# ---------------------------------------------------------------------------------------------
# 5. A taken port.

def taken_port_case(name, key):
    srv = aux_server(name, {})
    port = srv.port if key == "port" else tls_port(srv)
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", port))
    holder.listen(5)
    try:
        t0 = time.time()
        launch(srv)
        try:
            code = srv.proc.wait(90)  # a start under load takes tens of seconds; a hang never ends
        except subprocess.TimeoutExpired:
            code = None
        took = time.time() - t0
        lines = [l for l in srv.stderr().splitlines() if str(port) in l]
        if code is None:
            shutdown(srv)
            raise AssertionError("with %s %d taken the server still runs %.0f s after start (it should exit "
                                 "non-zero); its log lines about the port: %s" % (key, port, took, lines))
        assert code != 0, "with %s %d taken the server exited with status 0" % (key, port)
        assert lines, "the server exited (status %d) without a log line naming port %d:\n%s" \
            % (code, port, srv.stderr()[-1500:])
        traces = stack_trace_lines(srv.stderr().splitlines())
        assert not traces, "a stack trace instead of one line: %s" % traces[:3]
        print("  %s taken: exit status %d after %.1f s: %s" % (key, code, took, lines[-1][:160]))
    finally:
        holder.close()
        shutdown(srv)


def test_taken_port_exits_nonzero(srv):
    taken_port_case("taken-port", "port")
    taken_port_case("taken-tls-port", "tls.port")


# ---------------------------------------------------------------------------------------------
# 6. The login delay: every attempt from a failing address is delayed, abandoned ones count.

AUTH_DELAY = {"auth.delay.base": 500, "auth.delay.max": 15000, "allow.plaintext": "true", "max.per.ip": 20}


def auth_server():
    for s in AUX:
        if s.work.endswith("login-delay"):
            if s.proc.poll() is not None:
                raise AssertionError("the login-delay server is not running")
            return s
    s = aux_server("login-delay", AUTH_DELAY)
    s.start()
    return s


def timed_login(srv, source, user, password, timeout=30):
    c = Conn(srv.port, source=source)
    try:
        t0 = time.time()
        r = c.cmd(b"a", b"LOGIN %s \"%s\"" % (user, password), timeout=timeout)
        return r[-1], time.time() - t0
    finally:
        c.close()


def abandon_login(srv, source, user):
    """Sends a wrong password and hangs up 50 ms later; returns the greeting."""
    c = Conn(srv.port, source=source)
    try:
        if c.greeting.startswith(b"* OK"):
            c.send(b"a LOGIN %s wrong-password\r\n" % user)
            time.sleep(0.05)
        return c.greeting
    finally:
        c.close()


def test_login_delay_applies_to_right_password(srv):
    a = auth_server()
    took = []
    for _ in range(2):
        r, t = timed_login(a, "127.0.0.1", b"demo", b"wrong-password")
        assert r.startswith(b"a NO"), r
        took.append(t)
    r, t = timed_login(a, "127.0.0.1", b"demo", a.password().encode())
    assert r.startswith(b"a OK"), r
    print("  wrong passwords answered after %s s; then the right one after %.2f s"
          % (", ".join("%.2f" % x for x in took), t))
    assert t >= 0.4, "after 2 failed logins from the address the right password was answered after %.2f s " \
        "(undelayed); every attempt from a failing address should wait the delay (base 500 ms)" % t


def test_login_delay_counts_abandoned_attempts(srv):
    a = auth_server()
    for _ in range(2):
        abandon_login(a, "127.0.0.21", b"ghost21")
    time.sleep(0.3)
    r, t = timed_login(a, "127.0.0.21", b"ghost21", b"wrong-password")
    print("  after 2 attempts abandoned 50 ms after sending, the next was answered after %.2f s" % t)
    assert r.startswith(b"a NO"), r
    assert t >= 1.5, "after 2 abandoned attempts the 3rd was answered after %.2f s: abandoned attempts " \
        "did not count (expected about 2 s: base 500 ms doubled twice)" % t


def test_abandoned_logins_free_their_slots(srv):
    a = auth_server()
    refused = 0
    for _ in range(25):
        if not abandon_login(a, "127.0.0.22", b"ghost22").startswith(b"* OK"):
            refused += 1
    greeting = ""
    deadline = time.time() + 3
    while time.time() < deadline:
        greeting = greets(a.port, source="127.0.0.22", timeout=5)
        if greeting.startswith("* OK"):
            break
        time.sleep(0.5)
    print("  25 abandoned logins (max.per.ip=20): %d refused; then a new connection got %r" % (refused, greeting[:60]))
    assert greeting.startswith("* OK") and refused == 0, \
        "abandoned logins held their connection slots through the delay: %d of 25 refused, a new connection " \
        "3 s later got %r" % (refused, greeting[:80])


# ---------------------------------------------------------------------------------------------
# 7. Log floods.

@keeps_server
def test_refused_connections_do_not_flood_the_log(srv):
    source = "127.0.0.9"
    held = [Conn(srv.port, source=source) for _ in range(SHARED_SETTINGS["max.per.ip"])]
    try:
        assert all(c.greeting.startswith(b"* OK") for c in held)
        offset = len(srv.stderr())
        t0 = time.time()
        refused = 0
        for _ in range(2000):
            try:
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=5, source_address=(source, 0))
                s.close()
                refused += 1
            except OSError:
                pass
        took = time.time() - t0
        time.sleep(1)
        deadline = time.time() + 10
        while not any("suppress" in l for l in log_lines_since(srv, offset)) and time.time() < deadline:
            time.sleep(0.5)
        lines = [l for l in log_lines_since(srv, offset) if source in l]
        warn = [l for l in lines if re.match(r"(\S+ )?(WARN|ERROR) ", l)]
        suppressed = [l for l in log_lines_since(srv, offset) if "suppress" in l]
        print("  %d refused connections in %.1f s: %d log lines about %s (%d WARN), suppressed note: %s"
              % (refused, took, len(lines), source, len(warn), suppressed[:1]))
        assert len(lines) <= 50, "%d refused connections from %s made %d log lines (%d WARN); at most 50 expected, " \
            "e.g. %s" % (refused, source, len(lines), len(warn), lines[:2])
        assert suppressed, "no log line says how many repeated events were suppressed"
    finally:
        for c in held:
            c.close()


# ---------------------------------------------------------------------------------------------
# 9. The selected mailbox deleted by another session.

@keeps_server
def test_deleted_selected_mailbox_answers_without_paths(srv):
    a = login(srv)
    b = login(srv)
    try:
        assert a.cmd(b"c", b"CREATE Doomed")[-1].startswith(b"c OK")
        msg = b"Subject: doomed\r\n\r\nsoon gone\r\n"
        a.send(b"p APPEND Doomed {%d}\r\n" % len(msg))
        assert a.response().startswith(b"+")
        a.send(msg + b"\r\n")
        assert a.until(lambda l: l.startswith(b"p "))[-1].startswith(b"p OK")
        assert a.cmd(b"s", b"SELECT Doomed")[-1].startswith(b"s OK")
        assert b.cmd(b"d", b"DELETE Doomed")[-1].startswith(b"d OK")
        replies = []
        bye = False
        for tag, command in ((b"f", b"FETCH 1 (FLAGS)"), (b"t", b"STORE 1 +FLAGS (\\Seen)"), (b"n", b"NOOP")):
            try:
                r = a.cmd(tag, command)
            except (EOFError, ConnectionError) as e:
                replies.append(b"(closed: %s)" % str(e).encode())
                break
            replies += r
            if r[-1].startswith(b"* BYE"):
                bye = True
                break
        text = b"\n".join(replies)
        paths = [p.encode() for p in {srv.var, os.path.realpath(srv.var)}] + [b"/Maildir", b".Doomed/"]
        leaked = [l for l in replies if any(p in l for p in paths)]
        assert not leaked, "replies name a file system path: %s" % leaked[:3]
        assert b"[SERVERBUG]" not in text, "a reply says SERVERBUG:\n%s" % text.decode(errors="replace")
        gone = bye or any(re.match(rb"[ft] NO \[NONEXISTENT\]", l) for l in replies)
        assert gone, "FETCH/STORE on the deleted mailbox got neither NO [NONEXISTENT] nor BYE:\n%s" \
            % text.decode(errors="replace")
    finally:
        a.close()
        b.close()


# ---------------------------------------------------------------------------------------------
# 10. Garbage after login.

@keeps_server
def test_garbage_after_login_ends_in_bye(srv):
    rnd = random.Random(10)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    lines = []
    total = 0
    while total < MB:
        words = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(3, 9))) + "7" for _ in range(30)]
        line = (" ".join(words) + "\r\n").encode()
        lines.append(line)
        total += len(line)
    garbage = b"".join(lines)
    c = login(srv)
    sender_error = []

    def send():
        try:
            c.sock.sendall(garbage)
        except OSError as e:
            sender_error.append(e)
    t = threading.Thread(target=send, daemon=True)
    t.start()
    bads = 0
    bye = None
    closed = False
    t0 = time.time()
    try:
        while time.time() - t0 < 30:
            try:
                l = c.line(timeout=5)
            except (EOFError, ConnectionError):
                closed = True
                break
            except (TimeoutError, OSError):
                break
            if b" BAD" in l[:40]:
                bads += 1
            elif l.startswith(b"* BYE"):
                bye = l
    finally:
        c.close()
    print("  %d bytes of garbage lines after login: %d BAD replies, BYE %r, closed %s"
          % (len(garbage), bads, bye, closed))
    assert bye is not None, "no BYE after %d BAD replies to %d lines of garbage" % (bads, len(lines))
    assert bads <= 20, "BYE only after %d BAD replies (at most 20 expected)" % bads
    assert closed, "the connection stayed open after the BYE"


# ---------------------------------------------------------------------------------------------
# 11. Smaller ones.

@keeps_server
def test_plaintext_login_only_from_trusted_addresses(srv):
    c = Conn(srv.port, source="127.0.0.2")
    try:
        caps = c.cmd(b"a", b"CAPABILITY")[0]
        r = c.cmd(b"b", b"LOGIN demo \"" + srv.password().encode() + b"\"")[-1]
        assert not r.startswith(b"b OK"), \
            "LOGIN without TLS from 127.0.0.2 succeeded (only 127.0.0.1 and ::1 are trusted by default); " \
            "capabilities were %r" % caps
        assert b"LOGINDISABLED" in caps, "LOGINDISABLED not announced to 127.0.0.2: %r" % caps
        assert r.startswith(b"b NO [PRIVACYREQUIRED]") or r.startswith(b"b BAD"), r
    finally:
        c.close()


@keeps_server
def test_imaps_login_timeout_sends_no_plaintext(srv):
    set_config(srv, {"login.timeout": 2})
    try:
        s = socket.create_connection(("127.0.0.1", tls_port(srv)), timeout=10)
        got = b""
        closed = False
        t0 = time.time()
        try:
            while time.time() - t0 < 8:
                s.settimeout(max(0.1, 8 - (time.time() - t0)))
                try:
                    chunk = s.recv(4096)
                except socket.timeout:
                    break
                except OSError:
                    closed = True
                    break
                if not chunk:
                    closed = True
                    break
                got += chunk
        finally:
            s.close()
        took = time.time() - t0
        print("  IMAPS client that never starts TLS: got %r, closed after %.1f s" % (got[:60], took))
        assert got == b"", "the server sent %r in plaintext on the IMAPS port before any TLS handshake" % got[:120]
        assert closed, "the connection was not closed at the login timeout (2 s); waited %.1f s" % took
    finally:
        set_config(srv, {"login.timeout": 60})


@keeps_server
def test_starttls_after_login_is_bad_for_the_right_reason(srv):
    """RFC 3501 6.2.1: STARTTLS is valid in the not authenticated state only; BAD otherwise (6.2.1
    lists OK and BAD as its results). The reason must not suggest another state would do."""
    c = login(srv)
    try:
        for state, before in (("authenticated", None), ("selected", b"SELECT INBOX")):
            if before:
                assert c.cmd(b"s", before)[-1].startswith(b"s OK")
            r = c.cmd(b"t", b"STARTTLS")[-1]
            assert r.startswith(b"t BAD"), "STARTTLS in the %s state answered %r (RFC 3501: BAD)" % (state, r)
            text = r.decode(errors="replace").lower()
            assert "selected" not in text and "select " not in text, \
                "STARTTLS after login answered with a misleading reason: %r" % r
            assert re.search(r"login|logged in|authenticat", text), \
                "STARTTLS after login should say it is only valid before login: %r" % r
    finally:
        c.close()


@keeps_server
def test_old_tmp_files_are_cleaned(srv):
    # A folder this server has not opened yet: the store cleans a folder's tmp/ when it first opens
    # it and then at most every 8 hours while it stays open (as Dovecot does), so a folder the
    # earlier tests already opened would keep a file left there now for hours; that part is the
    # store's unit test (IndexTest, with a clock).
    folder = os.path.join(srv.maildir(), ".Leftovers")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(folder, sub), mode=0o700, exist_ok=True)
    open(os.path.join(folder, "maildirfolder"), "w").close()
    tmp = os.path.join(folder, "tmp")
    old = os.path.join(tmp, "%d.M1P1.killed-append" % (time.time() - 40 * 3600))
    fresh = os.path.join(tmp, "%d.M2P2.delivery-in-progress" % time.time())
    for p in (old, fresh):
        with open(p, "w") as f:
            f.write("Subject: half written\n\n")
    then = time.time() - 37 * 3600
    os.utime(old, (then, then))
    try:
        c = login(srv)
        try:
            assert c.cmd(b"s", b"SELECT Leftovers")[-1].startswith(b"s OK")
            c.cmd(b"n", b"NOOP")
        finally:
            c.close()
        deadline = time.time() + 5
        while os.path.exists(old) and time.time() < deadline:
            time.sleep(0.2)
        assert not os.path.exists(old), "a tmp/ file 37 hours old is still there after login and SELECT"
        assert os.path.exists(fresh), "a fresh tmp/ file (a delivery in progress) was removed"
    finally:
        for p in (old, fresh):
            if os.path.exists(p):
                os.unlink(p)


@keeps_server
def test_uids_follow_delivery_order_within_a_second(srv):
    c = login(srv)
    assert c.cmd(b"c", b"CREATE Order")[-1].startswith(b"c OK")
    c.close()
    srv.stop()
    box = os.path.join(srv.maildir(), ".Order")
    sec = int(time.time()) - 5
    # Microseconds that grow in delivery order but sort differently as text (7 < 42 < 310 ...).
    usecs = [7, 42, 95, 310, 880, 1200, 4500, 9900, 15000, 62000, 99000, 100500, 230000, 310000,
             404000, 510000, 640000, 777000, 888000, 999999]
    for n, usec in enumerate(usecs):
        name = "%d.M%dP%d.e2e" % (sec, usec, 4242)
        deliver_bytes(box, b"From: a@example.org\nSubject: order %02d\n\nnumber %d\n" % (n, n), name)
        ns = sec * 1_000_000_000 + usec * 1000
        os.utime(os.path.join(box, "new", name), ns=(ns, ns))
    srv.start()
    c = login(srv)
    try:
        assert c.cmd(b"s", b"SELECT Order")[-1].startswith(b"s OK")
        lines = c.cmd(b"f", b"UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        pairs = sorted((int(re.search(rb"UID (\d+)", l).group(1)), int(re.search(rb"order (\d+)", l).group(1)))
                       for l in lines if l.startswith(b"* ") and b" FETCH " in l)
    finally:
        c.close()
    order = [n for _, n in pairs]
    assert order == list(range(20)), "UIDs 1..20 went to messages %s; expected 0..19, the order they were " \
        "delivered within one second (names sec.M<usec>P<pid>, mtimes to the microsecond)" % order


# ---------------------------------------------------------------------------------------------
# 12. A bad config value while running.

@keeps_server
def test_bad_config_value_is_refused(srv):
    offset = len(srv.stderr())
    configure(srv, {"max.per.ip": "lots"})
    try:
        deadline = time.time() + 10
        said = []
        while time.time() < deadline:
            said = [l for l in log_lines_since(srv, offset) if "imapd.cfg" in l and "max.per.ip" in l]
            if said:
                break
            time.sleep(0.3)
        time.sleep(0.5)
        greetings = [greets(srv.port, timeout=5) for _ in range(5)]
        print("  max.per.ip=lots: log %s; 5 new connections got %s" % (said[:1], [g[:20] for g in greetings]))
        assert all(g.startswith("* OK") for g in greetings), \
            "after max.per.ip=lots the plain listener does not greet: %s" % greetings
        assert said, "no log line names imapd.cfg and max.per.ip after max.per.ip=lots; the log since:\n%s" \
            % "\n".join(log_lines_since(srv, offset)[-10:])
        assert not stack_trace_lines(log_lines_since(srv, offset)), \
            "the refusal should be one line, not a stack trace: %s" % log_lines_since(srv, offset)[:8]
    finally:
        before = srv.stderr().count("imapd: configuration updated")
        configure(srv, {"max.per.ip": SHARED_SETTINGS["max.per.ip"]})
        deadline = time.time() + 10
        while srv.stderr().count("imapd: configuration updated") == before and time.time() < deadline:
            time.sleep(0.3)


def reports_time(test):
    """A failing test says how long it took (run_suite prints the time of passing ones)."""
    def run(srv):
        t0 = time.time()
        try:
            test(srv)
        except BaseException:
            print("  failed after %.1f s" % (time.time() - t0))
            raise
    run.__name__ = test.__name__
    return run


TESTS = [
    test_prelogin_big_literal_refused_before_continuation,
    test_append_literals_stream_to_disk,
    test_hostile_mime_nesting,
    test_deep_search_terms_answer_bad,
    test_deleted_selected_mailbox_answers_without_paths,
    test_garbage_after_login_ends_in_bye,
    test_plaintext_login_only_from_trusted_addresses,
    test_imaps_login_timeout_sends_no_plaintext,
    test_starttls_after_login_is_bad_for_the_right_reason,
    test_old_tmp_files_are_cleaned,
    test_refused_connections_do_not_flood_the_log,
    test_bad_config_value_is_refused,
    test_uids_follow_delivery_order_within_a_second,
    test_prelogin_literals_do_not_grow_heap,
    test_maildir_files_are_owner_only,
    test_taken_port_exits_nonzero,
    test_login_delay_applies_to_right_password,
    test_login_delay_counts_abandoned_attempts,
    test_abandoned_logins_free_their_slots,
]

TESTS = [reports_time(t) for t in TESTS]
WORK = None


def main():
    global WORK
    WORK = tempfile.mkdtemp(prefix="posthorn-e2e-hostile-")

    def make_server():
        srv = Server(os.path.join(WORK, "shared"), free_port())
        configure(srv, SHARED_SETTINGS)
        return srv

    def stop_others():
        for s in AUX:
            shutdown(s)
    return run_suite("e2e-hostile", WORK, make_server, TESTS, finish=stop_others)


if __name__ == "__main__":
    sys.exit(main())
