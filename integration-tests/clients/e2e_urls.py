#!/usr/bin/env python3
"""End-to-end tests of IMAP URLs on the Maildir store: CATENATE (RFC 4469), URL-PARTIAL (RFC 5550)
and URLAUTH (RFC 4467), through Python's imaplib (its raw send/readline for CATENATE's literals,
which imaplib's own append cannot place inside a list).

Starts `./posthorn run` with a userdb of three users: 'ann' and 'bob' with a Maildir each, and
'smtp', the submission server's login that imapd.cfg urlauth.submit names. Checks the message
CATENATE makes byte for byte in the Maildir file, hostile URLs (a name that climbs out of the Maildir,
another user's mailbox without rights and then with them, a broken escape, a huge range), GENURLAUTH
in one session and URLFETCH in another and by the submission login, RESETKEY, DELETE and RENAME
dropping the keys (the key file does not grow), the key file's mode,
and that no token reaches the log. Prints 'e2e-urls: N passed, N failed'.

Usage: e2e_urls.py [-k NAME]
"""
import glob
import imaplib
import os
import re
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import run_with_setup, set_config_keys  # noqa: E402
from e2e_auth import add_userdb_user, use_userdb_only  # noqa: E402

FIRST = (b"From: t@example.org\r\nSubject: first\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
         b"--b\r\nContent-Type: text/plain\r\n\r\npart one\r\n--b--\r\n")


class Setup:
    def __init__(self, work):
        self.userdb = os.path.join(work, "userdb")
        self.homes = os.path.join(work, "home")
        for name in ("ann", "bob", "smtp"):
            md = os.path.join(add_userdb_user(self.userdb, self.homes, name), "Maildir")
            for d in ("cur", "new", "tmp"):
                os.makedirs(os.path.join(md, d), exist_ok=True)
            with open(os.path.join(md, "new", "1.M1P1.e2e-urls"), "wb") as f:
                f.write(FIRST.replace(b"\r\n", b"\n").replace(b"first", name.encode()))

    def maildir(self, name):
        return os.path.join(self.homes, name, "Maildir")

    def configure(self, conf):
        use_userdb_only(conf, self.userdb)
        set_config_keys(os.path.join(conf, "imapd.cfg"), {"urlauth.submit": "smtp"})


def login(srv, user):
    m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
    m.login(user, user + "-pw")
    return m


def raw(m, tag, *pieces):
    """Sends a command of several pieces; a bytes piece after a str one ending in {N} is its literal,
    sent after the server's continuation. Returns the lines up to the tagged one (literals inline)."""
    for i, p in enumerate(pieces):
        if isinstance(p, str):
            p = p.encode()
            last = i == len(pieces) - 1
            m.send((tag + " " if i == 0 else "").encode() + p + (b"\r\n" if last or p.endswith(b"}") else b""))
            if p.endswith(b"}"):
                cont = m.readline()
                assert cont.startswith(b"+"), cont
        else:
            m.send(p)
    lines = []
    while True:
        line = m.readline()
        assert line, "connection closed"
        lit = re.search(rb"\{(\d+)\}\r\n$", line)
        if lit:
            line += m.read(int(lit.group(1))) + m.readline()
        lines.append(line)
        if line.startswith(tag.encode() + b" "):
            return lines


def maildir_texts(maildir):
    out = []
    for p in sorted(glob.glob(os.path.join(maildir, "cur", "*")) + glob.glob(os.path.join(maildir, "new", "*"))):
        with open(p, "rb") as f:
            out.append(f.read())
    return out


def test_catenate_makes_the_message_in_the_maildir(srv):
    m = login(srv, "ann")
    m.select("INBOX")
    # RFC 4469 section 6's shape: the header by URL, a TEXT literal, a part by a URL relative to the
    # selected mailbox, and a range of the message by an absolute URL (URL-PARTIAL).
    r = raw(m, "c1", 'APPEND INBOX (\\Seen) CATENATE (URL "/INBOX/;UID=1/;SECTION=HEADER" TEXT {7}',
            b"Added\r\n", ' URL ";UID=1/;SECTION=1" URL "imap://ann@127.0.0.1/INBOX/;UID=1/;PARTIAL=6.7")')
    assert re.match(rb"c1 OK \[APPENDUID \d+ 2\]", r[-1]), r
    header = FIRST[:FIRST.index(b"\r\n\r\n") + 4].replace(b"first", b"ann")
    want = header + b"Added\r\n" + b"part one" + FIRST[6:13]
    # The Maildir file holds the lines with the store's line ends (LF); IMAP serves them as CRLF.
    assert want.replace(b"\r\n", b"\n") in [t.replace(b"\r\n", b"\n") for t in maildir_texts(srv.setup.maildir("ann"))]
    typ, data = m.uid("FETCH", "2", "(BODY.PEEK[] FLAGS)")
    assert data[0][1] == want, data
    assert b"\\Seen" in data[1], data
    m.logout()


def test_hostile_urls_get_badurl_and_nothing_is_stored(srv):
    m = login(srv, "ann")
    before = len(maildir_texts(srv.setup.maildir("ann")))
    for url, why in (("/..%2F..%2Fbob%2FMaildir/;UID=1", b""),
                     ("/.%2E%2F.%2E%2F.%2E/;UID=1", b""),
                     ("/INBOX%2F..%2F..%2F..%2Fbob/;UID=1", b""),
                     ("imap://bob@127.0.0.1/INBOX/;UID=1", b""),
                     ("/shared.bob.INBOX/;UID=1", b"no right"),
                     ("/IN%ZZBOX/;UID=1", b"%-escape"),
                     ("/INBOX/;UID=1/;PARTIAL=0.99999999999", b"out of range"),
                     ("/INBOX/;UID=1/;SECTION=" + "1." * 200 + "1", b"")):
        r = raw(m, "h1", 'APPEND INBOX CATENATE (URL "%s")' % url)
        assert r[-1].startswith(b"h1 NO [BADURL "), (url, r)
        assert why in r[-1], (url, r)
    r = raw(m, "h2", 'APPEND INBOX CATENATE (TEXT {3}', b"abc", ' CATENATE (URL "/INBOX/;UID=1"))')
    assert r[-1].startswith(b"h2 BAD"), r
    assert len(maildir_texts(srv.setup.maildir("ann"))) == before
    assert not os.path.exists(os.path.join(srv.setup.homes, "bob", "Maildir", "tmp", "x"))
    assert "NO APPEND INBOX: [BADURL]" in srv.stderr()
    # bob grants ann the right to read: the same URL now works, through the shared namespace
    b = login(srv, "bob")
    assert b.setacl("INBOX", "ann", "lr")[0] == "OK"
    b.logout()
    r = raw(m, "h3", 'APPEND INBOX CATENATE (URL "/shared.bob.INBOX/;UID=1/;SECTION=1")')
    assert r[-1].startswith(b"h3 OK"), r
    m.logout()


def genurlauth(m, tag, rump):
    r = raw(m, tag, 'GENURLAUTH "%s" INTERNAL' % rump)
    assert r[-1].startswith(tag.encode() + b" OK"), r
    g = re.match(rb'\* GENURLAUTH "([^"]+)"', r[0])
    assert g, r
    return g.group(1).decode()


def urlfetch(m, tag, url):
    r = raw(m, tag, 'URLFETCH "%s"' % url)
    assert r[-1].startswith(tag.encode() + b" OK"), r
    if r[0].endswith(b" NIL\r\n"):
        return None
    return r[0].split(b"}\r\n", 1)[1][:-2]


def test_urlauth_round_trip(srv):
    ann = login(srv, "ann")
    part = genurlauth(ann, "g1", "imap://ann@127.0.0.1/INBOX/;UID=1/;SECTION=1;URLAUTH=anonymous")
    assert re.fullmatch(r"imap://ann@127\.0\.0\.1/INBOX/;UID=1/;SECTION=1;URLAUTH=anonymous:internal:[0-9a-f]{40}", part)
    submit = genurlauth(ann, "g2", "imap://ann@127.0.0.1/INBOX/;UID=1/;PARTIAL=0.4;URLAUTH=submit+ann")
    ann.logout()
    # another session of ann's: the key is the server's
    ann2 = login(srv, "ann")
    assert urlfetch(ann2, "f1", part) == b"part one"
    assert urlfetch(ann2, "f2", submit) is None  # submit+: only a submission login
    smtp = login(srv, "smtp")
    assert urlfetch(smtp, "s1", submit) == b"From"
    assert urlfetch(smtp, "s2", part.replace("SECTION=1", "SECTION=2")) is None  # a changed URL
    bob = login(srv, "bob")
    assert urlfetch(bob, "b1", part) is None  # another user: not a submission login
    # the key: owner-only, under the var directory, never in the log; nor is a token
    key = os.path.join(srv.var, "urlauth", "ann")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600, oct(os.stat(key).st_mode)
    with open(key) as f:
        hexkey = f.read().split("\t")[0]
    log = srv.stderr()
    assert hexkey not in log and part.rsplit(":", 1)[1] not in log and submit.rsplit(":", 1)[1] not in log
    assert "URLFETCH NIL for" in log
    # RESETKEY: the old URLs stop working
    assert raw(ann2, "k1", "RESETKEY INBOX INTERNAL")[-1].startswith(b"k1 OK")
    assert urlfetch(smtp, "s3", submit) is None
    for m in (ann2, smtp, bob):
        m.logout()


def test_delete_and_rename_drop_the_keys(srv):
    """RFC 4467 / RFC 5092: a URL names its mailbox. DELETE drops the mailbox's key and RENAME the old
    names' keys: a URL of a deleted mailbox is NIL even once a new one of the name holds the same
    message at the same UID, and cycles of CREATE, GENURLAUTH, DELETE do not grow the key file."""
    m = login(srv, "bob")
    key = os.path.join(srv.var, "urlauth", "bob")
    genurlauth(m, "k0", "imap://bob@127.0.0.1/INBOX/;UID=1;URLAUTH=authuser")
    size = os.path.getsize(key)
    url = None
    for i in range(5):
        assert m.create("Cycle")[0] == "OK"
        assert m.append("Cycle", None, None, FIRST)[0] == "OK"
        if url is not None:
            assert urlfetch(m, "c%da" % i, url) is None, "a deleted mailbox's URL reached its successor"
        url = genurlauth(m, "c%d" % i, "imap://bob@127.0.0.1/Cycle/;UID=1;URLAUTH=authuser")
        assert urlfetch(m, "c%db" % i, url).startswith(b"From: t@example.org")
        assert os.path.getsize(key) > size
        assert m.delete("Cycle")[0] == "OK"
        assert os.path.getsize(key) == size, (i, os.path.getsize(key), size)
    # RENAME: the old name's URLs fail, under it and after the name is made again
    assert m.create("Old")[0] == "OK"
    assert m.append("Old", None, None, FIRST)[0] == "OK"
    url = genurlauth(m, "r1", "imap://bob@127.0.0.1/Old/;UID=1;URLAUTH=authuser")
    assert m.rename("Old", "New")[0] == "OK"
    assert urlfetch(m, "r2", url) is None
    assert urlfetch(m, "r3", url.replace("/Old/", "/New/")) is None
    assert m.create("Old")[0] == "OK"
    assert m.append("Old", None, None, FIRST)[0] == "OK"
    assert urlfetch(m, "r4", url) is None
    assert os.path.getsize(key) == size
    assert "event=urlauth.keys.dropped mailbox=Old keys=1 by=RENAME" in srv.stderr()
    m.logout()


def test_big_catenate_streams_through_the_store(srv):
    """A 24 MB message (streamed into tmp/ as it arrives), then CATENATE of it twice with text
    between: 48 MB written part by part into the store's upload, within literal.max (64 MB)."""
    m = login(srv, "ann")
    big = b"Subject: big\r\n\r\n" + (b"x" * 78 + b"\r\n") * (24 * 1024 * 1024 // 80)
    typ, data = m.append("INBOX", None, None, big)
    assert typ == "OK", data
    uid = re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1).decode()
    r = raw(m, "b1", 'APPEND INBOX CATENATE (URL "/INBOX/;UID=%s" TEXT {2}' % uid, b"\r\n",
            ' URL "/INBOX/;UID=%s/;SECTION=TEXT")' % uid)
    assert r[-1].startswith(b"b1 OK"), r
    new = re.search(rb"APPENDUID \d+ (\d+)", r[-1]).group(1).decode()
    m.select("INBOX", readonly=True)
    typ, data = m.uid("FETCH", new, "(RFC822.SIZE)")
    body = len(big) - len(b"Subject: big\r\n\r\n")
    assert int(re.search(rb"RFC822.SIZE (\d+)", data[0]).group(1)) == len(big) + 2 + body, data
    m.logout()


TESTS = [
    test_catenate_makes_the_message_in_the_maildir,
    test_big_catenate_streams_through_the_store,
    test_hostile_urls_get_badurl_and_nothing_is_stored,
    test_urlauth_round_trip,
    test_delete_and_rename_drop_the_keys,
]


def main():
    return run_with_setup("e2e-urls", Setup, TESTS)


if __name__ == "__main__":
    sys.exit(main())
