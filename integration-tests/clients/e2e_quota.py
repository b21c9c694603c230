#!/usr/bin/env python3
"""End-to-end tests of QUOTA (RFC 9208) through a real session on the Maildir store.

Starts `./posthorn run` with a userdb of three users: 'quin' with a quota in the user record
(`quota=` field, Maildir++ form), 'sam' without one but named in imapd.cfg's quota.set (may use
SETQUOTA), and 'una' with neither. Then drives Python's imaplib: GETQUOTAROOT/GETQUOTA figures
against the files on disk, APPEND, COPY and MULTIAPPEND over the limit answered NO [OVERQUOTA] with
nothing stored, \\Deleted freeing room, STATUS DELETED-STORAGE, SETQUOTA refused and allowed, and
Courier's maildirsize as the store leaves it (Courier's deliverquota agreeing with it is
CourierQuotaTest's part). Prints 'e2e-quota: N passed, N failed'.

Usage: e2e_quota.py [-k NAME]
"""
import glob
import imaplib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import run_with_setup, set_config_keys  # noqa: E402
from e2e_auth import add_userdb_user, make_maildir, use_userdb_only  # noqa: E402

MSG = ("From: q@example.org\r\nTo: quin@example.org\r\nSubject: %s\r\n\r\n" + "x" * 900 + "\r\n")


class Setup:
    def __init__(self, work):
        self.userdb = os.path.join(work, "userdb")
        self.homes = os.path.join(work, "home")
        for name, quota in (("quin", "4000S,3C"), ("sam", None), ("una", None)):
            home = add_userdb_user(self.userdb, self.homes, name, *(["quota=" + quota] if quota else []))
            make_maildir(home, "for " + name)

    def maildir(self, name):
        return os.path.join(self.homes, name, "Maildir")

    def configure(self, conf):
        use_userdb_only(conf, self.userdb)
        set_config_keys(os.path.join(conf, "imapd.cfg"), {"quota.set": "sam"})


def login(srv, user):
    m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
    m.login(user, user + "-pw")
    return m


def files(maildir):
    return sorted(glob.glob(os.path.join(maildir, "cur", "*")) + glob.glob(os.path.join(maildir, "new", "*")))


def messages(maildir):
    """The messages' unique names (what stays when a message moves from new/ to cur/ or changes flags)."""
    return sorted(os.path.basename(p).split(":")[0] for p in files(maildir))


def quota_of(m, root="ROOT"):
    typ, data = m.getquota(root)
    assert typ == "OK", data
    return data[0].decode() if data and data[0] else ""


def capabilities(m):
    """CAPABILITY after login (imaplib keeps the greeting's list)."""
    typ, data = m.capability()
    assert typ == "OK", data
    return data[0].decode().upper().split()


def test_capabilities_announce_quota(srv):
    m = login(srv, "quin")
    caps = capabilities(m)
    for c in ("QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE"):
        assert c in caps, caps
    assert "QUOTASET" not in caps, "only logins named in quota.set see QUOTASET"
    m.logout()
    m = login(srv, "sam")
    assert "QUOTASET" in capabilities(m), capabilities(m)
    m.logout()


def test_getquotaroot_reports_the_record_quota_and_the_disk(srv):
    m = login(srv, "quin")
    typ, data = m.getquotaroot("INBOX")
    assert typ == "OK", data
    flat = [d.decode() if isinstance(d, bytes) else str(d) for part in data for d in part]
    assert any(re.fullmatch(r'"?INBOX"? ROOT', d) for d in flat), flat
    q = [d for d in flat if d.startswith("ROOT (")]
    assert q, flat
    used = sum(os.path.getsize(p) for p in files(srv.setup.maildir("quin")))
    # STORAGE in KiB rounded up (RFC 9208 5.1), MESSAGE a count; limits 4000 bytes (4 KiB) and 3
    assert q[0] == "ROOT (STORAGE %d 4 MESSAGE 1 3)" % ((used + 1023) // 1024), (q[0], used)
    with open(os.path.join(srv.setup.maildir("quin"), "maildirsize")) as f:
        assert f.readline().strip() == "4000S,3C", "Courier's maildirsize carries the record's quota"
    m.logout()


def test_append_copy_and_multiappend_over_the_limit_store_nothing(srv):
    md = srv.setup.maildir("quin")
    m = login(srv, "quin")
    for i in range(2):  # 1 + 2 = 3 messages, the limit
        typ, data = m.append("INBOX", None, None, (MSG % ("fill %d" % i)).encode())
        assert typ == "OK", data
    before = messages(md) + messages(os.path.join(md, ".Archive"))
    assert len(before) == 3, before
    typ, data = m.append("INBOX", None, None, (MSG % "one too many").encode())
    assert typ == "NO" and b"[OVERQUOTA]" in data[0], (typ, data)
    m.create("Archive")
    m.select("INBOX")
    typ, data = m.copy("1", "Archive")
    assert typ == "NO" and b"[OVERQUOTA]" in data[0], (typ, data)
    # MULTIAPPEND (RFC 3502): all or nothing
    tag = m._new_tag().decode()
    m.send(("%s APPEND Archive {5+}\r\nab\r\n\r\n {5+}\r\ncd\r\n\r\n\r\n" % tag).encode())
    reply = b""
    while not reply.startswith(tag.encode()):
        reply = m.readline()
    assert b" NO " in reply and b"[OVERQUOTA]" in reply, reply
    after = messages(md) + messages(os.path.join(md, ".Archive"))
    assert after == before, "nothing stored over quota: %s" % (set(after) - set(before))
    assert not os.listdir(os.path.join(md, "tmp")), "no leftovers in tmp/"
    m.logout()


def test_deleted_messages_free_room_and_status_deleted_storage(srv):
    m = login(srv, "quin")
    m.select("INBOX")
    typ, data = m.store("1", "+FLAGS", "(\\Deleted)")
    assert typ == "OK", data
    typ, data = m.fetch("1", "(RFC822.SIZE)")
    size = int(re.search(rb"RFC822\.SIZE (\d+)", data[0]).group(1))
    typ, data = m.status("INBOX", "(MESSAGES DELETED DELETED-STORAGE)")
    assert typ == "OK", data
    status = data[0].decode()
    # RFC 9208 4.2: the storage the \Deleted messages take, here their RFC822.SIZE in octets
    assert "DELETED 1" in status and ("DELETED-STORAGE %d" % size) in status, (status, size)
    # Courier counts no \Deleted message: there is room for one again
    typ, data = m.append("INBOX", None, None, (MSG % "after delete").encode())
    assert typ == "OK", data
    assert "MESSAGE 3 3" in quota_of(m), quota_of(m)
    m.expunge()
    assert "MESSAGE 3 3" in quota_of(m), "EXPUNGE of a \\Deleted message changes nothing more"
    m.logout()


def test_setquota_refused_unless_permitted(srv):
    m = login(srv, "una")
    typ, data = m.setquota("ROOT", "(STORAGE 100)")
    assert typ == "NO" and b"[NOPERM]" in data[0], (typ, data)
    typ, data = m.getquotaroot("INBOX")
    assert typ == "OK", data
    m.logout()
    m = login(srv, "quin")  # in quota.set? no: and the record's quota wins anyway
    typ, data = m.setquota("ROOT", "(STORAGE 100)")
    assert typ == "NO", (typ, data)
    m.logout()
    m = login(srv, "sam")
    typ, data = m.setquota("ROOT", "(STORAGE 100 MESSAGE 50)")
    assert typ == "OK", data
    assert re.fullmatch(r"ROOT \(STORAGE \d+ 100 MESSAGE \d+ 50\)", quota_of(m)), quota_of(m)
    with open(os.path.join(srv.setup.maildir("sam"), "maildirsize")) as f:
        assert f.readline().strip() == "102400S,50C", "KiB in IMAP, bytes in maildirsize"
    try:
        m._simple_command("SETQUOTA", "ROOT", "STORAGE 100")
        raise AssertionError("SETQUOTA without parentheses was accepted")
    except imaplib.IMAP4.error as e:
        assert "BAD" in str(e), e
    m.logout()


def test_getquota_of_an_unknown_root(srv):
    m = login(srv, "quin")
    typ, data = m.getquota("nosuchroot")
    assert typ == "NO", (typ, data)
    typ, data = m.getquotaroot("nosuchbox")
    assert typ == "NO", (typ, data)
    m.logout()


TESTS = [
    test_capabilities_announce_quota,
    test_getquotaroot_reports_the_record_quota_and_the_disk,
    test_append_copy_and_multiappend_over_the_limit_store_nothing,
    test_deleted_messages_free_room_and_status_deleted_storage,
    test_setquota_refused_unless_permitted,
    test_getquota_of_an_unknown_root,
]


def main():
    return run_with_setup("e2e-quota", Setup, TESTS)


if __name__ == "__main__":
    sys.exit(main())
