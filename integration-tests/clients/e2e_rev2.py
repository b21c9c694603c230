#!/usr/bin/env python3
"""End-to-end tests of IMAP4rev2 (RFC 9051) against `./posthorn run`, over raw sockets (imaplib
speaks IMAP4rev1 only): capabilities, ENABLE IMAP4rev2 and what changes with it (SELECT with LIST,
without RECENT and UNSEEN, OK [CLOSED], ESEARCH, no \\Recent, UTF-8 mailbox names, STATUS DELETED),
BINARY (RFC 3516) with APPEND of a literal8 holding NUL, and SEARCHRES (RFC 5182). imaplib, as a
rev1 client beside it, must see nothing of rev2.

Prints 'e2e-rev2: N passed, N failed'. About ten seconds after the server has started.

Usage: e2e_rev2.py [-k NAME]
"""
import base64
import imaplib
import os
import re
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import Server, deliver, free_port, run_suite  # noqa: E402

LITERAL = re.compile(rb"~?\{(\d+)\}$")


class Raw:
    """A raw IMAP connection that reads literals (and literal8) by their counts."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.f = self.sock.makefile("rwb")
        self.greeting = self.f.readline()
        assert self.greeting.startswith(b"* OK"), self.greeting

    def response(self):
        """One response line with its literals inline, CRLF dropped."""
        out = b""
        while True:
            line = self.f.readline()
            if not line:
                raise EOFError("connection closed; have %r" % out)
            line = line.rstrip(b"\r\n")
            out += line
            m = LITERAL.search(line)
            if not m:
                return out
            out += b"\r\n" + self.f.read(int(m.group(1)))

    def cmd(self, tag, text):
        """Sends a command (bytes; may hold non-synchronizing literals); its responses, tagged last."""
        self.f.write(tag + b" " + text + b"\r\n")
        self.f.flush()
        lines = []
        while True:
            r = self.response()
            lines.append(r)
            if r.startswith(tag + b" "):
                return lines

    def login(self, srv):
        r = self.cmd(b"l", b"LOGIN demo " + srv.password().encode())
        assert r[-1].startswith(b"l OK"), r

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def session(srv, rev2=True):
    c = Raw(srv.port)
    c.login(srv)
    if rev2:
        r = c.cmd(b"e", b"ENABLE IMAP4rev2")
        assert r == [b"* ENABLED IMAP4rev2", b"e OK ENABLE completed"], r
    return c


def ok(lines):
    assert lines[-1].split(b" ", 2)[1] == b"OK", lines
    return lines


# ---------------------------------------------------------------------------------------------


def test_capabilities(srv):
    c = Raw(srv.port)
    try:
        caps = c.greeting.split(b"[CAPABILITY ", 1)[1].split(b"]", 1)[0].split()
        assert caps[:2] == [b"IMAP4rev1", b"IMAP4rev2"], caps
        for want in (b"BINARY", b"SEARCHRES", b"ESEARCH", b"ENABLE", b"LITERAL+", b"MOVE", b"UIDPLUS"):
            assert want in caps, (want, caps)
        assert b"LITERAL-" not in caps, caps  # RFC 7888 section 5: not both
    finally:
        c.close()


def test_select_after_enable(srv):
    c = session(srv)
    try:
        r = ok(c.cmd(b"s1", b"SELECT INBOX"))
        assert not any(l.endswith(b" RECENT") for l in r), r
        assert not any(b"[UNSEEN " in l for l in r), r
        assert any(re.match(rb'\* LIST \([^)]*\) "\." INBOX$', l) for l in r), r
        assert not any(b"[CLOSED]" in l for l in r), r
        r = ok(c.cmd(b"s2", b"FETCH 1:* FLAGS"))
        assert not any(b"\\Recent" in l for l in r), r
        r = ok(c.cmd(b"s3", b"EXAMINE INBOX"))
        assert r[0].startswith(b"* OK [CLOSED]"), r
        r = ok(c.cmd(b"s4", b"SEARCH ALL"))
        assert r[0].startswith(b'* ESEARCH (TAG "s4") ALL 1'), r
    finally:
        c.close()


MESSAGE = (b"From: t@example.org\r\nSubject: binary e2e\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=xx\r\n\r\n--xx\r\n"
           b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           b"na=C3=AFve =3D=\r\nok\r\n--xx\r\n"
           b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + base64.encodebytes(bytes(range(256))).replace(b"\n", b"\r\n") + b"--xx--\r\n")


def test_binary_and_literal8_append(srv):
    c = session(srv)
    try:
        ok(c.cmd(b"b0", b"CREATE INBOX.Binary"))
        # APPEND with a non-synchronizing literal8 whose message holds NUL and 8-bit bytes
        raw = b"Subject: raw\r\n\r\n\x00\x01\xff binary\r\n"
        r = ok(c.cmd(b"b1", b"APPEND INBOX.Binary ~{%d+}\r\n" % len(raw) + raw))
        r = ok(c.cmd(b"b2", b"APPEND INBOX.Binary {%d+}\r\n" % len(MESSAGE) + MESSAGE))
        ok(c.cmd(b"b3", b"SELECT INBOX.Binary"))
        r = ok(c.cmd(b"b4", b"FETCH 2 (BINARY.SIZE[1] BINARY.SIZE[2] BINARY.PEEK[1])"))
        assert r[0] == b"* 2 FETCH (BINARY.SIZE[1] 10 BINARY.SIZE[2] 256 BINARY[1] {10}\r\nna\xc3\xafve =ok)", r[0]
        r = ok(c.cmd(b"b5", b"FETCH 2 BINARY.PEEK[2]"))
        assert r[0] == b"* 2 FETCH (BINARY[2] ~{256}\r\n" + bytes(range(256)) + b")", r[0][:80]
        r = ok(c.cmd(b"b6", b"FETCH 2 BINARY.PEEK[2]<250.100>"))
        assert r[0] == b"* 2 FETCH (BINARY[2]<250> {6}\r\n" + bytes(range(250, 256)) + b")", r[0]
        # the appended literal8 comes back byte for byte (BODY[] would turn NUL into 0x80)
        r = ok(c.cmd(b"b7", b"FETCH 1 (BINARY.PEEK[] BINARY.SIZE[1])"))
        assert r[0] == b"* 1 FETCH (BINARY[] ~{%d}\r\n" % len(raw) + raw + b" BINARY.SIZE[1] 12)", r[0]
        r = ok(c.cmd(b"b8", b"FETCH 2 FLAGS"))
        assert b"\\Seen" not in r[0], r
        ok(c.cmd(b"b9", b"FETCH 2 BINARY[1]<0.2>"))
        r = ok(c.cmd(b"b10", b"FETCH 2 FLAGS"))
        assert b"\\Seen" in r[0], r
    finally:
        c.close()


def test_binary_bare_lf_kept(srv):
    # issue 11 item 4: a binary part of 7 bytes holding a bare LF comes back as 7 bytes, and BODY[]
    # byte for byte (the Maildir file is stored as received), here and after a reconnect
    part = b"abc\ndef"
    msg = (b"From: t@example.org\r\nSubject: bare lf\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=xx\r\n\r\n--xx\r\nContent-Type: text/plain\r\n\r\n"
           b"text\r\n--xx\r\nContent-Type: application/octet-stream\r\n"
           b"Content-Transfer-Encoding: binary\r\n\r\n" + part + b"\r\n--xx--\r\n")
    for attempt in (1, 2):
        c = session(srv)
        try:
            if attempt == 1:
                ok(c.cmd(b"l0", b"CREATE INBOX.BareLf"))
                ok(c.cmd(b"l1", b"APPEND INBOX.BareLf ~{%d+}\r\n" % len(msg) + msg))
            ok(c.cmd(b"l2", b"SELECT INBOX.BareLf"))
            r = ok(c.cmd(b"l3", b"FETCH 1 (BINARY.SIZE[2] BINARY.PEEK[2] BODY.PEEK[] RFC822.SIZE)"))
            assert r[0] == (b"* 1 FETCH (BINARY.SIZE[2] 7 BINARY[2] {7}\r\n" + part
                            + b" BODY[] {%d}\r\n" % len(msg) + msg + b" RFC822.SIZE %d)" % len(msg)), r[0]
            r = ok(c.cmd(b"l4", b"FETCH 1 (BODY.PEEK[2] BODY.PEEK[TEXT]<0.4> BODYSTRUCTURE)"))
            assert r[0].startswith(b"* 1 FETCH (BODY[2] {7}\r\n" + part + b" BODY[TEXT]<0> {4}\r\n--xx"), r[0]
            assert b'"binary" 7 ' in r[0], r[0]
        finally:
            c.close()


def test_searchres(srv):
    deliver(srv.maildir(), "searchres alpha")
    deliver(srv.maildir(), "searchres beta")
    c = session(srv)
    try:
        ok(c.cmd(b"r0", b"SELECT INBOX"))
        r = ok(c.cmd(b"r1", b"UID SEARCH RETURN (SAVE) SUBJECT searchres"))
        assert len(r) == 1, r  # SAVE alone: no ESEARCH
        r = ok(c.cmd(b"r2", b"UID FETCH $ (BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))
        subjects = [l for l in r if b"Subject: searchres" in l]
        assert len(subjects) == 2, r
        r = ok(c.cmd(b"r3", b"SEARCH RETURN (COUNT) $ SUBJECT beta"))
        assert r[0] == b'* ESEARCH (TAG "r3") COUNT 1', r
        ok(c.cmd(b"r4", b"STORE $ +FLAGS.SILENT (\\Deleted)"))
        r = ok(c.cmd(b"r5", b"STATUS INBOX (DELETED)"))
        assert r[0] == b"* STATUS INBOX (DELETED 2)", r
        ok(c.cmd(b"r6", b"UID EXPUNGE $"))
        r = ok(c.cmd(b"r7", b"FETCH $ UID"))
        assert len(r) == 1, r  # both expunged: "$" is empty, and that is no error
        r = ok(c.cmd(b"r8", b"STATUS INBOX (DELETED)"))
        assert r[0] == b"* STATUS INBOX (DELETED 0)", r
    finally:
        c.close()


def test_utf8_mailbox_names(srv):
    c = session(srv)
    try:
        ok(c.cmd(b"u1", "CREATE \"INBOX.Entwürfe\"".encode()))
        r = ok(c.cmd(b"u2", b'LIST "" *'))
        assert any(l.endswith("\r\nINBOX.Entwürfe".encode()) for l in r), r
        ok(c.cmd(b"u3", "SELECT \"INBOX.Entwürfe\"".encode()))
    finally:
        c.close()
    m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
    try:
        m.login("demo", srv.password())
        typ, data = m.list()
        assert typ == "OK" and any(b"INBOX.Entw&APw-rfe" in d for d in data), data
        typ, data = m.select("INBOX.Entw&APw-rfe")
        assert typ == "OK", data
        # imaplib, a rev1 client, still gets RECENT and SEARCH
        assert m.untagged_responses.get("RECENT") is not None, m.untagged_responses
        typ, data = m.search(None, "ALL")
        assert typ == "OK", data
        m.logout()
    finally:
        try:
            m.shutdown()
        except Exception:
            pass


TESTS = [
    test_capabilities,
    test_select_after_enable,
    test_binary_and_literal8_append,
    test_binary_bare_lf_kept,
    test_searchres,
    test_utf8_mailbox_names,
]


def main():
    work = tempfile.mkdtemp(prefix="posthorn-e2e-rev2-")
    return run_suite("e2e-rev2", work, lambda: Server(work, free_port()), TESTS,
                     prepare=lambda srv: deliver(srv.maildir(), "first"))

if __name__ == "__main__":
    sys.exit(main())
