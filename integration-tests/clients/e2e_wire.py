#!/usr/bin/env python3
"""End-to-end tests of issue 15's wire extensions against `./posthorn run`: COMPRESS=DEFLATE
(RFC 4978) with Python's imaplib whose socket is wrapped in zlib (raw deflate, wbits=-15) doing a
real session (LIST, SELECT, FETCH bodies, IDLE, APPEND of a large literal), REPLACE (RFC 8508) and
UTF8=ACCEPT (RFC 6855) with imaplib's raw commands, COMPRESS with Jakarta Mail (JakartaMailCompress.java,
mail.imap.compress.enable), hostile clients in compressed mode (a corrupt deflate stream, a client
ending its stream, a deflate bomb of one endless line, literals over the limits, COMPRESS before
login: each ends in BAD or BYE with a log line, never in heap growth), and what an idle compressed
session costs the server (its resident memory per session, printed as a figure).

Prints 'e2e-wire: N passed, N failed'. About 20 seconds after the server has started.

Usage: e2e_wire.py [-k NAME]
"""
import imaplib
import os
import re
import socket
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import Server, deliver, free_port, run_suite  # noqa: E402


# imaplib checks command names against its own table
imaplib.Commands.setdefault("COMPRESS", ("AUTH", "SELECTED"))
imaplib.Commands.setdefault("ENABLE", ("AUTH",))


class Compressing(imaplib.IMAP4):
    """imaplib with COMPRESS DEFLATE: after the tagged OK, every byte both ways is raw deflate, the
    client's flushed with Z_SYNC_FLUSH after each write (RFC 4978 4)."""

    _c = None

    def compress(self):
        typ, data = self._simple_command("COMPRESS", "DEFLATE")
        assert typ == "OK", (typ, data)
        self._c = zlib.compressobj(6, zlib.DEFLATED, -15)
        self._d = zlib.decompressobj(-15)
        self._plain = b""
        self.wire_in = 0

    def send(self, data):
        if self._c is not None:
            data = self._c.compress(data) + self._c.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.file.read1(65536)
        if not chunk:
            raise imaplib.IMAP4.abort("connection closed")
        self.wire_in += len(chunk)
        self._plain += self._d.decompress(chunk)

    def read(self, size):
        if self._c is None:
            return super().read(size)
        while len(self._plain) < size:
            self._fill()
        out, self._plain = self._plain[:size], self._plain[size:]
        return out

    def readline(self):
        if self._c is None:
            return super().readline()
        while b"\n" not in self._plain:
            self._fill()
        i = self._plain.index(b"\n") + 1
        out, self._plain = self._plain[:i], self._plain[i:]
        return out


def login(srv, cls=imaplib.IMAP4):
    m = cls("127.0.0.1", srv.port, timeout=20)
    m.login("demo", srv.password())
    return m


def test_compress_announced_only_after_login(srv):
    m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
    assert "COMPRESS=DEFLATE" not in m.capabilities, m.capabilities
    typ, data = m.login("demo", srv.password())
    typ, caps = m.capability()
    caps = caps[0].decode().split()
    for c in ("COMPRESS=DEFLATE", "UTF8=ACCEPT", "REPLACE", "LITERAL+"):
        assert c in caps, caps
    assert any(c.startswith("APPENDLIMIT=") for c in caps), caps
    order = [c.split("=")[0] for c in caps if c.split("=")[0] in ("COMPRESS", "UTF8", "APPENDLIMIT", "REPLACE")]
    assert order == ["COMPRESS", "UTF8", "APPENDLIMIT", "REPLACE"], order
    m.logout()


def test_imaplib_session_through_deflate(srv):
    m = login(srv, Compressing)
    m.compress()
    typ, boxes = m.list()
    assert typ == "OK" and any(b"INBOX" in b for b in boxes), boxes
    typ, data = m.select("INBOX")
    assert typ == "OK", data
    n = int(data[0])
    typ, data = m.fetch(str(n), "(BODY.PEEK[])")
    assert typ == "OK" and b"Subject: " in data[0][1], data
    # a large literal, compressed on the way in
    body = ("Subject: big\r\n\r\n" + "compressible line of text\r\n" * 40000).encode()
    typ, data = m.append("INBOX", None, None, body)
    assert typ == "OK" and b"APPENDUID" in data[0], data
    typ, data = m.select("INBOX")
    last = int(data[0])
    typ, data = m.fetch(str(last), "(RFC822.SIZE BODY.PEEK[TEXT])")
    assert typ == "OK" and data[0][1] == body[len("Subject: big\r\n\r\n"):], "body came back intact"
    assert m.wire_in < len(body) // 10, "compressed: %d bytes on the wire for a %d byte body" % (m.wire_in, len(body))
    # IDLE through the compressed stream: an outside delivery arrives while the session waits
    tag = m._new_tag()
    m.send(tag + b" IDLE\r\n")
    assert m.readline().startswith(b"+"), "IDLE continuation"
    deliver(srv.maildir(), "during idle")
    deadline = time.time() + 20
    while True:
        line = m.readline()
        if line.endswith(b"EXISTS\r\n"):
            break
        assert time.time() < deadline, line
    m.send(b"DONE\r\n")
    while not m.readline().startswith(tag + b" OK"):
        pass
    try:
        m._simple_command("COMPRESS", "DEFLATE")
        raise AssertionError("a second COMPRESS was accepted")
    except imaplib.IMAP4.error as e:
        assert "BAD [b'[COMPRESSIONACTIVE]" in str(e), e
    m.logout()


def test_replace(srv):
    m = login(srv)
    m.create("Drafts")
    typ, data = m.append("Drafts", "(\\Draft)", None, b"Subject: draft 1\r\n\r\nfirst\r\n")
    assert typ == "OK", data
    m.select("Drafts")
    msg = b"Subject: draft 2\r\n\r\nsecond\r\n"
    typ, data = m._simple_command("UID", "REPLACE", "1", "Drafts", "(\\Draft)", "{%d+}\r\n%s" % (len(msg), msg.decode()))
    assert typ == "OK", (typ, data)
    assert b"APPENDUID" in b" ".join(x for x in m.untagged_responses.get("OK", []) if isinstance(x, bytes)), m.untagged_responses
    assert m.untagged_responses.get("EXPUNGE"), m.untagged_responses
    typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    subjects = [d[1] for d in data if isinstance(d, tuple)]
    assert subjects == [b"Subject: draft 2\r\n\r\n"], data
    m.logout()


def test_utf8_accept(srv):
    m = login(srv)
    typ, data = m._simple_command("ENABLE", "UTF8=ACCEPT")
    assert typ == "OK" and m.untagged_responses.get("ENABLED") == [b"UTF8=ACCEPT"], m.untagged_responses
    m._encoding = "utf-8"  # imaplib sends str arguments as ASCII by default
    typ, data = m._simple_command("CREATE", '"Entwürfe"')
    assert typ == "OK", data
    typ, data = m._simple_command("LIST", '""', '"Entw*"')
    listed = m.untagged_responses.get("LIST")
    assert any("Entwürfe".encode() in (x[1] if isinstance(x, tuple) else x) for x in listed), listed
    msg = "Subject: Grüße\r\n\r\nhallo\r\n".encode()
    typ, data = m._simple_command("APPEND", '"Entwürfe"', "UTF8 (~{%d+}\r\n" % len(msg) + msg.decode() + ")")
    assert typ == "OK", (typ, data)
    typ, data = m._simple_command("SELECT", '"Entwürfe"')
    assert typ == "OK", data
    m.state = "SELECTED"  # imaplib moves there only in its own select()
    try:
        m._simple_command("SEARCH", "CHARSET", "UTF-8", "ALL")
        raise AssertionError("SEARCH CHARSET accepted after ENABLE UTF8=ACCEPT")
    except imaplib.IMAP4.error as e:
        assert "SEARCH command error: BAD" in str(e), e
    typ, data = m._simple_command("SEARCH", "ALL")
    assert typ == "OK" and m.untagged_responses.get("SEARCH") == [b"1"], m.untagged_responses
    m.logout()


def test_jakarta_mail_compress(srv):
    """Jakarta Mail (angus-mail) with mail.imap.compress.enable: a real client's COMPRESS."""
    import subprocess
    from e2e_sync import jakarta_classpath, java_binary
    cmd = [java_binary(), "-cp", jakarta_classpath(), os.path.join(os.path.dirname(os.path.abspath(__file__)),
           "JakartaMailCompress.java"), "127.0.0.1", str(srv.port), "demo", srv.password()]
    r = subprocess.run(cmd, capture_output=True, timeout=120)
    out = r.stdout.decode(errors="replace")
    print("    " + out.strip(), flush=True)
    assert r.returncode == 0 and out.startswith("OK "), out + r.stderr.decode(errors="replace")[-3000:]
    assert "event=compress mechanism=DEFLATE" in srv.stderr(), "the server logged no COMPRESS"


class RawCompressed:
    """A raw socket client: LOGIN in the clear, then COMPRESS DEFLATE, then whatever bytes a test
    wants to send (well-formed deflate or not) and the inflated lines the server answers."""

    def __init__(self, srv):
        self.s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        self.f = self.s.makefile("rb")
        assert self.f.readline().startswith(b"* OK")
        self.s.sendall(b"a LOGIN demo %s\r\n" % srv.password().encode())
        while not self.f.readline().startswith(b"a "):
            pass
        self.s.sendall(b"z COMPRESS DEFLATE\r\n")
        ok = self.f.readline()
        assert ok.startswith(b"z OK"), ok
        self.c = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.d = zlib.decompressobj(-15)
        self.plain = b""

    def send(self, text, flush=zlib.Z_SYNC_FLUSH):
        self.s.sendall(self.c.compress(text) + self.c.flush(flush))

    def lines(self):
        """Inflated lines until the server closes the connection (the test's end)."""
        while True:
            try:
                chunk = self.f.read1(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                break
            self.plain += self.d.decompress(chunk)
        return self.plain.split(b"\r\n")

    def line(self):
        while b"\r\n" not in self.plain:
            chunk = self.f.read1(65536)
            assert chunk, "connection closed; so far %r" % self.plain[-200:]
            self.plain += self.d.decompress(chunk)
        i = self.plain.index(b"\r\n")
        out, self.plain = self.plain[:i], self.plain[i + 2:]
        return out

    def close(self):
        self.s.close()


def wait_log(srv, text, since=0, deadline=20):
    end = time.time() + deadline
    while time.time() < end:
        lines = [l for l in srv.stderr()[since:].splitlines() if text in l]
        if lines:
            return lines
        time.sleep(0.1)
    raise AssertionError("no log line with %r" % text)


def still_serves(srv):
    m = login(srv)
    typ, _ = m.noop()
    assert typ == "OK"
    m.logout()


def test_compress_before_login_is_bad(srv):
    """RFC 4978 3: COMPRESS is a command of the authenticated state; before login it is BAD and the
    connection stays in the clear (nothing a client sends before login is inflated)."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"a COMPRESS DEFLATE\r\n")
    r = f.readline()
    assert r.startswith(b"a BAD"), r
    # a compressed-looking blob before login is only a bad command line, never inflated
    s.sendall(zlib.compressobj(9, zlib.DEFLATED, -15).compress(b"x" * 100000) + b"\r\n")
    s.sendall(b"b LOGIN demo %s\r\n" % srv.password().encode())
    while True:
        r = f.readline()
        assert r, "closed"
        if r.startswith(b"b "):
            break
    assert r.startswith(b"b OK"), r
    s.close()


def test_corrupt_deflate_stream_ends_with_bye(srv):
    since = len(srv.stderr())
    c = RawCompressed(srv)
    c.send(b"n1 NOOP\r\n")
    assert c.line().startswith(b"n1 OK")
    # 0xff: a final block of type 3, reserved (RFC 1951 3.2.3)
    c.s.sendall(b"\xff\xff\x12\x34" * 4)
    lines = c.lines()
    assert any(l.startswith(b"* BYE") for l in lines), lines
    c.close()
    line = wait_log(srv, "event=compress.refused", since)[0]
    assert "invalid deflate data" in line, line
    wait_log(srv, 'end="compressed input refused', since)
    still_serves(srv)


def test_client_ending_its_deflate_stream(srv):
    """RFC 4978 3: compression lasts for the rest of the connection; a client that ends its stream
    (a final block) gets its pending answers, then BYE, and the server logs why."""
    since = len(srv.stderr())
    c = RawCompressed(srv)
    c.send(b"n1 NOOP\r\n", zlib.Z_FINISH)
    lines = c.lines()
    assert any(l.startswith(b"n1 OK") for l in lines), lines
    assert lines.index(b"* BYE Invalid or oversized compressed data") > [l[:5] for l in lines].index(b"n1 OK"), lines
    c.close()
    line = wait_log(srv, "event=compress.refused", since)[0]
    assert "ended its deflate stream" in line, line
    still_serves(srv)


def test_deflate_bomb_of_one_endless_line(srv):
    """About 70 KB of deflate that inflate to 80 MiB without a line end: over line.max the line is
    skipped without being kept; past 2 x line.max + literal.max + 64 KiB without a command the
    session ends with BYE and a log line. The server's heap never holds the line (CompressBombTest
    measures the allocation); here the real server must answer and go on serving others."""
    since = len(srv.stderr())
    c = RawCompressed(srv)
    chunk = b"a" * (1 << 20)
    data = b"".join(c.c.compress(chunk) for _ in range(80)) + c.c.flush(zlib.Z_SYNC_FLUSH)
    assert len(data) < 200_000, len(data)
    rss_before = server_rss_kb(srv)
    c.s.sendall(data)
    lines = c.lines()
    assert any(l.startswith(b"* BYE") or b" BAD" in l for l in lines), lines
    c.close()
    line = wait_log(srv, "event=compress.refused", since)[0]
    assert "decompressed bytes without a command line end" in line, line
    grown = server_rss_kb(srv) - rss_before
    print("    bomb: %d compressed bytes, 80 MiB inflated; server RSS grew %d KB" % (len(data), grown), flush=True)
    assert grown < 64 * 1024, "the server's memory grew by %d KB for one bomb" % grown
    still_serves(srv)


def test_compressed_literals_over_the_limits(srv):
    """A literal over literal.max announced through deflate is refused before the client sends it
    (BAD/NO [TOOBIG], as in the clear); a non-synchronizing one of 10 MiB to a command that may hold
    only line.max in memory (SEARCH) is answered BAD while its bytes, 10 KB compressed, are skipped,
    and the session goes on."""
    since = len(srv.stderr())
    c = RawCompressed(srv)
    c.send(b"s SELECT INBOX\r\n")
    while not c.line().startswith(b"s "):
        pass
    c.send(b"t APPEND INBOX {99999999999}\r\n")
    r = c.line()
    assert r.startswith(b"t NO [TOOBIG]") or r.startswith(b"t BAD"), r
    big = 10 * 1024 * 1024
    c.send(b"u SEARCH TEXT {%d+}\r\n" % big + b"x" * big + b"\r\n")
    while True:
        r = c.line()
        if r.startswith(b"u ") or r.startswith(b"* BYE"):
            break
    assert r.startswith(b"u BAD") or r.startswith(b"u NO") or r.startswith(b"* BYE"), r
    if r.startswith(b"u "):
        c.send(b"v NOOP\r\n")
        assert c.line().startswith(b"v OK"), "the session goes on"
    c.close()
    wait_log(srv, "refused a ", since)
    still_serves(srv)


def server_rss_kb(srv):
    """The resident memory of the server's JVM (the launcher script's child)."""
    pids = [srv.proc.pid]
    for _ in range(3):
        kids = []
        for p in pids:
            try:
                with open("/proc/%d/task/%d/children" % (p, p)) as f:
                    kids += [int(x) for x in f.read().split()]
            except OSError:
                pass
        if not kids:
            break
        pids = kids
    best = 0
    for p in pids:
        with open("/proc/%d/status" % p) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    best = max(best, int(line.split()[1]))
    return best


def idle_sessions(srv, n, compress):
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"a LOGIN demo %s\r\n" % srv.password().encode())
        while True:
            line = f.readline()
            assert line, "connection closed at login"
            if line.startswith(b"a "):
                break
        c = None
        if compress:
            s.sendall(b"b COMPRESS DEFLATE\r\n")
            assert f.readline().startswith(b"b OK"), "COMPRESS"
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            s.sendall(c.compress(b"c SELECT INBOX\r\nd IDLE\r\n") + c.flush(zlib.Z_SYNC_FLUSH))
        else:
            s.sendall(b"c SELECT INBOX\r\nd IDLE\r\n")
        socks.append((s, f, c))
    time.sleep(2)
    return socks


def test_memory_of_idle_compressed_sessions(srv):
    """Measures what 200 idle sessions cost the server in resident memory, with and without
    COMPRESS; prints the figure per session (the bound is generous: the measure is noisy)."""
    n = 200
    figures = {}
    for compress in (False, True):
        before = server_rss_kb(srv)
        socks = idle_sessions(srv, n, compress)
        after = server_rss_kb(srv)
        figures[compress] = (after - before) / n
        for s, f, c in socks:
            s.close()
        time.sleep(2)
    print("memory: idle session %.0f KB plain, %.0f KB with COMPRESS (RSS growth / %d sessions)"
          % (figures[False], figures[True], n), flush=True)
    assert figures[True] < figures[False] + 200, figures


TESTS = [
    test_compress_announced_only_after_login,
    test_compress_before_login_is_bad,
    test_imaplib_session_through_deflate,
    test_corrupt_deflate_stream_ends_with_bye,
    test_client_ending_its_deflate_stream,
    test_deflate_bomb_of_one_endless_line,
    test_compressed_literals_over_the_limits,
    test_replace,
    test_utf8_accept,
    test_jakarta_mail_compress,
    test_memory_of_idle_compressed_sessions,
]


def make_server(work):
    """The exported server, allowing the memory test's 200 sessions from one address."""
    srv = Server(work, free_port())
    path = os.path.join(srv.conf, "imapd.cfg")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(re.sub(r"(?m)^max\.per\.ip=.*$", "max.per.ip=400", text))
    return srv


def main():
    work = tempfile.mkdtemp(prefix="posthorn-e2e-wire-")
    return run_suite("e2e-wire", work, lambda: make_server(work), TESTS,
                     prepare=lambda srv: deliver(srv.maildir(), "first"))


if __name__ == "__main__":
    sys.exit(main())
