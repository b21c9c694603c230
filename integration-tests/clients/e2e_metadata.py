#!/usr/bin/env python3
"""End-to-end tests of METADATA (RFC 5464), CREATE-SPECIAL-USE (RFC 6154), OBJECTID (RFC 8474),
SAVEDATE (RFC 8514) and PREVIEW (RFC 8970) through a real session on the Maildir store.

Starts `./posthorn run` with the demo account and drives it with Python's imaplib and a raw socket
session: the RFCs' own examples, the limits (NO [METADATA MAXSIZE], [METADATA TOOMANY], BAD for
entry names with path tricks), entries following RENAME and going with DELETE, persistence across a
restart, and the files the store leaves (owner-only, beside Courier's). Prints
'e2e-metadata: N passed, N failed'.

Usage: e2e_metadata.py [-k NAME]
"""
import glob
import os
import re
import stat
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import Server, deliver, free_port, imap, raw_session, run_suite  # noqa: E402


def session(srv):
    s, cmd = raw_session(srv)
    r = cmd(b"a LOGIN demo " + srv.password().encode())
    assert r[-1].startswith(b"a OK"), r
    return s, cmd


def tagged(lines):
    return lines[-1].decode(errors="replace")


def test_capabilities_announced(srv):
    s, cmd = session(srv)
    caps = b"".join(cmd(b"c CAPABILITY")).decode()
    for c in ("METADATA", "METADATA-SERVER"):
        assert re.search(r"\b%s\b" % re.escape(c), caps), caps
    s.close()


def test_rfc5464_examples(srv):
    s, cmd = session(srv)
    # 4.3 example: a literal value, then 4.2's GETMETADATA of it
    r = cmd(b'a SETMETADATA INBOX (/private/comment {33+}\r\nMy new comment across\r\ntwo lines.)')
    assert tagged(r).startswith("a OK"), r
    r = cmd(b"b GETMETADATA INBOX /private/comment")
    text = b"".join(r)
    assert b"* METADATA INBOX (/private/comment {33}\r\nMy new comment across\r\ntwo lines.)" in text, text
    # 4.3: NIL removes
    assert tagged(cmd(b"c SETMETADATA INBOX (/private/comment NIL)")).startswith("c OK")
    r = cmd(b"d GETMETADATA INBOX /private/comment")
    assert b"(/private/comment NIL)" in b"".join(r), r
    # server entries (METADATA-SERVER), names case-insensitive (3.2.1); the server's /shared ones
    # are not a user's to set (NO [CANNOT], as Dovecot)
    assert tagged(cmd(b'e SETMETADATA "" (/private/Comment "My server comment")')).startswith("e OK")
    r = cmd(b'f GETMETADATA "" /private/comment')
    assert b'* METADATA "" (/private/comment "My server comment")' in b"".join(r), r
    assert tagged(cmd(b'g SETMETADATA "" (/shared/comment "x")')).startswith("g NO [CANNOT]")
    s.close()


def test_maxsize_and_depth(srv):
    s, cmd = session(srv)
    assert tagged(cmd(b'a SETMETADATA INBOX (/shared/vendor/x/a "1" /shared/vendor/x/b/c "22" '
                      b'/shared/vendor/x/big "' + b"y" * 300 + b'")')).startswith("a OK")
    r = cmd(b"b GETMETADATA (DEPTH 1) INBOX /shared/vendor/x")
    text = b"".join(r)
    assert b"/shared/vendor/x/a" in text and b"/shared/vendor/x/b/c" not in text, text
    r = cmd(b"c GETMETADATA (DEPTH infinity MAXSIZE 100) INBOX /shared/vendor/x")
    text = b"".join(r)
    assert b"/shared/vendor/x/b/c" in text and b"/shared/vendor/x/big" not in text, text
    assert b"c OK [METADATA LONGENTRIES 300]" in text, text
    s.close()


def test_hostile_entries_and_limits(srv):
    s, cmd = session(srv)
    for name in (b"/private/../x", b"/private/./x", b"/private//x", b"/private/x/", b"/other/x",
                 b"/private/a*b", b"/private/%", b"/private"):
        r = cmd(b'h SETMETADATA INBOX (' + name + b' "v")')
        assert tagged(r).startswith("h BAD"), (name, r)
    r = cmd(b'h SETMETADATA INBOX ("/private/caf\xc3\xa9" "v")')
    assert tagged(r).startswith("h BAD"), r
    r = cmd(b"h GETMETADATA INBOX /private/" + b"a/" * 700 + b"z")
    assert tagged(r).startswith("h BAD"), r
    big = 40000  # over metadata.max.size (32768), within line.max
    r = cmd(b"m SETMETADATA INBOX (/private/big {%d+}\r\n" % big + b"z" * big + b")")
    assert tagged(r).startswith("m NO [METADATA MAXSIZE 32768]"), r[-1][:200]
    entries = b" ".join(b"/private/many/e%d \"v\"" % i for i in range(101))
    r = cmd(b"t SETMETADATA INBOX (" + entries + b")")
    assert tagged(r).startswith("t BAD") or tagged(r).startswith("t NO [METADATA TOOMANY]"), r
    entries = b" ".join(b"/private/many/e%d \"v\"" % i for i in range(60))
    assert tagged(cmd(b"u SETMETADATA INBOX (" + entries + b")")).startswith("u OK")
    entries = b" ".join(b"/private/more/e%d \"v\"" % i for i in range(60))
    r = cmd(b"v SETMETADATA INBOX (" + entries + b")")
    assert tagged(r).startswith("v NO [METADATA TOOMANY]"), r
    entries = b" ".join(b"/private/many/e%d NIL" % i for i in range(60))
    assert tagged(cmd(b"w SETMETADATA INBOX (" + entries + b")")).startswith("w OK")
    assert tagged(cmd(b"x NOOP")).startswith("x OK")  # the session goes on
    s.close()
    log = srv.stderr()
    assert "event=metadata.refused reason=maxsize" in log and "reason=toomany" in log, log[-2000:]


def test_before_login_is_refused(srv):
    s, cmd = raw_session(srv)
    r = cmd(b"a GETMETADATA INBOX /private/comment")
    assert tagged(r).startswith("a BAD") or tagged(r).startswith("a NO"), r
    r = cmd(b"b SETMETADATA INBOX (/private/x {100000000}")
    assert tagged(r).startswith("b BAD") or tagged(r).startswith("b NO") or b"BYE" in b"".join(r), r
    s.close()


def test_rename_keeps_and_delete_drops(srv):
    s, cmd = session(srv)
    assert tagged(cmd(b"a CREATE Meta1")).startswith("a OK")
    assert tagged(cmd(b'b SETMETADATA Meta1 (/private/comment "kept")')).startswith("b OK")
    assert tagged(cmd(b"c RENAME Meta1 Meta2")).startswith("c OK")
    r = cmd(b"d GETMETADATA Meta2 /private/comment")
    assert b'(/private/comment "kept")' in b"".join(r), r
    r = cmd(b"e GETMETADATA Meta1 /private/comment")
    assert tagged(r).startswith("e NO"), r
    f = os.path.join(srv.maildir(), ".Meta2", "posthorn.metadata")
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o600, oct(os.stat(f).st_mode)
    assert tagged(cmd(b"f DELETE Meta2")).startswith("f OK")
    assert tagged(cmd(b"g CREATE Meta2")).startswith("g OK")
    r = cmd(b"h GETMETADATA Meta2 /private/comment")
    assert b"(/private/comment NIL)" in b"".join(r), r
    assert tagged(cmd(b"i DELETE Meta2")).startswith("i OK")
    s.close()


def test_entries_survive_restart(srv):
    s, cmd = session(srv)
    assert tagged(cmd(b'a SETMETADATA INBOX (/shared/comment "across restarts")')).startswith("a OK")
    s.close()
    assert srv.stop() == 0
    srv.start()
    s, cmd = session(srv)
    r = cmd(b"b GETMETADATA INBOX /shared/comment")
    assert b'(/shared/comment "across restarts")' in b"".join(r), r
    s.close()


def test_create_special_use(srv):
    s, cmd = session(srv)
    caps = b"".join(cmd(b"c CAPABILITY")).decode()
    assert " CREATE-SPECIAL-USE" in caps, caps
    # RFC 6154 5.3's example
    assert tagged(cmd(b"t1 CREATE MySpecial (USE (\\Drafts \\Sent))")).startswith("t1 OK")
    r = b"".join(cmd(b't2 LIST "" MySpecial'))
    assert b"\\Drafts" in r and b"\\Sent" in r, r
    r = cmd(b"t3 CREATE Foo (USE (\\Important))")
    assert tagged(r).startswith("t3 NO [USEATTR]"), r
    assert tagged(cmd(b"t4 SELECT Foo")).startswith("t4 NO")  # refused means not created
    r = cmd(b"t5 CREATE Bar (OTHER (x))")
    assert tagged(r).startswith("t5 BAD"), r
    assert tagged(cmd(b"t6 RENAME MySpecial MySpecial2")).startswith("t6 OK")
    r = b"".join(cmd(b't7 LIST "" MySpecial2'))
    assert b"\\Drafts" in r, r
    f = os.path.join(srv.maildir(), ".MySpecial2", "posthorn.folder")
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    assert tagged(cmd(b"t8 DELETE MySpecial2")).startswith("t8 OK")
    s.close()


def test_objectid(srv):
    s, cmd = session(srv)
    assert tagged(cmd(b"a CREATE Ids1")).startswith("a OK")
    r = b"".join(cmd(b"b STATUS Ids1 (MAILBOXID)"))
    m = re.search(rb"MAILBOXID \(([A-Za-z0-9_-]+)\)", r)
    assert m, r
    before = m.group(1)
    assert tagged(cmd(b"c RENAME Ids1 Ids2")).startswith("c OK")
    r = b"".join(cmd(b"d SELECT Ids2"))
    assert b"[MAILBOXID (" + before + b")]" in r, r  # RFC 8474 4: kept across RENAME
    cmd(b"e UNSELECT")
    deliver(srv.maildir(), "objectid")
    r = b"".join(cmd(b"f SELECT INBOX"))
    r = b"".join(cmd(b"g FETCH * (UID EMAILID THREADID)"))
    m = re.search(rb"EMAILID \(([A-Za-z0-9_-]+)\) THREADID NIL", r)
    assert m, r
    email = m.group(1)
    r = b"".join(cmd(b"h UID SEARCH EMAILID " + email))
    assert re.search(rb"\* SEARCH \d+", r), r
    r = cmd(b"i UID SEARCH EMAILID not+valid")
    assert tagged(r).startswith("i BAD"), r
    assert tagged(cmd(b"j MOVE * Ids2")).startswith("j OK")
    cmd(b"k SELECT Ids2")
    r = b"".join(cmd(b"l FETCH * (EMAILID)"))
    assert b"EMAILID (" + email + b")" in r, r  # RFC 8474 5.1: MOVE keeps it
    cmd(b"m COPY * Ids2")
    r = b"".join(cmd(b"n FETCH 1:* (EMAILID)"))
    ids = re.findall(rb"EMAILID \(([A-Za-z0-9_-]+)\)", r)
    assert len(ids) == 2 and ids[0] != ids[1], r  # a COPY is a new message with an id of its own
    cmd(b"o UNSELECT")
    assert tagged(cmd(b"p DELETE Ids2")).startswith("p OK")
    s.close()


def test_savedate_and_preview(srv):
    import time as _time
    s, cmd = session(srv)
    assert tagged(cmd(b"a CREATE Saved")).startswith("a OK")
    msg = (b"From: a@example.org\r\nSubject: preview\r\nContent-Type: text/html; charset=iso-8859-1\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\n<html><head><title>x</title></head><body>"
           b"<p>Gr=FC=DFe aus <b>Berlin</b> &amp; mehr</p></body></html>\r\n")
    r = cmd(b'b APPEND Saved "01-Jan-2020 10:00:00 +0000" {%d+}\r\n' % len(msg) + msg)
    assert tagged(r).startswith("b OK"), r
    cmd(b"c SELECT Saved")
    r = b"".join(cmd(b"d FETCH 1 (INTERNALDATE SAVEDATE PREVIEW)"))
    assert b'INTERNALDATE "01-Jan-2020' in r, r
    today = _time.strftime("%d-%b-%Y").encode()
    assert re.search(rb'SAVEDATE "\s?\d{1,2}-\w{3}-\d{4} ', r), r
    assert "Grüße aus Berlin & mehr".encode() in r, r
    r = b"".join(cmd(b"e FETCH 1 (PREVIEW (LAZY))"))
    assert "Grüße aus Berlin & mehr".encode() in r, r
    assert tagged(cmd(b"f FETCH 1 (PREVIEW (FOO))")).startswith("f BAD")
    r = b"".join(cmd(b"g SEARCH SAVEDSINCE " + today + b" SAVEDATESUPPORTED"))
    assert b"* SEARCH 1" in r, r
    r = b"".join(cmd(b"h SEARCH SAVEDBEFORE 1-Jan-2021"))
    assert re.search(rb"\* SEARCH\r\n", r), r
    r = b"".join(cmd(b"i SEARCH BEFORE 1-Jan-2021"))
    assert b"* SEARCH 1" in r, r
    cmd(b"j UNSELECT")
    assert tagged(cmd(b"k DELETE Saved")).startswith("k OK")
    s.close()


def test_shared_folder_rights(srv):
    """RFC 5464 3.4 with RFC 4314 rights, on a folder alice shares with bob (the shared namespace)."""
    from e2e_sync import add_accounts
    add_accounts(srv, ["alice", "bob"])

    def login(user):
        s, cmd = raw_session(srv)
        assert tagged(cmd(b"a LOGIN " + user + b" " + srv.password().encode())).startswith("a OK")
        return s, cmd
    sa, a = login(b"alice")
    sb, b = login(b"bob")
    assert tagged(a(b"a1 CREATE Proj")).startswith("a1 OK")
    assert tagged(a(b'a2 SETMETADATA Proj (/shared/comment "team" /private/comment "mine")')).startswith("a2 OK")
    assert tagged(a(b"a3 SETACL Proj bob lr")).startswith("a3 OK")
    r = b"".join(b(b"b1 GETMETADATA shared.alice.Proj (/shared/comment /private/comment)"))
    assert b'/shared/comment "team"' in r and b"/private/comment NIL" in r, r
    r = b(b'b2 SETMETADATA shared.alice.Proj (/shared/comment "x")')
    assert tagged(r).startswith("b2 NO [NOPERM]"), r  # /shared needs w
    r = b(b'b3 SETMETADATA shared.alice.Proj (/private/comment "x")')
    assert tagged(r).startswith("b3 NO [METADATA NOPRIVATE]"), r
    assert tagged(a(b"a4 SETACL Proj bob lrw")).startswith("a4 OK")
    assert tagged(b(b'b4 SETMETADATA shared.alice.Proj (/shared/comment "from bob")')).startswith("b4 OK")
    r = b"".join(a(b"a5 GETMETADATA Proj (/shared/comment /private/comment)"))
    assert b'/shared/comment "from bob"' in r and b'/private/comment "mine"' in r, r
    assert tagged(a(b"a6 SETACL Proj bob l")).startswith("a6 OK")
    r = b(b"b5 GETMETADATA shared.alice.Proj /shared/comment")
    assert tagged(r).startswith("b5 NO [NOPERM]"), r  # reading needs r
    r = b(b"b6 GETMETADATA shared.alice.Nothing /shared/comment")
    assert tagged(r).startswith("b6 NO"), r
    sa.close()
    sb.close()


def _set_imapd(srv, key, value):
    path = os.path.join(srv.conf, "imapd.cfg")
    with open(path) as f:
        text = f.read()
    text = re.sub(r"(?m)^%s=.*$" % re.escape(key), "%s=%s" % (key, value), text)
    with open(path, "w") as f:
        f.write(text)


def _wait_caps(srv, want, secs=30):
    import time as _time
    deadline = _time.time() + secs
    while True:
        s, cmd = session(srv)
        caps = b"".join(cmd(b"c CAPABILITY")).decode()
        s.close()
        if (" METADATA " in caps) == want:
            return
        assert _time.time() < deadline, caps
        _time.sleep(0.3)


def test_config_switch_and_bad_value(srv):
    _set_imapd(srv, "metadata", "false")
    try:
        _wait_caps(srv, False)  # imapd.cfg is read again without a restart
        s, cmd = session(srv)
        assert tagged(cmd(b"a GETMETADATA INBOX /private/comment")).startswith("a NO [CANNOT]")
        s.close()
    finally:
        _set_imapd(srv, "metadata", "true")
    _wait_caps(srv, True)
    _set_imapd(srv, "metadata.max.size", "lots")
    try:
        import time as _time
        deadline = _time.time() + 30
        while "metadata.max.size=lots" not in srv.stderr():
            assert _time.time() < deadline, srv.stderr()[-2000:]
            _time.sleep(0.3)
        s, cmd = session(srv)  # the last good settings stay in force
        assert tagged(cmd(b'a SETMETADATA INBOX (/private/ok "v")')).startswith("a OK")
        s.close()
    finally:
        _set_imapd(srv, "metadata.max.size", "32768")


TESTS = [
    test_capabilities_announced,
    test_rfc5464_examples,
    test_maxsize_and_depth,
    test_hostile_entries_and_limits,
    test_before_login_is_refused,
    test_rename_keeps_and_delete_drops,
    test_create_special_use,
    test_objectid,
    test_savedate_and_preview,
    test_shared_folder_rights,
    test_config_switch_and_bad_value,
    test_entries_survive_restart,
]


def main():
    work = tempfile.mkdtemp(prefix="posthorn-e2e-metadata-")
    return run_suite("e2e-metadata", work, lambda: Server(work, free_port()), TESTS)


if __name__ == "__main__":
    sys.exit(main())
