#!/usr/bin/env python3
"""End-to-end: real mail clients keep a real mailbox in sync with the running server.

Starts `./posthorn run` the way e2e.py does (its Server class: a copy of config/ on a free port, a
fresh POSTHORN_VAR), gives each client an account of its own (a line in the demo userdb with the demo
password, so one client's folders never disturb another's), and drives Debian's mbsync (isync),
offlineimap (offlineimap3) and fetchmail, Jakarta Mail (angus-mail, a small Java program run from
source), Python's imaplib with a raw socket for IDLE, and curl. Each syncs folders and flags both
ways and sees an outside delivery: a message dropped into the server's Maildir the way an MDA does,
between two syncs, or while the client waits in IDLE. Where a client waits in IDLE, the time from
the delivery to the client seeing it is measured and printed. mbsync, fetchmail and curl also
connect over IMAPS and STARTTLS and verify the server's self-signed certificate.

Prints 'e2e-sync: N passed, N failed' and exits non-zero on any failure. tools/test-deps installs the
programs (isync, offlineimap3, fetchmail, curl).

Usage: e2e_sync.py [-k NAME]   (run only the tests whose name contains NAME)
"""
import base64
import calendar
import getpass
import glob
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from e2e import TOP, Server, free_port  # noqa: E402  (imported by path, beside this file)

# Maildir info letters <-> IMAP system flags (the letters mbsync, offlineimap and Courier share).
LETTER_FLAGS = {"D": "\\Draft", "F": "\\Flagged", "R": "\\Answered", "S": "\\Seen", "T": "\\Deleted"}
ACCOUNTS = {}  # name -> Account, one per test, made before the tests run
DELIVERIES = 0  # outside deliveries so far, for unique Maildir names
LATENCIES = []  # (client, seconds from an outside delivery to the client seeing it in IDLE)


# ---------------------------------------------------------------------------------------------
# Accounts, messages and the two sides' views of a mailbox.

class Account:
    """A user of the running server with a Maildir of its own (made by add_accounts)."""

    def __init__(self, srv, name):
        self.srv = srv
        self.name = name
        self.password = srv.password()
        self.home = os.path.join(srv.var, "mail", name)
        self.maildir = os.path.join(self.home, "Maildir")

    def imap(self):
        m = imaplib.IMAP4("127.0.0.1", self.srv.port, timeout=20)
        m.login(self.name, self.password)
        return m

    def folder_path(self, folder):
        """The server's Maildir++ directory of a folder (INBOX, or X.Y at the top level: .X.Y, under
        the default empty namespace.prefix)."""
        return self.maildir if folder == "INBOX" else os.path.join(self.maildir, "." + folder)

    def deliver(self, subject, folder="INBOX", body="Delivered from outside.\n"):
        """Drops a message into the server's Maildir as an MDA does (as e2e.deliver: write into tmp/,
        rename into new/, LF line ends); returns its Message-ID."""
        global DELIVERIES
        DELIVERIES += 1
        name = "%d.M%dP%dQ%d.e2e-sync" % (time.time(), time.time_ns() // 1000 % 1000000, os.getpid(), DELIVERIES)
        msgid = "<%s@e2e>" % name
        path = self.folder_path(folder)
        with open(os.path.join(path, "tmp", name), "w") as f:
            f.write("From: Tester <tester@example.org>\nTo: %s@localhost\nSubject: %s\n"
                    "Date: Tue, 24 Nov 2026 10:00:00 +0000\nMessage-ID: %s\n\n%s" % (self.name, subject, msgid, body))
        os.rename(os.path.join(path, "tmp", name), os.path.join(path, "new", name))
        return msgid

    def state(self):
        """The server's view, through IMAP: {folder: sorted [(Message-ID, flags)]}."""
        m = self.imap()
        try:
            return imap_state(m)
        finally:
            m.logout()


def add_accounts(srv, names):
    """Adds the accounts to the demo userdb in one write, with the demo password, and waits until
    the server has re-read the file (it checks at most once a second). A login that fails counts
    towards the server's brute-force delay, so the wait is a sleep, then one login each."""
    userdb = os.path.join(srv.var, "userdb")
    with open(userdb) as f:
        demo = [l for l in f.read().splitlines() if l.startswith("demo\t")][0]
    hash_ = re.search(r"systempw=([^|]+)", demo).group(1)
    accounts = {}
    lines = []
    for name in names:
        a = Account(srv, name)
        for d in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(a.maildir, d), exist_ok=True)
        lines.append("%s\thome=%s|mail=%s|systempw=%s\n" % (name, a.home, a.maildir, hash_))
        accounts[name] = a
    with open(userdb, "a") as f:
        f.write("".join(lines))
    time.sleep(1.5)
    for a in accounts.values():
        a.imap().logout()
    return accounts


def imap_state(m):
    typ, boxes = m.list()
    assert typ == "OK", boxes
    state = {}
    for line in boxes:
        name = parse_list_line(line)
        if b"\\Noselect" in line or b"\\NonExistent" in line:
            continue
        typ, data = m.select(quote(name), readonly=True)
        assert typ == "OK", (name, data)
        msgs = []
        if int(data[0]) > 0:
            typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            assert typ == "OK", data
            for item in data:
                if isinstance(item, tuple):
                    flags = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode().split()
                    msgs.append((message_id(item[1]), frozenset(f for f in flags if f != "\\Recent")))
        state[name] = sorted(msgs, key=lambda x: (x[0], sorted(x[1])))
        m.close()
    return state


def parse_list_line(line):
    m = re.match(rb'\(([^)]*)\) (?:"."|NIL) (.*)$', line)
    assert m, line
    name = m.group(2)
    if name.startswith(b'"'):
        name = name[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
    return name.decode()


def quote(name):
    return '"%s"' % name.replace("\\", "\\\\").replace('"', '\\"')


def message_id(header_bytes):
    m = re.search(rb"(?im)^Message-ID:\s*(<[^>]*>)", header_bytes)
    return m.group(1).decode() if m else None


def message(msgid, subject, body="Hello.", sender="Alice Example <alice@example.org>"):
    return ("From: %s\r\nTo: Bob <bob@example.org>\r\nSubject: %s\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
            "Message-ID: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n%s\r\n"
            % (sender, subject, msgid, body)).encode()


def maildir_state(folders):
    """A local Maildir view: folders is {server folder name: local Maildir path}."""
    state = {}
    for name, path in folders.items():
        msgs = []
        for sub in ("cur", "new"):
            d = os.path.join(path, sub)
            for fn in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                with open(os.path.join(d, fn), "rb") as f:
                    head = f.read(4096).split(b"\n\n")[0].split(b"\r\n\r\n")[0]
                info = fn.split(":2,", 1)[1] if ":2," in fn else ""
                msgs.append((message_id(head), frozenset(LETTER_FLAGS[c] for c in info if c in LETTER_FLAGS)))
        state[name] = sorted(msgs, key=lambda x: (x[0], sorted(x[1])))
    return state


def local_file(folder_path, msgid):
    """The file in a local Maildir folder that holds msgid."""
    for sub in ("cur", "new"):
        for fn in os.listdir(os.path.join(folder_path, sub)):
            p = os.path.join(folder_path, sub, fn)
            with open(p, "rb") as f:
                if message_id(f.read(4096)) == msgid:
                    return p
    raise AssertionError("%s not in %s" % (msgid, folder_path))


def set_local_flags(path, letters):
    """Changes a message's flags in a local Maildir the way a MUA does: rename into cur/ with :2,FLAGS."""
    folder = os.path.dirname(os.path.dirname(path))
    base = os.path.basename(path).split(":2,", 1)[0]
    new = os.path.join(folder, "cur", base + ":2," + "".join(sorted(letters)))
    os.rename(path, new)
    return new


def make_local_folder(path, files):
    """A new local Maildir folder holding files {Message-ID: flag letters}."""
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(path, d))
    for i, (msgid, letters) in enumerate(files.items()):
        with open(os.path.join(path, "cur", "%d.local%d.e2e:2,%s" % (time.time(), i, letters)), "wb") as f:
            f.write(message(msgid, "made locally %d" % i).replace(b"\r\n", b"\n"))


def big_message(msgid):
    """A 300 KB multipart message with a base64 attachment of every byte value."""
    blob = base64.encodebytes(bytes(range(256)) * 900).decode()
    return ("From: Alice <alice@example.org>\nTo: Bob <bob@example.org>\nSubject: a big one\n"
            "Message-ID: %s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XyZ\n\n"
            "--XyZ\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
            "Gr\u00fc\u00dfe, see the attachment.\n--XyZ\nContent-Type: application/octet-stream\n"
            "Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=bytes.bin\n\n"
            "%s--XyZ--\n" % (msgid, blob)).encode("utf-8")


def server_message(acct, folder, msgid):
    """(BODY[], RFC822.SIZE, INTERNALDATE as a Unix time) of one message on the server."""
    m = acct.imap()
    try:
        m.select(quote(folder), readonly=True)
        typ, data = m.uid("FETCH", find_uid(m, msgid), "(RFC822.SIZE INTERNALDATE BODY.PEEK[])")
        assert typ == "OK", data
        size = int(re.search(rb"RFC822\.SIZE (\d+)", data[0][0]).group(1))
        date = calendar.timegm(time.gmtime(time.mktime(imaplib.Internaldate2tuple(data[0][0]))))
        return data[0][1], size, date
    finally:
        m.logout()


def mutf7(name):
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3)."""
    out, run_ = [], []

    def flush():
        if run_:
            b64 = base64.b64encode("".join(run_).encode("utf-16-be")).decode().rstrip("=").replace("/", ",")
            out.append("&" + b64 + "-")
            run_.clear()
    for c in name:
        if 0x20 <= ord(c) <= 0x7e:
            flush()
            out.append("&-" if c == "&" else c)
        else:
            run_.append(c)
    flush()
    return "".join(out)


def seed(acct):
    """The mailbox every sync test starts from: INBOX with three messages, Projects (top level) with two."""
    m = acct.imap()
    try:
        assert m.create("Projects")[0] == "OK"
        for msgid, flags in (("<in1@seed>", "(\\Seen)"), ("<in2@seed>", None), ("<in3@seed>", "(\\Flagged)")):
            typ, data = m.append("INBOX", flags, None, message(msgid, "seed " + msgid))
            assert typ == "OK", data
        for msgid, flags in (("<p1@seed>", "(\\Seen \\Answered)"), ("<p2@seed>", "(\\Flagged \\Seen)")):
            typ, data = m.append("Projects", flags, None, message(msgid, "seed " + msgid))
            assert typ == "OK", data
    finally:
        m.logout()


def find_uid(m, msgid):
    """The UID of the one message with this Message-ID in the selected mailbox (by FETCH, not
    SEARCH, so that the sync tests need no more of the server than the clients use)."""
    typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    uids = [re.search(rb"UID (\d+)", item[0]).group(1).decode() for item in data
            if isinstance(item, tuple) and message_id(item[1]) == msgid]
    assert len(uids) == 1, (msgid, data)
    return uids[0]


def on_server(acct, folder, msgid, *command):
    """Runs a UID command on one message, found by Message-ID, in a session of its own, as another
    client would (a webmail, a phone): ("STORE", "+FLAGS", "(\\Seen)"), ("MOVE", "X"), or
    ("EXPUNGE",) for STORE \\Deleted then UID EXPUNGE of that message alone."""
    m = acct.imap()
    try:
        m.select(quote(folder))
        uid = find_uid(m, msgid)
        if command == ("EXPUNGE",):
            assert m.uid("STORE", uid, "+FLAGS.SILENT", "(\\Deleted)")[0] == "OK"
            typ, data = m.uid("EXPUNGE", uid)
        else:
            typ, data = m.uid(command[0], uid, *command[1:])
        assert typ == "OK", (command, data)
        m.close()
    finally:
        m.logout()


def store(acct, folder, msgid, op, flags):
    on_server(acct, folder, msgid, "STORE", op, flags)


def assert_same(server, local, what):
    if server != local:
        lines = ["%s: server and local copy differ" % what]
        for name in sorted(set(server) | set(local)):
            s, l = server.get(name), local.get(name)
            if s != l:
                lines.append("  %s\n    server: %s\n    local:  %s" % (name, fmt(s), fmt(l)))
        raise AssertionError("\n".join(lines))
    for name, msgs in server.items():
        ids = [m[0] for m in msgs]
        assert len(ids) == len(set(ids)), "duplicates in %s: %s" % (name, ids)


def fmt(msgs):
    if msgs is None:
        return "(no folder)"
    return ", ".join("%s %s" % (i, " ".join(sorted(f))) for i, f in msgs)


def run(cmd, timeout=60, env=None, ok=True):
    r = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env)
    if ok and r.returncode != 0:
        raise AssertionError("%s exited with %d\nstdout: %s\nstderr: %s" % (
            " ".join(cmd), r.returncode, r.stdout.decode(errors="replace")[-3000:],
            r.stderr.decode(errors="replace")[-3000:]))
    return r


def wait_for(pred, secs, what):
    deadline = time.time() + secs
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out after %d s waiting for %s" % (secs, what))


class Background:
    """A client program in the background, in its own process group, stopped by that group's id."""

    def __init__(self, cmd, work, env=None):
        self.log_path = os.path.join(work, os.path.basename(cmd[0]) + ".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True)

    def alive(self):
        return self.proc.poll() is None

    def output(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self, grace=10):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


def server_has(srv, capability):
    m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
    try:
        return capability in m.capabilities
    finally:
        m.logout()


# ---------------------------------------------------------------------------------------------
# mbsync (isync)

def test_mbsync_two_way_sync(srv, work):
    acct = ACCOUNTS["mbsync"]
    seed(acct)
    doomed = acct.deliver("expunged on the server after the first sync")
    local = os.path.join(work, "mbsync-mail")
    os.makedirs(local)
    rc = os.path.join(work, "mbsyncrc")
    with open(rc, "w") as f:
        f.write("""IMAPAccount posthorn
Host 127.0.0.1
Port %d
User %s
Pass "%s"
SSLType None
AuthMechs LOGIN
Timeout 20

IMAPStore remote
Account posthorn

MaildirStore local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel posthorn
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
Remove None
Sync All
SyncState *
CopyArrivalDate yes
""" % (srv.port, acct.name, acct.password, local, local))

    def local_folders():
        # mbsync takes the server's personal namespace (empty by default) as its Path: top-level X is local X.
        folders = {}
        for d, subdirs, _ in os.walk(local):
            rel = os.path.relpath(d, local)
            if "cur" in subdirs and rel != ".":
                folders["INBOX" if rel == "INBOX" else rel.replace(os.sep, ".")] = d
        return folders

    def sync():
        r = run(["mbsync", "-c", rc, "-a"])
        assert b"Error" not in r.stderr, r.stderr

    sync()
    first = acct.state()
    assert any(i == doomed for i, _ in first["INBOX"]), first
    assert sorted(first) == ["INBOX", "Projects"], first
    assert_same(first, maildir_state(local_folders()), "after the first sync")

    # Both sides change: flags here and there, a local deletion, an outside delivery into the
    # server's Maildir, a folder made locally and one made on the server.
    set_local_flags(local_file(os.path.join(local, "INBOX"), "<in2@seed>"), "FS")
    set_local_flags(local_file(os.path.join(local, "Projects"), "<p1@seed>"), "RST")
    store(acct, "INBOX", "<in1@seed>", "+FLAGS", "(\\Answered)")
    store(acct, "Projects", "<p2@seed>", "-FLAGS", "(\\Flagged)")
    on_server(acct, "INBOX", "<in3@seed>", "MOVE", "Projects")  # filed by another client
    on_server(acct, "INBOX", doomed, "EXPUNGE")
    outside = acct.deliver("outside between syncs")
    make_local_folder(os.path.join(local, "Local"), {"<l1@local>": "S", "<l2@local>": "F"})
    big = os.path.join(local, "Local", "cur", "%d.big.e2e:2,S" % time.time())
    with open(big, "wb") as f:
        f.write(big_message("<big@local>"))
    arrived = calendar.timegm((2025, 3, 1, 12, 34, 56))
    os.utime(big, (arrived, arrived))  # CopyArrivalDate: mbsync sends the file's mtime as APPEND's date
    os.makedirs(os.path.join(local, "Local", "Deeper"))  # SubFolders Verbatim: Local/Deeper is Local.Deeper
    make_local_folder(os.path.join(local, "Local", "Deeper", "Sub"), {"<l3@local>": "RS"})
    m = acct.imap()
    assert m.create("Remote")[0] == "OK"
    assert m.append("Remote", "(\\Seen)", None, message("<r1@remote>", "made remotely"))[0] == "OK"
    m.logout()

    sync()
    after = acct.state()
    assert_same(after, maildir_state(local_folders()), "after the second sync")
    want = {
        "INBOX": [("<in1@seed>", {"\\Seen", "\\Answered"}), ("<in2@seed>", {"\\Flagged", "\\Seen"}),
                  (outside, set())],
        # p1 was deleted locally and expunged; in3 was moved here on the server
        "Projects": [("<p2@seed>", {"\\Seen"}), ("<in3@seed>", {"\\Flagged"})],
        "Local": [("<l1@local>", {"\\Seen"}), ("<l2@local>", {"\\Flagged"}), ("<big@local>", {"\\Seen"})],
        "Local.Deeper.Sub": [("<l3@local>", {"\\Answered", "\\Seen"})],
        "Remote": [("<r1@remote>", {"\\Seen"})],
    }
    got = {k: sorted((i, set(f)) for i, f in v) for k, v in after.items()}
    want = {k: sorted(v) for k, v in want.items()}
    assert got == want, "server after the second sync:\n%s\nwanted:\n%s" % (got, want)

    # The big message arrived byte for byte (the server keeps it with CRLF line ends), with its size
    # and the arrival date mbsync gave; and the outside delivery came down with its INTERNALDATE.
    with open(local_file(os.path.join(local, "Local"), "<big@local>"), "rb") as f:  # mbsync renamed it (,U=)
        sent = f.read()
    body, size, date = server_message(acct, "Local", "<big@local>")
    assert size == len(body), (size, len(body))
    body = re.sub(rb"(?m)^X-TUID: [^\r\n]*\r\n", b"", body, count=1)  # mbsync tags what it uploads
    assert body == sent.replace(b"\n", b"\r\n"), "the big message changed on its way (%d bytes sent, %d on the server)" % (
        len(sent), len(body))
    assert date == arrived, "INTERNALDATE %s, APPEND said %s" % (time.ctime(date), time.ctime(arrived))
    _, _, date = server_message(acct, "INBOX", outside)
    mtime = os.stat(local_file(os.path.join(local, "INBOX"), outside)).st_mtime
    assert abs(mtime - date) <= 1, "local arrival time %s, INTERNALDATE %s" % (time.ctime(mtime), time.ctime(date))

    # A third sync with nothing changed changes nothing and copies nothing twice.
    sync()
    assert acct.state() == after, "a sync with no changes changed the server"
    assert_same(after, maildir_state(local_folders()), "after the third sync")


# ---------------------------------------------------------------------------------------------
# offlineimap (offlineimap3)

def offlineimap_rc(acct, work, extra_account="", extra_remote=""):
    local = os.path.join(work, "offlineimap-mail")
    meta = os.path.join(work, "offlineimap-meta")
    os.makedirs(local, exist_ok=True)
    os.makedirs(meta, exist_ok=True)
    rc = os.path.join(work, "offlineimaprc")
    with open(rc, "w") as f:
        f.write("""[general]
accounts = posthorn
metadata = %s
ui = quiet

[Account posthorn]
localrepository = local
remoterepository = remote
%s

[Repository local]
type = Maildir
localfolders = %s

[Repository remote]
type = IMAP
remotehost = 127.0.0.1
remoteport = %d
remoteuser = %s
remotepass = %s
ssl = no
starttls = no
%s
""" % (meta, extra_account, local, acct.srv.port, acct.name, acct.password, extra_remote))
    return rc, local


def offlineimap_folders(local):
    # offlineimap keeps the server's names, with "." as the local separator too, in UTF-8
    # (utf8foldernames) where the server has modified UTF-7.
    return {mutf7(d): os.path.join(local, d) for d in sorted(os.listdir(local))
            if os.path.isdir(os.path.join(local, d, "cur"))}


def test_offlineimap_two_way_sync(srv, work):
    acct = ACCOUNTS["offlineimap"]
    seed(acct)
    doomed = acct.deliver("expunged on the server after the first sync")
    rc, local = offlineimap_rc(acct, work, "utf8foldernames = yes\n")

    def sync():
        r = run(["offlineimap", "-c", rc, "-o", "-u", "quiet"])
        assert b"ERROR" not in r.stdout + r.stderr, (r.stdout + r.stderr).decode(errors="replace")

    sync()
    first = acct.state()
    assert any(i == doomed for i, _ in first["INBOX"]), first
    assert sorted(first) == ["INBOX", "Projects"], first
    assert_same(first, maildir_state(offlineimap_folders(local)), "after the first sync")

    set_local_flags(local_file(os.path.join(local, "INBOX"), "<in2@seed>"), "RS")
    os.unlink(local_file(os.path.join(local, "INBOX"), "<in3@seed>"))  # deleted locally
    store(acct, "INBOX", "<in1@seed>", "+FLAGS", "(\\Flagged)")
    store(acct, "Projects", "<p1@seed>", "-FLAGS", "(\\Seen)")
    on_server(acct, "Projects", "<p2@seed>", "MOVE", "INBOX")  # filed by another client
    on_server(acct, "Projects", "<p1@seed>", "STORE", "+FLAGS", "(\\Answered)")
    on_server(acct, "INBOX", doomed, "EXPUNGE")
    outside = acct.deliver("outside between syncs")
    inside = acct.deliver("outside into a folder", folder="Projects")
    make_local_folder(os.path.join(local, "Local"), {"<l1@local>": "FS"})
    make_local_folder(os.path.join(local, "Ärger & Öl"), {"<l2@local>": "S"})
    m = acct.imap()
    assert m.create("Remote")[0] == "OK"
    assert m.append("Remote", "(\\Seen \\Flagged)", None, message("<r1@remote>", "made remotely"))[0] == "OK"
    assert m.create(quote(mutf7("Bücher")))[0] == "OK"
    assert m.append(quote(mutf7("Bücher")), None, None, message("<r2@remote>", "in a folder with an umlaut"))[0] == "OK"
    m.logout()

    sync()
    # offlineimap creates a folder on the other side in the run that finds it, and fills it in the
    # next; a second run settles everything, as offlineimap's own documentation says.
    sync()
    after = acct.state()
    assert_same(after, maildir_state(offlineimap_folders(local)), "after the second sync")
    want = {
        "INBOX": [("<in1@seed>", {"\\Seen", "\\Flagged"}), ("<in2@seed>", {"\\Answered", "\\Seen"}),
                  ("<p2@seed>", {"\\Flagged", "\\Seen"}), (outside, set())],
        "Projects": [("<p1@seed>", {"\\Answered"}), (inside, set())],
        "Local": [("<l1@local>", {"\\Flagged", "\\Seen"})],
        "&AMQ-rger &- &ANY-l": [("<l2@local>", {"\\Seen"})],
        "B&APw-cher": [("<r2@remote>", set())],
        "Remote": [("<r1@remote>", {"\\Flagged", "\\Seen"})],
    }
    got = {k: sorted((i, set(f)) for i, f in v) for k, v in after.items()}
    want = {k: sorted(v) for k, v in want.items()}
    assert got == want, "server after the second sync:\n%s\nwanted:\n%s" % (got, want)
    sync()
    assert acct.state() == after, "a sync with no changes changed the server"


def offlineimap_idling(trace):
    """Whether offlineimap's last command was IDLE and the server has answered it with '+'."""
    cmds = re.findall(r"writer > b'\w+ ([A-Z]+)", trace)
    return bool(cmds) and cmds[-1] == "IDLE" and trace.count("(__idle) continuation => True") == cmds.count("IDLE")


def test_offlineimap_idle_sees_outside_delivery(srv, work):
    """offlineimap's idlefolders: besides its sync runs it holds a session in IDLE on INBOX and syncs
    that folder when the server says EXISTS; an outside delivery must reach the local Maildir long
    before the next autorefresh (5 minutes)."""
    assert server_has(srv, "IDLE"), "the server does not advertise IDLE"
    acct = ACCOUNTS["offlineidle"]
    seed(acct)
    rc, local = offlineimap_rc(acct, work, "autorefresh = 5\nquick = 0\n", "idlefolders = ['INBOX']\n")
    # -d imap: imaplib2's protocol trace, to see when its IDLE thread is waiting.
    client = Background(["offlineimap", "-c", rc, "-u", "basic", "-d", "imap"], work)
    try:
        inbox = os.path.join(local, "INBOX")
        wait_for(lambda: os.path.isdir(inbox) and len(maildir_state({"INBOX": inbox})["INBOX"]) == 3, 30,
                 "offlineimap's first sync")
        wait_for(lambda: re.search(r"\(__idle\) continuation => True", client.output()), 15,
                 "offlineimap's IDLE thread to be told '+' (idling)")
        start = time.time()
        msgid = acct.deliver("delivered while offlineimap idles")
        wait_for(lambda: any(i == msgid for i, _ in maildir_state({"INBOX": inbox})["INBOX"]), 20,
                 "offlineimap to fetch the delivery it was told of in IDLE")
        LATENCIES.append(("offlineimap (idlefolders)", time.time() - start))
        # A burst of deliveries while it syncs and idles again: each arrives once. offlineimap only
        # acts on EXISTS seen during IDLE, not on the count its SELECT before IDLE reports, so what
        # lands between its sync and its next IDLE waits for the next change (its own race, not the
        # server's): when it is idle with messages missing, one more delivery wakes it.
        burst = [acct.deliver("burst %d" % i) for i in range(20)]
        deadline = time.time() + 30
        while not set(burst) <= {i for i, _ in maildir_state({"INBOX": inbox})["INBOX"]}:
            assert time.time() < deadline, "offlineimap did not fetch a burst of 20 deliveries in 30 s"
            if offlineimap_idling(client.output()):
                time.sleep(0.5)
                if offlineimap_idling(client.output()) and not set(burst) <= {
                        i for i, _ in maildir_state({"INBOX": inbox})["INBOX"]}:
                    burst.append(acct.deliver("wake-up"))
            time.sleep(0.1)
        time.sleep(0.5)
        assert_same({"INBOX": acct.state()["INBOX"]}, maildir_state({"INBOX": inbox}), "after the burst")
        assert client.alive(), client.output()[-3000:]
        assert "ERROR" not in client.output(), client.output()[-3000:]
    finally:
        # offlineimap on SIGTERM waits for its IDLE thread to end (up to its keepalive): no need.
        client.stop(grace=1)


# ---------------------------------------------------------------------------------------------
# fetchmail

def fetchmail_rc(acct, work, options):
    out = os.path.join(work, "fetchmail-out")
    os.makedirs(out, exist_ok=True)
    mda = os.path.join(work, "fetchmail-mda")
    with open(mda, "w") as f:
        # A Maildir delivery as the MDA: tmp/ then rename into new/.
        f.write('#!/bin/sh\nset -e\nn=$(date +%%s%%N).$$\ncat > "%s/.tmp.$n"\nmv "%s/.tmp.$n" "%s/$n.eml"\n'
                % (out, out, out))
    os.chmod(mda, 0o755)
    rc = os.path.join(work, "fetchmailrc")
    with open(rc, "w") as f:
        # sslproto '' keeps fetchmail from trying STARTTLS on its own (loopback, plaintext by intent).
        f.write('set no syslog\nset no bouncemail\n'
                'poll 127.0.0.1 service %d protocol IMAP auth password timeout 20\n'
                '  user "%s" there with password "%s" is "%s" here\n'
                '  %s mda "%s" sslproto \'\'\n'
                % (acct.srv.port, acct.name, acct.password, getpass.getuser(), options, mda))
    os.chmod(rc, 0o600)
    env = dict(os.environ, FETCHMAILHOME=work, HOME=work)
    return rc, out, env


def fetched(out):
    ids = []
    for fn in sorted(os.listdir(out)):
        if fn.endswith(".eml"):
            with open(os.path.join(out, fn), "rb") as f:
                ids.append(message_id(f.read()))
    return ids


def test_fetchmail_keep_then_delete(srv, work):
    acct = ACCOUNTS["fetchmail"]
    seed(acct)
    # fetchmail takes only unseen messages (it asks the server with SEARCH UNSEEN): in2 and in3.
    rc, out, env = fetchmail_rc(acct, work, "keep")
    r = run(["fetchmail", "-f", rc, "-v"], env=env)
    assert sorted(fetched(out)) == ["<in2@seed>", "<in3@seed>"], (fetched(out), r.stdout[-2000:])
    with open(glob.glob(os.path.join(out, "*.eml"))[0], "rb") as f:
        text = f.read()
    assert b"Received: from 127.0.0.1" in text and b"Subject: seed" in text, text[:800]
    st = acct.state()["INBOX"]
    assert all("\\Seen" in f for _, f in st) and len(st) == 3, st  # kept, now \Seen
    assert ("<in3@seed>", frozenset({"\\Flagged", "\\Seen"})) in st, st  # other flags untouched

    # Nothing new: a second run fetches nothing. Then an outside delivery, fetched and deleted
    # (no keep): \Deleted and EXPUNGE, while the messages seen before stay.
    r = run(["fetchmail", "-f", rc], env=env, ok=False)
    assert r.returncode == 1, "fetchmail with no new mail should exit 1 (no mail): %s" % r  # 1 = no mail
    assert len(fetched(out)) == 2, fetched(out)
    msgid = acct.deliver("for fetchmail")
    rc, out, env = fetchmail_rc(acct, work, "nokeep")
    r = run(["fetchmail", "-f", rc, "-v"], env=env)
    assert fetched(out)[2:] == [msgid], fetched(out)
    text = r.stdout.decode(errors="replace")
    assert re.search(r"IMAP> A\d+ STORE \d+ \+FLAGS \(\\Seen \\Deleted\)", text), text[-3000:]
    assert re.search(r"IMAP> A\d+ EXPUNGE", text), text[-3000:]
    assert [i for i, _ in acct.state()["INBOX"]] == ["<in1@seed>", "<in2@seed>", "<in3@seed>"], acct.state()

    # fetchall without keep: everything is fetched once and the folder is empty afterwards.
    rc, out, env = fetchmail_rc(acct, work, "nokeep fetchall folder Projects")
    run(["fetchmail", "-f", rc], env=env)
    assert sorted(fetched(out)[3:]) == ["<p1@seed>", "<p2@seed>"], fetched(out)
    assert acct.state()["Projects"] == [], acct.state()


def test_fetchmail_idle_sees_outside_delivery(srv, work):
    assert server_has(srv, "IDLE"), "the server does not advertise IDLE"
    acct = ACCOUNTS["fetchidle"]
    rc, out, env = fetchmail_rc(acct, work, "keep idle")
    # -d: daemon mode (needed for idle) but -N keeps it in the foreground, our child.
    client = Background(["fetchmail", "-N", "-d", "300", "-v", "-f", rc, "--pidfile",
                         os.path.join(work, "fetchmail.pid")], work, env=env)
    try:
        wait_for(lambda: re.search(r"IMAP> A\d+ IDLE\n(?:.*\n)*?fetchmail: IMAP< \+ ", client.output()), 20,
                 "fetchmail to send IDLE and the server to answer '+'")
        start = time.time()
        msgid = acct.deliver("delivered while fetchmail idles")
        wait_for(lambda: msgid in fetched(out), 20, "fetchmail to fetch the delivery it was told of in IDLE")
        LATENCIES.append(("fetchmail --idle", time.time() - start))
        # fetchmail goes back to IDLE afterwards: a second delivery is fetched too.
        wait_for(lambda: len(re.findall(r"IMAP> A\d+ IDLE\n(?:.*\n)*?fetchmail: IMAP< \+ ", client.output())) >= 2,
                 10, "fetchmail's next IDLE")
        second = acct.deliver("second while fetchmail idles")
        wait_for(lambda: second in fetched(out), 20, "fetchmail to fetch a second delivery in IDLE")
        assert fetched(out) == [msgid, second], fetched(out)
        # A burst while it fetches and idles again: each message fetched once, all \Seen after.
        burst = [acct.deliver("burst %d" % i) for i in range(20)]
        wait_for(lambda: set(burst) <= set(fetched(out)), 30, "fetchmail to fetch a burst of 20 deliveries")
        time.sleep(0.5)
        assert sorted(fetched(out)) == sorted([msgid, second] + burst), fetched(out)
        st = acct.state()["INBOX"]
        assert len(st) == 22 and all("\\Seen" in f for _, f in st), st
        assert client.alive(), client.output()[-3000:]
    finally:
        client.stop()


# ---------------------------------------------------------------------------------------------
# Jakarta Mail (angus-mail), a Java program run from source against the jars in the local
# Maven repository (the build downloads them for integration-tests).

def jakarta_classpath():
    repo = os.path.expanduser("~/.m2/repository")
    with open(os.path.join(TOP, "pom.xml")) as f:
        pom = f.read()
    angus = re.search(r"<angus.mail.version>([^<]+)<", pom).group(1)

    def managed(artifact):
        return re.search(r"<artifactId>%s</artifactId><version>([^<]+)<" % re.escape(artifact), pom).group(1)

    jars = [os.path.join(repo, "org/eclipse/angus/angus-mail", angus, "angus-mail-%s.jar" % angus),
            os.path.join(repo, "jakarta/mail/jakarta.mail-api", managed("jakarta.mail-api"),
                         "jakarta.mail-api-%s.jar" % managed("jakarta.mail-api")),
            os.path.join(repo, "jakarta/activation/jakarta.activation-api", managed("jakarta.activation-api"),
                         "jakarta.activation-api-%s.jar" % managed("jakarta.activation-api"))]
    # angus-activation comes with angus-mail (runtime scope); whichever version Maven picked.
    activation = sorted(glob.glob(os.path.join(repo, "org/eclipse/angus/angus-activation/*/angus-activation-*.jar")))
    jars += activation[-1:]
    missing = [j for j in jars if not os.path.isfile(j)]
    assert not missing, "Jakarta Mail jars missing (mvn install of integration-tests downloads them): %s" % missing
    return ":".join(jars)


def java_binary():
    home = os.environ.get("JAVA_HOME")
    for c in ([home] if home else []) + sorted(glob.glob("/usr/lib/jvm/*"), reverse=True):
        if c and os.access(os.path.join(c, "bin", "java"), os.X_OK):
            return os.path.join(c, "bin", "java")
    return "java"


def test_jakarta_mail(srv, work):
    acct = ACCOUNTS["jakarta"]
    seed(acct)
    cmd = [java_binary(), "-cp", jakarta_classpath(), os.path.join(HERE, "JakartaMailSync.java"),
           "127.0.0.1", str(srv.port), acct.name, acct.password, acct.maildir]
    r = subprocess.run(cmd, capture_output=True, timeout=90)
    out = r.stdout.decode(errors="replace")
    print("\n".join("    " + l for l in out.splitlines()), flush=True)
    assert r.returncode == 0, "JakartaMailSync failed:\n%s\n%s" % (out[-4000:], r.stderr.decode(errors="replace")[-4000:])
    m = re.search(r"^LATENCY idle ([\d.]+)$", out, re.M)
    assert m, out
    LATENCIES.append(("Jakarta Mail IMAPFolder.idle()", float(m.group(1))))
    # What the program left on the server, seen through another client.
    st = acct.state()
    assert [i for i, _ in st["Jakarta"]] == ["<j1@jakarta>"], st
    assert st["Jakarta"][0][1] == frozenset({"\\Seen", "\\Flagged", "$Work"}), st


# ---------------------------------------------------------------------------------------------
# Python imaplib, with a raw socket for IDLE (imaplib has none before Python 3.14)

def test_imaplib_folders_flags_append_search(srv, work):
    acct = ACCOUNTS["imaplib"]
    seed(acct)
    m = acct.imap()
    assert m.create("Py")[0] == "OK"
    assert m.create("Py.Deep")[0] == "OK"
    typ, boxes = m.list('""', "Py*")
    names = sorted(parse_list_line(b) for b in boxes)
    assert names == ["Py", "Py.Deep"], boxes
    assert any(b"\\HasChildren" in b and b.endswith(b"Py") for b in boxes), boxes

    date = imaplib.Time2Internaldate(time.mktime((2026, 11, 20, 12, 0, 0, 0, 0, -1)))
    big = message("<py2@py>", "Quarterly report", "figures " * 400, sender="Carol <carol@example.net>")
    for msg, flags in ((message("<py1@py>", "Lunch on Friday?", "Shall we meet at noon?"), "(\\Seen $Lunch)"),
                       (big, "(\\Flagged)"),
                       (message("<py3@py>", "Re: Lunch on Friday?", "Yes, noon."), "()")):
        typ, data = m.append("Py", flags, date, msg)
        assert typ == "OK" and b"APPENDUID" in data[0], data
    typ, data = m.select("Py")
    assert typ == "OK" and data == [b"3"], data

    def search(*criteria):
        typ, data = m.search(None, *criteria)
        assert typ == "OK", (criteria, data)
        return [int(x) for x in data[0].split()]

    assert search("ALL") == [1, 2, 3]
    assert search("SUBJECT", '"lunch on friday"') == [1, 3], "SUBJECT is a case-insensitive substring"
    assert search("FROM", "carol") == [2]
    assert search("BODY", "noon") == [1, 3]
    assert search("TEXT", "figures") == [2]
    assert search("HEADER", "Message-ID", "<py3@py>") == [3]
    assert search("FLAGGED") == [2]
    assert search("UNSEEN") == [2, 3]
    assert search("KEYWORD", "$Lunch") == [1]
    assert search("LARGER", "2000") == [2]
    assert search("NOT", "SEEN", "NOT", "FLAGGED") == [3]
    assert search("OR", "FLAGGED", "KEYWORD", "$Lunch") == [1, 2]
    assert search("ON", "20-Nov-2026") == [1, 2, 3] and search("SINCE", "21-Nov-2026") == []
    assert search("SENTON", "24-Nov-2026") == [1, 2, 3]
    typ, data = m.uid("SEARCH", None, "SUBJECT", "Re:")
    assert typ == "OK" and data[0].split() == [b"3"], data

    # Flags: add, remove, replace, keywords, .SILENT; then SEARCH sees the changes.
    assert m.store("3", "+FLAGS", "(\\Answered $Work)")[0] == "OK"
    assert m.store("1", "-FLAGS", "(\\Seen)")[0] == "OK"
    assert m.store("2", "FLAGS.SILENT", "(\\Seen \\Draft)") == ("OK", [None])
    typ, data = m.fetch("1:3", "(FLAGS)")
    flags = [set(re.search(rb"FLAGS \(([^)]*)\)", d).group(1).decode().split()) for d in data]
    # Appended before this session selected the folder: \Recent here (RFC 3501 6.3.11).
    assert flags == [{"$Lunch", "\\Recent"}, {"\\Seen", "\\Draft", "\\Recent"},
                     {"\\Answered", "$Work", "\\Recent"}], flags
    assert search("UNSEEN") == [1, 3] and search("KEYWORD", "$Work") == [3] and search("DRAFT") == [2]

    # ENVELOPE: what a client shows in its message list.
    typ, data = m.fetch("2", "(ENVELOPE)")
    assert typ == "OK" and b'"Quarterly report"' in data[0] and b'(("Carol" NIL "carol" "example.net"))' in data[0], data

    # COPY into the child folder, MOVE back, and the outside delivery STATUS reports.
    assert m.copy("1:2", "Py.Deep")[0] == "OK"
    typ, data = m.status("Py.Deep", "(MESSAGES UNSEEN)")
    assert b"MESSAGES 2" in data[0] and b"UNSEEN 1" in data[0], data
    acct.deliver("outside into a folder", folder="Py.Deep")
    typ, data = m.status("Py.Deep", "(MESSAGES UNSEEN)")
    assert b"MESSAGES 3" in data[0] and b"UNSEEN 2" in data[0], data
    m.close()
    m.logout()


class RawIdle:
    """A session that selects a mailbox and waits in IDLE over a raw socket, reading what comes."""

    def __init__(self, acct, mailbox="INBOX"):
        self.sock = socket.create_connection(("127.0.0.1", acct.srv.port), timeout=20)
        self.f = self.sock.makefile("rwb")
        assert self.f.readline().startswith(b"* OK")
        self.cmd(b"l LOGIN %s %s" % (acct.name.encode(), acct.password.encode()))
        self.selected = self.cmd(b"s SELECT " + mailbox.encode())

    def cmd(self, line):
        self.f.write(line + b"\r\n")
        self.f.flush()
        tag = line.split(b" ", 1)[0] + b" "
        lines = []
        while True:
            l = self.f.readline()
            assert l, "connection closed after %r: %r" % (line, lines)
            lines.append(l)
            if l.startswith(tag):
                assert l.startswith(tag + b"OK"), lines
                return lines

    def idle(self):
        self.f.write(b"i IDLE\r\n")
        self.f.flush()
        l = self.f.readline()
        assert l.startswith(b"+ "), "IDLE answered %r" % l

    def expect(self, pattern, secs=10):
        """Reads untagged responses until one matches pattern; returns (match, seconds waited)."""
        start = time.time()
        self.sock.settimeout(secs)
        seen = []
        while True:
            try:
                l = self.f.readline()
            except socket.timeout:
                raise AssertionError("no %r within %d s in IDLE; got %r" % (pattern, secs, seen))
            assert l, "connection closed in IDLE; got %r" % seen
            seen.append(l)
            m = re.match(pattern, l)
            if m:
                return m, time.time() - start

    def done(self):
        self.f.write(b"DONE\r\n")
        self.f.flush()
        self.sock.settimeout(10)
        while True:
            l = self.f.readline()
            assert l, "connection closed after DONE"
            if l.startswith(b"i "):
                assert l.startswith(b"i OK"), l
                return

    def close(self):
        try:
            self.f.write(b"z LOGOUT\r\n")
            self.f.flush()
        except OSError:
            pass
        self.sock.close()


def test_raw_idle_sees_outside_delivery_and_other_sessions(srv, work):
    acct = ACCOUNTS["idler"]
    seed(acct)
    assert server_has(srv, "IDLE"), "the server does not advertise IDLE"
    watcher = RawIdle(acct)
    other = acct.imap()
    try:
        assert any(l == b"* 3 EXISTS\r\n" for l in watcher.selected), watcher.selected
        watcher.idle()
        start = time.time()
        acct.deliver("delivered during IDLE")
        watcher.expect(rb"\* 4 EXISTS\r\n")
        LATENCIES.append(("raw socket IDLE (outside delivery)", time.time() - start))

        # Another session's changes: a flag change, an APPEND, an expunge.
        other.select("INBOX")
        other.store("2", "+FLAGS", "(\\Flagged)")
        m, _ = watcher.expect(rb"\* 2 FETCH \(.*FLAGS \(([^)]*)\)")
        assert b"\\Flagged" in m.group(1), m.group(0)
        start = time.time()
        other.append("INBOX", None, None, message("<appended@other>", "appended by another session"))
        watcher.expect(rb"\* 5 EXISTS\r\n")
        LATENCIES.append(("raw socket IDLE (APPEND by another session)", time.time() - start))
        other.store("1", "+FLAGS.SILENT", "(\\Deleted)")
        other.expunge()
        watcher.expect(rb"\* 1 EXPUNGE\r\n")
        # Changes made to the Maildir from outside, as a Courier webmail, maildrop or a clean-up
        # job makes them: a flag changed by renaming the file, a message removed.
        path = local_file(acct.maildir, "<in3@seed>")  # now message 2, \Flagged
        set_local_flags(path, "FS")
        m, _ = watcher.expect(rb"\* 2 FETCH \(.*FLAGS \(([^)]*)\)")
        # Appended before this session selected INBOX, so \Recent here (RFC 3501 6.3.11).
        assert set(m.group(1).split()) == {b"\\Flagged", b"\\Seen", b"\\Recent"}, m.group(0)
        os.unlink(local_file(acct.maildir, "<appended@other>"))  # message 4
        watcher.expect(rb"\* 4 EXPUNGE\r\n")
        watcher.done()
        # After IDLE the session's view agrees with the server: three messages, the delivery at 3.
        lines = watcher.cmd(b"f FETCH 1:* (UID FLAGS)")
        fetches = [l for l in lines if l.startswith(b"* ")]
        assert len(fetches) == 3, lines
        assert re.match(rb"\* 1 FETCH .*\\Flagged", fetches[0]), fetches  # in2, flagged by the other session
        assert re.match(rb"\* 3 FETCH \(UID 4 ", fetches[2]), fetches  # the outside delivery
    finally:
        watcher.close()
        other.logout()


# ---------------------------------------------------------------------------------------------
# curl

def test_curl_folders_flags_append_search(srv, work):
    acct = ACCOUNTS["curl"]
    seed(acct)
    base = "imap://127.0.0.1:%d/" % srv.port

    def curl(url, *args, ok=True):
        r = run(["curl", "-sS", "--max-time", "20", "-u", "%s:%s" % (acct.name, acct.password)]
                + list(args) + [base + url], ok=ok)
        return r.stdout.decode(errors="replace")

    listing = curl("")
    assert "Projects" in listing and "INBOX" in listing, listing
    curl("", "-X", "CREATE Curl")
    assert "Curl" in curl(""), curl("")
    eml = os.path.join(work, "curl.eml")
    for i, subject in enumerate(("Uploaded by curl", "Another upload")):
        with open(eml, "wb") as f:
            f.write(message("<curl%d@curl>" % i, subject, "Sent with curl -T."))
        curl("Curl", "-T", eml)  # APPEND
    assert re.search(r"\* SEARCH 1\s*$", curl("Curl", "-X", 'SEARCH SUBJECT "uploaded"')), "SEARCH"
    assert re.search(r"\* SEARCH 1 2\s*$", curl("Curl?ALL")), "the URL form of SEARCH"
    # curl uploads with APPEND ... (\Seen); flags changed by STORE, then found by SEARCH.
    curl("Curl", "-X", "STORE 1 -FLAGS (\\Seen)")
    curl("Curl", "-X", "STORE 2 +FLAGS (\\Flagged)")
    out = curl("Curl", "-X", "FETCH 1:2 (FLAGS)")
    assert re.search(r"\* 1 FETCH \(FLAGS \(\)\)", out) and (
        re.search(r"\* 2 FETCH \(FLAGS \(\\Flagged \\Seen\)\)", out)
        or re.search(r"\* 2 FETCH \(FLAGS \(\\Seen \\Flagged\)\)", out)), out
    assert re.search(r"\* SEARCH 2\s*$", curl("Curl", "-X", "SEARCH FLAGGED")), "SEARCH FLAGGED"
    assert re.search(r"\* SEARCH 1\s*$", curl("Curl?UNSEEN")), "SEARCH UNSEEN (URL form)"
    body = curl("Curl;UID=1")
    assert "Subject: Uploaded by curl" in body and "Sent with curl -T." in body, body
    # Reading with curl (BODY[], not PEEK) sets \Seen on the message it read.
    assert "\\Seen" in curl("Curl", "-X", "FETCH 1 (FLAGS)")
    # An outside delivery, then STATUS and the fetch of the new UID.
    msgid = acct.deliver("outside for curl", folder="Curl")
    out = curl("", "-X", "STATUS Curl (MESSAGES UNSEEN UIDNEXT)")
    assert "MESSAGES 3" in out and "UNSEEN 1" in out and "UIDNEXT 4" in out, out
    assert msgid in curl("Curl;UID=3;SECTION=HEADER")
    curl("", "-X", "DELETE Curl")
    assert "Curl" not in curl("")


# ---------------------------------------------------------------------------------------------
# TLS: the clients verify the server's self-signed certificate (made on first start, with
# localhost and 127.0.0.1 in its subjectAltName) against the PEM file itself, over IMAPS and
# STARTTLS, as a user who copies the certificate to a client does.

def tls_port(srv):
    with open(os.path.join(srv.conf, "imapd.cfg")) as f:
        return int(re.search(r"(?m)^tls\.port=(\d+)", f.read()).group(1))


def test_tls_clients_verify_the_certificate(srv, work):
    acct = ACCOUNTS["tls"]
    seed(acct)
    cert = os.path.join(srv.var, "tls", "cert.pem")
    assert os.path.isfile(cert), "no self-signed certificate at " + cert
    imaps = tls_port(srv)

    # mbsync over IMAPS and over STARTTLS, certificate checked (CertificateFile).
    for mode, port in (("IMAPS", imaps), ("STARTTLS", srv.port)):
        local = os.path.join(work, "mbsync-" + mode)
        os.makedirs(local)
        rc = os.path.join(work, "mbsyncrc-" + mode)
        with open(rc, "w") as f:
            f.write("IMAPAccount a\nHost 127.0.0.1\nPort %d\nUser %s\nPass \"%s\"\nSSLType %s\n"
                    "CertificateFile %s\nTimeout 20\n\nIMAPStore r\nAccount a\n\n"
                    "MaildirStore l\nPath %s/\nInbox %s/INBOX\nSubFolders Verbatim\n\n"
                    "Channel c\nFar :r:\nNear :l:\nPatterns *\nCreate Near\nSync Pull\nSyncState *\n"
                    % (port, acct.name, acct.password, mode, cert, local, local))
        r = run(["mbsync", "-c", rc, "-a"])
        assert b"Warning" not in r.stderr, r.stderr  # mbsync warns when a password goes in the clear
        got = maildir_state({"INBOX": os.path.join(local, "INBOX"), "Projects": os.path.join(local, "Projects")})
        assert_same(acct.state(), got, "mbsync over " + mode)
    log = srv.stderr()
    assert re.search(r"TLS TLSv1\.[23] ", log), "the server logged no TLS handshake"

    # fetchmail over IMAPS (ssl) and STARTTLS (sslproto on the plain port), sslcertck on.
    for options, port in (("ssl", imaps), ("sslproto 'tls1.2+'", srv.port)):
        # fetchmail 6.4 matches DNS names only, not the certificate's IP address: sslcommonname.
        rc, out, env = fetchmail_rc(acct, work, "keep fetchall %s sslcertck sslcertfile '%s' sslcommonname localhost"
                                    % (options, cert))
        with open(rc) as f:
            text = f.read().replace(" sslproto ''", "").replace("service %d " % srv.port, "service %d " % port)
        with open(rc, "w") as f:
            f.write(text)
        before = len(fetched(out))
        r = run(["fetchmail", "-f", rc, "-v"], env=env)
        text = r.stdout.decode(errors="replace")
        assert len(fetched(out)) == before + 3, (options, fetched(out), text[-2000:])
        assert "Server certificate verification error" not in text and "SSL connection failed" not in text, text[-3000:]
        assert ("STARTTLS" in text) == (port == srv.port), text[-3000:]

    # curl, both ways, checking the certificate; and a client that does not trust it is refused.
    for url, extra in (("imaps://127.0.0.1:%d/INBOX;UID=1" % imaps, []),
                       ("imap://127.0.0.1:%d/INBOX;UID=1" % srv.port, ["--ssl-reqd"])):
        r = run(["curl", "-sS", "--max-time", "20", "--cacert", cert, "-u", "%s:%s" % (acct.name, acct.password)]
                + extra + [url])
        assert b"Message-ID: <in1@seed>" in r.stdout, r.stdout[:500]
    r = run(["curl", "-sS", "--max-time", "20", "--cacert", "/etc/ssl/certs/ca-certificates.crt",
             "-u", "%s:%s" % (acct.name, acct.password), "imaps://127.0.0.1:%d/INBOX" % imaps], ok=False)
    assert r.returncode == 60, "curl accepted a certificate no CA signed (exit %d)" % r.returncode


# ---------------------------------------------------------------------------------------------
# namespace.prefix (issue 11, item 12): the same directories seen under the empty prefix (Dovecot's
# view, the default) and under INBOX. (Courier's view), switched by editing imapd.cfg of the running
# server; a session keeps the namespace it started with.

def set_namespace(srv, prefix, timeout=20):
    path = os.path.join(srv.conf, "imapd.cfg")
    before = srv.stderr().count("imapd: configuration updated")
    with open(path) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^namespace\.prefix=.*$", "namespace.prefix=" + prefix, text)
    if n == 0:
        text += "\nnamespace.prefix=%s\n" % prefix
    with open(path, "w") as f:
        f.write(text)
    deadline = time.time() + timeout
    while srv.stderr().count("imapd: configuration updated") == before:
        assert time.time() < deadline, "namespace.prefix=%s not picked up in %d s" % (prefix, timeout)
        time.sleep(0.2)


def test_namespace_switch_shows_the_same_folders(srv, work):
    acct = ACCOUNTS["switch"]
    seed(acct)
    m = acct.imap()
    try:
        assert m.create("Projects.2026")[0] == "OK" and m.create("INBOX.Kid")[0] == "OK"
        typ, data = m.namespace()
        # the personal namespace, and the shared one (other users' folders, issue 11) the ACL store brings
        assert data[0] == b'(("" ".")) (("shared." ".")) NIL', data
        assert os.path.isdir(os.path.join(acct.maildir, ".Projects.2026")), os.listdir(acct.maildir)
        assert os.path.isdir(os.path.join(acct.maildir, ".INBOX.Kid")), os.listdir(acct.maildir)
        typ, boxes = m.list('""', "*")
        top = sorted(b.split(b' "." ')[-1].decode() for b in boxes)
        assert top == ["INBOX", "INBOX.Kid", "Projects", "Projects.2026"], boxes
        set_namespace(srv, "INBOX.")
        # This session keeps its namespace; a new one sees Courier's names for the same directories.
        typ, boxes = m.list('""', "*")
        assert sorted(b.split(b' "." ')[-1].decode() for b in boxes) == top, boxes
        c = acct.imap()
        try:
            typ, data = c.namespace()
            assert data[0].startswith(b'(("INBOX." ".")) '), data
            typ, boxes = c.list('""', "*")
            names = sorted(b.split(b' "." ')[-1].decode() for b in boxes)
            assert names == ["INBOX", "INBOX.INBOX", "INBOX.INBOX.Kid", "INBOX.Projects", "INBOX.Projects.2026"], boxes
            assert any(b"\\Noselect" in b and b.endswith(b"INBOX.INBOX") for b in boxes), boxes
            typ, data = c.select("INBOX.Projects")
            assert typ == "OK" and data == [b"2"], data
            typ, data = c.create("Top")
            assert typ == "NO", data
            typ, data = c.status("Projects", "(MESSAGES)")
            assert typ == "NO", data
            assert c.create("INBOX.Made")[0] == "OK"
            assert os.path.isdir(os.path.join(acct.maildir, ".Made")), os.listdir(acct.maildir)
        finally:
            c.logout()
    finally:
        set_namespace(srv, "")
        m.logout()
    m = acct.imap()
    try:
        typ, data = m.status("Made", "(MESSAGES)")
        assert typ == "OK", data
    finally:
        m.logout()


TESTS = [
    test_mbsync_two_way_sync,
    test_offlineimap_two_way_sync,
    test_offlineimap_idle_sees_outside_delivery,
    test_fetchmail_keep_then_delete,
    test_fetchmail_idle_sees_outside_delivery,
    test_jakarta_mail,
    test_imaplib_folders_flags_append_search,
    test_raw_idle_sees_outside_delivery_and_other_sessions,
    test_curl_folders_flags_append_search,
    test_tls_clients_verify_the_certificate,
    test_namespace_switch_shows_the_same_folders,
]


def main():
    only = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "-k" else None
    work = tempfile.mkdtemp(prefix="posthorn-e2e-sync-")
    srv = Server(os.path.join(work, "server"), free_port())
    os.makedirs(srv.work, exist_ok=True)
    passed = failed = 0
    begin = time.time()
    try:
        srv.start()
        ACCOUNTS.update(add_accounts(srv, ["mbsync", "offlineimap", "offlineidle", "fetchmail", "fetchidle",
                                           "jakarta", "imaplib", "idler", "curl", "tls", "switch"]))
        for t in TESTS:
            if only and only not in t.__name__:
                continue
            start = time.time()
            twork = os.path.join(work, t.__name__)
            os.makedirs(twork)
            try:
                t(srv, twork)
                passed += 1
                print("PASS %s (%.1f s)" % (t.__name__, time.time() - start), flush=True)
            except Exception:
                failed += 1
                print("FAIL %s (%.1f s)\n%s" % (t.__name__, time.time() - start, traceback.format_exc()), flush=True)
    finally:
        if srv.proc and srv.proc.poll() is None:
            srv.stop()
    for client, secs in LATENCIES:
        print("latency: delivery to %s: %.0f ms" % (client, secs * 1000))
    if failed:
        print("server log (last 60 lines):\n" + "\n".join(srv.stderr().splitlines()[-60:]))
        print("work directory kept: " + work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    print("e2e-sync: %d passed, %d failed (%.0f s)" % (passed, failed, time.time() - begin))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
