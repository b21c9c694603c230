#!/usr/bin/env python3
"""End-to-end tests of CONDSTORE and QRESYNC (RFC 7162) against `./posthorn run`, over raw sockets:
a client reads the mailbox, goes away; flags are changed and messages expunged and added by another
session and from outside (files renamed, delivered, deleted in the Maildir, as Courier or an MDA
would); the server is restarted; the client comes back with SELECT (QRESYNC ...) and must get exactly
what changed: VANISHED (EARLIER) for the expunged UIDs and FETCH for the changed and new messages
only, with MODSEQs above the HIGHESTMODSEQ it had.

Prints 'e2e-condstore: N passed, N failed'.

Usage: e2e_condstore.py [-k NAME]
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import Server, deliver, free_port, run_suite  # noqa: E402
from e2e_rev2 import Raw  # noqa: E402
from e2e_sync import jakarta_classpath, java_binary  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def session(srv):
    c = Raw(srv.port)
    c.login(srv)
    return c


def ok(lines):
    assert lines[-1].split(b" ")[1] == b"OK", lines
    return lines


def code(lines, name):
    for l in lines:
        m = re.search(rb"\[" + name + rb" ([^\]]+)\]", l)
        if m:
            return m.group(1)
    raise AssertionError("no [%s] in %r" % (name, lines))


def fetches(lines):
    """UID -> (flags, modseq) of the FETCH responses."""
    out = {}
    for l in lines:
        m = re.match(rb"\* \d+ FETCH \((.*)\)$", l)
        if m:
            uid = int(re.search(rb"UID (\d+)", l).group(1))
            flags = re.search(rb"FLAGS \(([^)]*)\)", l)
            mod = int(re.search(rb"MODSEQ \((\d+)\)", l).group(1))
            out[uid] = (set(flags.group(1).split()) if flags else None, mod)
    return out


def cur_file(maildir, uid):
    with open(os.path.join(maildir, "courierimapuiddb")) as f:
        base = dict(l.split(" ", 1) for l in f.read().splitlines()[1:])[str(uid)]
    for name in os.listdir(os.path.join(maildir, "cur")):
        if name.split(":")[0] == base:
            return os.path.join(maildir, "cur", name)
    raise AssertionError("no file for UID %d" % uid)


def test_capabilities(srv):
    c = session(srv)
    try:
        caps = ok(c.cmd(b"c", b"CAPABILITY"))[0]
        assert b" CONDSTORE" in caps and b" QRESYNC" in caps, caps
    finally:
        c.close()


def test_qresync_after_changes_and_restart(srv):
    md = srv.maildir()
    for i in range(6):
        deliver(md, "message %d" % i)
    c = session(srv)
    ok(c.cmd(b"e", b"ENABLE QRESYNC"))
    r = ok(c.cmd(b"s", b"SELECT INBOX"))
    validity = int(code(r, b"UIDVALIDITY"))
    high = int(code(r, b"HIGHESTMODSEQ"))
    known = fetches(ok(c.cmd(b"f", b"UID FETCH 1:* (FLAGS MODSEQ)")))
    assert len(known) >= 6, known  # the six, after whatever the account started with
    assert all(m <= high for _, m in known.values()), (known, high)
    u1, u2, u3, u4, u5, u6 = sorted(known)[-6:]
    last = max(known)
    c.close()
    # while the client is away: another session changes flags, expunges, adds
    o = session(srv)
    ok(o.cmd(b"s", b"SELECT INBOX"))
    ok(o.cmd(b"a", b"UID STORE %d +FLAGS (\\Flagged)" % u2))
    ok(o.cmd(b"b", b"UID STORE %d +FLAGS (\\Deleted)" % u3))
    ok(o.cmd(b"c", b"UID EXPUNGE %d" % u3))
    o.close()
    # ... and from outside: a flag change by rename, a deletion, a delivery
    f4 = cur_file(md, u4)
    os.rename(f4, f4.split(":")[0] + ":2,S")
    os.unlink(cur_file(md, u5))
    deliver(md, "late arrival")
    srv.stop()
    srv.start()
    c = session(srv)
    try:
        ok(c.cmd(b"e", b"ENABLE QRESYNC"))
        r = ok(c.cmd(b"s", b"SELECT INBOX (QRESYNC (%d %d 1:%d))" % (validity, high, last)))
        vanished = [l for l in r if l.startswith(b"* VANISHED (EARLIER) ")]
        assert vanished == [b"* VANISHED (EARLIER) %d,%d" % (u3, u5)], r
        changed = fetches(r)
        # the others did not change: not sent; the new message is not among the known UIDs (as
        # Dovecot, only those are resynchronised), the client learns of it from EXISTS and UIDNEXT
        assert sorted(changed) == [u2, u4], r
        assert b"* OK [UIDNEXT %d] Predicted next UID" % (last + 2) in r, r
        assert changed[u2][0] == {b"\\Flagged"} and changed[u4][0] == {b"\\Seen"}, changed
        assert all(m > high for _, m in changed.values()), (changed, high)
        assert int(code(r, b"HIGHESTMODSEQ")) >= max(m for _, m in changed.values()), r
        # the same question through UID FETCH ... (CHANGEDSINCE n VANISHED)
        r = ok(c.cmd(b"u", b"UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % high))
        assert [l for l in r if l.startswith(b"* VANISHED")] == [b"* VANISHED (EARLIER) %d,%d" % (u3, u5)], r
        assert sorted(fetches(r)) == [u2, u4, last + 1], r
        # once QRESYNC is on, expunges come as VANISHED, flag changes with UID and MODSEQ
        ok(c.cmd(b"d", b"UID STORE %d +FLAGS (\\Deleted)" % (last + 1)))
        r = ok(c.cmd(b"x", b"EXPUNGE"))
        assert b"* VANISHED %d" % (last + 1) in r and not any(l.endswith(b" EXPUNGE") for l in r), r
    finally:
        c.close()


def test_unchangedsince_refuses_a_changed_message(srv):
    md = srv.maildir()
    deliver(md, "conditional")
    c = session(srv)
    try:
        r = ok(c.cmd(b"s", b"SELECT INBOX (CONDSTORE)"))
        high = int(code(r, b"HIGHESTMODSEQ"))
        o = session(srv)
        ok(o.cmd(b"s", b"SELECT INBOX"))
        ok(o.cmd(b"a", b"UID STORE 1:* +FLAGS (\\Answered)"))
        o.close()
        r = c.cmd(b"t", b"UID STORE 1:* (UNCHANGEDSINCE %d) +FLAGS (\\Draft)" % high)
        assert r[-1].startswith(b"t OK [MODIFIED "), r
        r = ok(c.cmd(b"m", b"SEARCH MODSEQ %d" % (high + 1)))
        assert re.match(rb"\* SEARCH( \d+)+ \(MODSEQ \d+\)$", r[-2]), r
    finally:
        c.close()


def jakarta(srv, *args):
    cmd = [java_binary(), "-cp", jakarta_classpath(), os.path.join(HERE, "JakartaQresync.java"),
           "127.0.0.1", str(srv.port), "demo", srv.password()] + [str(a) for a in args]
    r = subprocess.run(cmd, capture_output=True, timeout=90)
    out = r.stdout.decode(errors="replace")
    print("\n".join("    " + l for l in out.splitlines()), flush=True)
    assert r.returncode == 0, "JakartaQresync failed:\n%s\n%s" % (out[-4000:], r.stderr.decode(errors="replace")[-4000:])
    return out.splitlines()


def test_jakarta_mail_qresync(srv):
    """A real client's QRESYNC resync (Angus IMAPFolder.open(mode, ResyncData)) after changes made
    while it was away, from another session and from outside: it is told of exactly those."""
    md = srv.maildir()
    ok(session(srv).cmd(b"s", b"SELECT INBOX"))  # creates the Maildir if the earlier tests did not
    for i in range(4):
        deliver(md, "jakarta %d" % i)
    first = jakarta(srv, "first")
    validity, high = [int(x) for x in first[0].split()[1:3]]
    uids = [int(l.split()[1]) for l in first if l.startswith("MSG ")]
    assert len(uids) >= 4, first
    a, b, c, d = uids[-4:]
    o = session(srv)
    ok(o.cmd(b"s", b"SELECT INBOX"))
    ok(o.cmd(b"a", b"UID STORE %d +FLAGS (\\Answered)" % a))
    ok(o.cmd(b"b", b"UID STORE %d +FLAGS (\\Deleted)" % b))
    ok(o.cmd(b"c", b"UID EXPUNGE %d" % b))
    o.close()
    f = cur_file(md, c)
    os.rename(f, f.split(":")[0] + ":2,FS")  # as Courier or a MUA on the Maildir would
    deliver(md, "jakarta late")
    again = jakarta(srv, "resync", validity, high)
    vanished = [l for l in again if l.startswith("VANISHED ")]
    changed = {int(l.split()[1]): l.split()[3] for l in again if l.startswith("CHANGED ")}
    assert vanished == ["VANISHED %d" % b], again
    assert changed.get(a) == "\\Answered" and changed.get(c) == "\\Flagged,\\Seen", again
    assert d not in changed, "an unchanged message is not refetched: %r" % again
    assert all(int(l.split()[2]) > high for l in again if l.startswith("CHANGED ")), again


TESTS = [
    test_capabilities,
    test_qresync_after_changes_and_restart,
    test_unchangedsince_refuses_a_changed_message,
    test_jakarta_mail_qresync,
]


def main():
    work = tempfile.mkdtemp(prefix="posthorn-e2e-condstore-")
    return run_suite("e2e-condstore", work, lambda: Server(work, free_port()), TESTS)


if __name__ == "__main__":
    sys.exit(main())
