#!/usr/bin/env python3
"""End-to-end tests of message content: FETCH ENVELOPE/BODYSTRUCTURE/sections, SEARCH, SORT, THREAD.

Starts `./posthorn run` as e2e.py does, delivers the MIME fixture messages of
bundles/posthorn.imap.server/src/test/resources/mime plus a small reply thread into the demo INBOX
the way an MDA does, and checks the answers over a raw socket (byte-exact against what Dovecot 2.3
answered for the same messages) and with imaplib. Prints 'e2e-fetch: N passed, N failed'.
"""
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import Server, free_port, imap, raw_session, TOP, run_suite  # noqa: E402

FIX = os.path.join(TOP, "bundles/posthorn.imap.server/src/test/resources/mime")
FIXTURES = ["simple", "alternative", "nested", "addresses", "garbage", "rfc822top", "eightbit"]
THREAD = [
    ("<t1@x>", None, "Thread start", "Mon, 01 Jun 2026 10:00:00 +0000"),
    ("<t2@x>", "<t1@x>", "Re: Thread start", "Mon, 01 Jun 2026 11:00:00 +0000"),
    ("<t3@x>", "<t1@x> <t2@x>", "Re: Re: Thread start", "Mon, 01 Jun 2026 12:00:00 +0000"),
    ("<t4@x>", "<t1@x>", "Re: Thread start", "Mon, 01 Jun 2026 09:30:00 +0000"),
]
counter = [0]


def deliver_bytes(maildir, data):
    counter[0] += 1
    name = "%d.M%06dP%d.e2efetch" % (1700000000 + counter[0], counter[0], os.getpid())
    tmp = os.path.join(maildir, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(maildir, "new", name))


def expected(name, item):
    """Dovecot's answer for one item of a fixture (see tools/dovecot-mime-fixtures)."""
    with open(os.path.join(FIX, name + ".expected"), "rb") as f:
        text = f.read()
    for record in text.split(b">>> ")[1:]:
        head, _, data = record.partition(b"\r\n")
        if head.decode() == item:
            return data[:-2] if data.endswith(b"\r\n") else data
    raise KeyError(item)


def login(srv):
    s, cmd = raw_session(srv)
    assert cmd(b"a LOGIN demo " + srv.password().encode())[-1].startswith(b"a OK")
    assert cmd(b"b SELECT INBOX")[-1].startswith(b"b OK")
    return s, cmd


def seq_of(name):
    # Sequence 1 is the welcome message; fixtures follow in delivery order.
    return FIXTURES.index(name) + 2


def test_fetch_structure_matches_dovecot(srv):
    s, cmd = login(srv)
    try:
        for name in FIXTURES:
            for item in ("ENVELOPE", "BODYSTRUCTURE", "BODY"):
                lines = cmd(b"f FETCH %d (%s)" % (seq_of(name), item.encode()))
                got = b"".join(lines[:-1])
                want = b"* %d FETCH (%s)\r\n" % (seq_of(name), expected(name, item))
                assert got == want, "%s %s:\n got %r\nwant %r" % (name, item, got, want)
                assert lines[-1].startswith(b"f OK"), lines[-1]
    finally:
        s.close()


def test_fetch_sections_match_dovecot(srv):
    s, cmd = login(srv)
    try:
        for name in ("nested", "alternative", "rfc822top", "garbage"):
            for item in ("BODY.PEEK[1]", "BODY.PEEK[1.MIME]", "BODY.PEEK[3.HEADER]", "BODY.PEEK[3.TEXT]",
                         "BODY.PEEK[3.2]", "BODY.PEEK[1.1]", "BODY.PEEK[HEADER.FIELDS (FROM Subject)]",
                         "BODY.PEEK[TEXT]<3.7>", "BODY.PEEK[4]"):
                lines = cmd(b"f FETCH %d (%s)" % (seq_of(name), item.encode()))
                got = b"".join(lines[:-1])
                want = b"* %d FETCH (%s)\r\n" % (seq_of(name), expected(name, item))
                assert got == want, "%s %s:\n got %r\nwant %r" % (name, item, got, want)
    finally:
        s.close()


def test_imaplib_fetch_and_seen(srv):
    m = imap(srv)
    m.login("demo", srv.password())
    m.select("INBOX")
    typ, data = m.fetch(str(seq_of("nested")), "(BODY[2] FLAGS)")
    assert typ == "OK" and data[0][1] == b"JVBERi0xLjQK", data
    assert b"\\Seen" in data[1] if isinstance(data[1], bytes) else b"\\Seen" in data[0][0], data
    typ, data = m.uid("FETCH", "1:*", "(UID ENVELOPE)")
    assert typ == "OK" and len([d for d in data if d not in (b")",)]) >= len(FIXTURES), data
    m.logout()


def search(cmd, args):
    lines = cmd(b"s " + args)
    assert lines[-1].startswith(b"s OK"), lines
    for l in lines:
        if l.startswith(b"* SEARCH") or l.startswith(b"* ESEARCH") or l.startswith(b"* SORT") \
                or l.startswith(b"* THREAD"):
            return l.rstrip(b"\r\n")
    raise AssertionError(lines)


def test_search(srv):
    s, cmd = login(srv)
    try:
        n = seq_of
        assert search(cmd, b"SEARCH SUBJECT nested") == b"* SEARCH %d" % n("nested")
        # quoted-printable UTF-8 body, searched decoded
        assert search(cmd, b"SEARCH CHARSET UTF-8 BODY {5+}\r\nK\xc3\xb6ln") == b"* SEARCH %d" % n("alternative")
        # base64 HTML part, decoded
        assert search(cmd, b"SEARCH BODY \"hello world\"") == b"* SEARCH %d" % n("alternative")
        # RFC 2047 encoded subject, decoded
        assert search(cmd, b"SEARCH CHARSET UTF-8 SUBJECT {6+}\r\nw\xc3\xb6rld") == b"* SEARCH %d" % n("addresses")
        assert search(cmd, b"SEARCH TEXT PIRARD") == b"* SEARCH %d" % n("addresses")
        assert search(cmd, b"SEARCH FROM alice SEEN") == b"* SEARCH"
        assert search(cmd, b"SEARCH OR FROM alice FROM inner@example.com NOT DELETED") == b"* SEARCH %d" % n("simple")
        assert search(cmd, b"SEARCH (FROM alice) 1:3") == b"* SEARCH %d" % n("simple")
        assert search(cmd, b"SEARCH HEADER Message-ID simple@example.org") == b"* SEARCH %d" % n("simple")
        assert search(cmd, b"SEARCH SENTON 7-Feb-1994") == b"* SEARCH %d" % n("simple")
        assert search(cmd, b"SEARCH TEXT \"inner text\"") == b"* SEARCH %d" % n("nested")
        assert search(cmd, b"SEARCH LARGER 1000000") == b"* SEARCH"
        uid = search(cmd, b"UID SEARCH SUBJECT Hello").split()[2:]
        assert len(uid) >= 1, uid
        assert search(cmd, b"SEARCH RETURN (MIN MAX COUNT) SUBJECT e") .startswith(b"* ESEARCH (TAG \"s\") MIN ")
        assert search(cmd, b"SEARCH RETURN () FROM nobody-at-all") == b"* ESEARCH (TAG \"s\")"
        bad = cmd(b"t SEARCH FROBNICATE")
        assert bad[-1].startswith(b"t BAD") and b"FROBNICATE" in bad[-1], bad
        nocs = cmd(b"t SEARCH CHARSET X-NOPE FROM a")
        assert nocs[-1].startswith(b"t NO [BADCHARSET (UTF-8 US-ASCII)]"), nocs
        garbage = cmd(b"t SEARCH TEXT zzz-not-there")
        assert garbage[-1].startswith(b"t OK"), garbage
    finally:
        s.close()


def test_sort_and_thread(srv):
    s, cmd = login(srv)
    try:
        first = len(FIXTURES) + 2
        t = list(range(first, first + len(THREAD)))
        got = search(cmd, b"SORT (DATE) UTF-8 SUBJECT thread")
        assert got == b"* SORT %d %d %d %d" % (t[3], t[0], t[1], t[2]), got
        got = search(cmd, b"SORT (REVERSE DATE) UTF-8 SUBJECT thread")
        assert got == b"* SORT %d %d %d %d" % (t[2], t[1], t[0], t[3]), got
        # same arrival second: ties go by sequence number, REVERSE or not (RFC 5256 3)
        got = search(cmd, b"UID SORT (SUBJECT REVERSE SIZE) UTF-8 SUBJECT thread")
        assert len(got.split()) == 6, got
        got = search(cmd, b"THREAD REFERENCES UTF-8 SUBJECT thread")
        # children by sent date: t4 (09:30) before t2 (11:00)
        assert got == b"* THREAD (%d (%d)(%d %d))" % (t[0], t[3], t[1], t[2]), got
        got = search(cmd, b"THREAD ORDEREDSUBJECT UTF-8 SUBJECT thread")
        assert got == b"* THREAD (%d (%d)(%d)(%d))" % (t[3], t[0], t[1], t[2]), got
        caps = b"".join(cmd(b"c CAPABILITY"))
        for c in (b"SORT", b"THREAD=REFERENCES", b"THREAD=ORDEREDSUBJECT", b"ESEARCH"):
            assert c in caps, caps
        bad = cmd(b"t SORT (BOGUS) UTF-8 ALL")
        assert bad[-1].startswith(b"t BAD"), bad
    finally:
        s.close()


def append_raw(cmd, mailbox, data):
    """APPENDs bytes exactly as given (a non-synchronizing literal); returns the tagged line."""
    lines = cmd(b"ap APPEND " + mailbox + b" {%d+}\r\n" % len(data) + data)
    assert lines[-1].startswith(b"ap OK"), lines
    return lines[-1]


def test_fetch_of_message_expunged_elsewhere(srv):
    # Issue 11, item 11: as Dovecot 2.3.19 answers (checked with two dovecot imap processes on one
    # Maildir): the expunged message gets what is known (FLAGS; BODY[] NIL), the others in full, and
    # OK [EXPUNGEISSUED]; FETCH of FLAGS alone is a plain OK. Not NO. The flags are those this session
    # last saw (Dovecot showed \\Deleted from its index; this session may not have seen that STORE).
    a, acmd = login(srv)
    assert acmd(b"c CREATE Gone")[-1].startswith(b"c OK")
    for i in (1, 2, 3):
        append_raw(acmd, b"Gone", b"Subject: m%d\r\n\r\nbody%d\r\n" % (i, i))
    assert acmd(b"s SELECT Gone")[-1].startswith(b"s OK")
    b, bcmd = login(srv)
    assert bcmd(b"s SELECT Gone")[-1].startswith(b"s OK")
    assert bcmd(b"d STORE 2 +FLAGS.SILENT (\\Deleted)")[-1].startswith(b"d OK")
    assert bcmd(b"e EXPUNGE")[-1].startswith(b"e OK")
    out = acmd(b"f1 FETCH 1:3 (FLAGS)")
    assert out[-1].startswith(b"f1 OK") and b"EXPUNGEISSUED" not in out[-1], out
    assert sum(1 for l in out if b" FETCH (FLAGS (" in l) == 3, out
    out = acmd(b"f2 FETCH 1:3 (RFC822.SIZE BODY.PEEK[])")
    assert out[-1].startswith(b"f2 OK [EXPUNGEISSUED]"), out
    text = b"".join(out)
    assert b"body1" in text and b"body3" in text and b"body2" not in text, out
    assert b"* 2 FETCH (RFC822.SIZE 22 BODY[] NIL)\r\n" in out, out
    assert b"EXPUNGE\r\n" not in text, "FETCH must hold the EXPUNGE back (RFC 3501 7.4.1): %r" % out
    out = acmd(b"f3 UID FETCH 1:3 (FLAGS BODY[])")
    assert out[-1].startswith(b"f3 OK [EXPUNGEISSUED]"), out
    assert any(re.fullmatch(rb"\* 2 FETCH \(UID 2 FLAGS \([^)]*\) BODY\[\] NIL\)\r\n", l) for l in out), out
    assert b"* 2 EXPUNGE\r\n" in out, "UID FETCH may send the EXPUNGE: %r" % out
    out = acmd(b"f4 FETCH 1:* (FLAGS)")
    assert out[-1].startswith(b"f4 OK") and sum(1 for l in out if b" FETCH (" in l) == 2, out
    a.close()
    b.close()


def test_binary_whole_message_with_imaplib(srv):
    # RFC 3516 with a real client library (imaplib reads literal8 '~{n}' as a literal): BINARY[] of a
    # multipart decodes its base64 and quoted-printable parts and says so in their headers (as
    # Dovecot 2.3.19 answers: conformance/binary.imapc compares byte for byte), BINARY.SIZE[] is its
    # length, and a part in an encoding nobody can undo is NO [UNKNOWN-CTE].
    blob = bytes(range(256))
    import base64
    enc = base64.encodebytes(blob).replace(b"\n", b"\r\n")
    msg = (b"Subject: bin\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
           b"--B\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           b"caf=C3=A9 =3D soft=\r\nbreak\r\n"
           b"--B\r\nContent-Transfer-Encoding: base64\r\nContent-Type: application/octet-stream\r\n\r\n" + enc +
           b"--B\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n"
           b"begin 644 a\r\nend\r\n--B--\r\n")
    m = imap(srv)
    m.login("demo", srv.password())
    m.create("BinTest")
    typ, _ = m.append("BinTest", None, None, msg)
    assert typ == "OK"
    m.select("BinTest")
    typ, data = m.fetch("1", "(BINARY.PEEK[1] BINARY.SIZE[1] BINARY.PEEK[2] BINARY.SIZE[2])")
    assert typ == "OK", data
    flat = b"".join(x if isinstance(x, bytes) else x[0] + x[1] for x in data)
    assert "caf\u00e9 = softbreak".encode() in flat and blob in flat, flat
    assert b"BINARY.SIZE[1] 17" in flat and b"BINARY.SIZE[2] 256" in flat, flat
    typ, data = m.fetch("1", "BINARY.PEEK[]")
    assert typ == "NO" and b"UNKNOWN-CTE" in data[0], (typ, data)
    typ, data = m.fetch("1", "BINARY.PEEK[3]")
    assert typ == "NO" and b"UNKNOWN-CTE" in data[0], (typ, data)
    # without the x-uuencode part the whole message converts
    whole = msg[:msg.index(b"--B\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: x-uu")] + b"--B--\r\n"
    typ, _ = m.append("BinTest", None, None, whole)
    assert typ == "OK"
    m.noop()
    typ, data = m.fetch("2", "(BINARY.PEEK[] BINARY.SIZE[])")
    assert typ == "OK", data
    body = data[0][1]
    assert blob in body and "caf\u00e9 = softbreak".encode() in body, body
    assert b"base64" not in body and b"quoted-printable" not in body, body
    assert body.count(b"Content-Transfer-Encoding: binary\r\n\r\n") == 2, body
    size = int(re.search(rb"BINARY.SIZE\[\] (\d+)", b"".join(x if isinstance(x, bytes) else x[0] for x in data)).group(1))
    assert size == len(body), (size, len(body))
    m.logout()


TESTS = [
    test_fetch_structure_matches_dovecot,
    test_fetch_sections_match_dovecot,
    test_imaplib_fetch_and_seen,
    test_search,
    test_sort_and_thread,
    test_fetch_of_message_expunged_elsewhere,
    test_binary_whole_message_with_imaplib,
]


def deliver_fixtures(srv):
    md = srv.maildir()
    messages = []
    for name in FIXTURES:
        with open(os.path.join(FIX, name + ".eml"), "rb") as f:
            messages.append(f.read())
    for mid, refs, subject, date in THREAD:
        head = "From: t@example.org\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n" % (subject, date, mid)
        if refs:
            head += "References: %s\r\n" % refs
        messages.append((head + "\r\nthread body\r\n").encode())
    # One at a time, each seen by a NOOP before the next, so that UIDs follow delivery order.
    s, cmd = login(srv)
    for i, data in enumerate(messages):
        deliver_bytes(md, data)
        assert b"* %d EXISTS\r\n" % (i + 2) in cmd(b"n NOOP"), "delivery %d not seen" % i
    s.close()


def main():
    work = tempfile.mkdtemp(prefix="posthorn-e2e-fetch-")
    return run_suite("e2e-fetch", work, lambda: Server(work, free_port()), TESTS, prepare=deliver_fixtures)


if __name__ == "__main__":
    sys.exit(main())
