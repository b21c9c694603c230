#!/usr/bin/env python3
"""End-to-end: real mail clients through `posthorn imapd`, the PREAUTH imapd on stdin/stdout.

No daemon runs: each client starts `./posthorn imapd MAILDIR` itself, as it would start
`ssh host posthorn imapd` - mutt with `tunnel` (in a real terminal, tmux), offlineimap with
`preauthtunnel`, mbsync with `Tunnel`, and Python's imaplib with IMAP4_stream. Each reads or syncs a
Maildir with a few messages and a folder, and changes a flag that must land in the server's Maildir.
First, the time from start to greeting is measured (tools/imapd-timing, median of 20 runs), printed
and held to 300 ms (see test_start_to_greeting for how, on a machine shared with other work).

Prints 'e2e-preauth: N passed, N failed' and exits non-zero on any failure. tools/test-deps installs
the programs (mutt, tmux, isync, offlineimap3).

Usage: e2e_preauth.py [-k NAME]   (run only the tests whose name contains NAME)
"""
import imaplib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
POSTHORN = os.path.join(TOP, "posthorn")
WALL_LIMIT_MS = 300
CPU_LIMIT_MS = 400

SEED = {
    "": [("<in1@seed>", "First in the inbox", "S"), ("<in2@seed>", "Second in the inbox", ""),
         ("<in3@seed>", "Third in the inbox", "F")],
    ".Projects": [("<p1@seed>", "A project note", "S")],
}


def make_maildir(root):
    """A server-side Maildir++ with SEED in it (Courier's layout: folders are .Name beside cur/)."""
    maildir = os.path.join(root, "Maildir")
    for folder, messages in SEED.items():
        d = os.path.join(maildir, folder) if folder else maildir
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        for n, (msgid, subject, flags) in enumerate(messages):
            name = "%d.M%dP%d.seed:2,%s" % (1700000000 + n, n, os.getpid(), flags)
            with open(os.path.join(d, "cur", name), "w") as f:
                f.write("From: Seeder <seed@example.org>\nTo: you@example.org\nSubject: %s\n"
                        "Date: Tue, 24 Nov 2026 10:00:0%d +0000\nMessage-ID: %s\n\nBody of %s.\n"
                        % (subject, n, msgid, subject))
    return maildir


def server_flags(maildir, folder, msgid):
    """The Maildir info letters of the server's copy of a message."""
    d = os.path.join(maildir, folder) if folder else maildir
    for sub in ("cur", "new"):
        for name in os.listdir(os.path.join(d, sub)):
            with open(os.path.join(d, sub, name), errors="replace") as f:
                if ("Message-ID: %s" % msgid) in f.read():
                    return name.split(":2,", 1)[1] if ":2," in name else ""
    raise AssertionError("no %s in the server's %s" % (msgid, folder or "INBOX"))


def local_file(folder_dir, msgid):
    for sub in ("cur", "new"):
        for name in os.listdir(os.path.join(folder_dir, sub)):
            p = os.path.join(folder_dir, sub, name)
            with open(p, errors="replace") as f:
                if ("Message-ID: %s" % msgid) in f.read():
                    return p
    raise AssertionError("no %s in %s" % (msgid, folder_dir))


def set_local_flags(path, letters):
    base = path.split(":2,", 1)[0]
    new = os.path.join(os.path.dirname(os.path.dirname(base)), "cur", os.path.basename(base) + ":2," + letters)
    os.rename(path, new)


def tunnel(maildir):
    """The command line a client runs: posthorn imapd on the Maildir, its log kept aside."""
    return "%s imapd %s 2>>%s" % (shlex.quote(POSTHORN), shlex.quote(maildir), shlex.quote(maildir + ".log"))


def run(cmd, timeout=120, env=None):
    r = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env)
    assert r.returncode == 0, "%s exited %d:\n%s\n%s" % (cmd[0], r.returncode, r.stdout.decode(errors="replace"),
                                                          r.stderr.decode(errors="replace"))
    return r


# ---------------------------------------------------------------------------------------------

def test_start_to_greeting(work):
    """The issue's bound: 300 ms from start to greeting, median of 20 runs. On a machine shared with
    other work the wall time grows with the load (a JVM's hello world takes 0.3-0.6 s at a load of
    20 on 2 cores), so as root the runs are measured under SCHED_FIFO (chrt -f), which gives them a
    core as soon as they can run: what an idle machine gives. Without root, the CPU time the process
    used by its greeting is bounded instead; it counts the JIT compiler threads that run beside the
    main thread on a second core, hence the wider bound."""
    maildir = make_maildir(os.path.join(work, "timing"))
    cmd = [os.path.join(TOP, "tools", "imapd-timing"), "-n", "20", maildir, "--", POSTHORN, "imapd"]
    realtime = os.geteuid() == 0 and shutil.which("chrt") is not None
    if realtime:
        cmd = ["chrt", "-f", "10"] + cmd
    r = subprocess.run(cmd, capture_output=True, timeout=300)
    out = r.stdout.decode()
    print("    %s\n    %s" % ("under chrt -f 10:" if realtime else "(not root: normal scheduling)",
                              out.strip().replace("\n", "\n    ")))
    assert r.returncode == 0, out + r.stderr.decode(errors="replace")
    wall = int(re.search(r"median_ms=(\d+)", out).group(1))
    cpu = int(re.search(r"cpu_median_ms=(\d+)", out).group(1))
    if realtime:
        assert wall <= WALL_LIMIT_MS, "%d ms from start to greeting (limit %d)" % (wall, WALL_LIMIT_MS)
    else:
        assert cpu <= CPU_LIMIT_MS, "%d ms of CPU time before the greeting (limit %d)" % (cpu, CPU_LIMIT_MS)


def test_imaplib_stream(work):
    maildir = make_maildir(os.path.join(work, "imaplib"))
    m = imaplib.IMAP4_stream(tunnel(maildir))
    assert m.state == "AUTH", m.state  # PREAUTH: no login
    typ, folders = m.list()
    # the default personal namespace is empty: the Maildir's .Projects is Projects (issue 11)
    assert typ == "OK" and any(f.endswith(b' "." Projects') for f in folders), folders
    typ, data = m.select("INBOX")
    assert typ == "OK" and data == [b"3"], data
    typ, data = m.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    text = b"".join(p[1] if isinstance(p, tuple) else p for p in data)
    assert b"First in the inbox" in text and b"Third in the inbox" in text, data
    assert m.append("INBOX", "(\\Flagged)", None, b"Subject: appended\r\nMessage-ID: <ap@imaplib>\r\n\r\nhi\r\n")[0] == "OK"
    typ, data = m.search(None, "UNSEEN")
    assert data[0].split() == [b"2", b"3", b"4"], data
    assert m.store("2", "+FLAGS", "(\\Answered)")[0] == "OK"
    m.logout()
    assert server_flags(maildir, "", "<in2@seed>") == "R"
    assert server_flags(maildir, "", "<ap@imaplib>") == "F"
    with open(maildir + ".log") as f:
        log = f.read()
    assert "preauth user=" in log and "end=\"logout\"" in log, log


def test_mutt_tunnel(work):
    maildir = make_maildir(os.path.join(work, "mutt"))
    home = os.path.join(work, "mutt-home")
    os.makedirs(home)
    rc = os.path.join(home, "muttrc")
    with open(rc, "w") as f:
        f.write('set tunnel="%s"\nset folder="imap://localhost/"\nset spoolfile="+INBOX"\n'
                'set imap_passive=no\nset move=no\nset pager_stop=yes\nset sort=date\nset mark_old=no\n'
                'set header_cache=""\nset message_cachedir=""\nset timeout=5\nset confirmappend=no\n'
                % tunnel(maildir).replace('"', '\\"'))
    session = "posthorn-preauth-mutt-%d" % os.getpid()
    env = dict(os.environ, HOME=home, TERM="xterm", MAIL="")

    def tmux(*args):
        return subprocess.run(["tmux"] + list(args), capture_output=True, env=env, timeout=20)

    def screen():
        return tmux("capture-pane", "-p", "-t", session).stdout.decode(errors="replace")

    def wait_for(text, secs=30):
        deadline = time.time() + secs
        while time.time() < deadline:
            s = screen()
            if text in s:
                return s
            time.sleep(0.3)
        raise AssertionError("mutt never showed %r; screen:\n%s" % (text, screen()))

    r = tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "40", "mutt -n -F " + rc)
    assert r.returncode == 0, r.stderr
    try:
        wait_for("Third in the inbox")
        tmux("send-keys", "-t", session, "/", "Second", "Enter")
        time.sleep(0.5)
        tmux("send-keys", "-t", session, "Enter")
        wait_for("Body of Second in the inbox.")
        tmux("send-keys", "-t", session, "q")  # back to the index; the message is now read
        time.sleep(0.5)
        tmux("send-keys", "-t", session, "$")  # sync: mutt stores \Seen
        time.sleep(1.5)
        tmux("send-keys", "-t", session, "q")
        deadline = time.time() + 15
        while time.time() < deadline and "S" not in server_flags(maildir, "", "<in2@seed>"):
            time.sleep(0.3)
    finally:
        tmux("kill-session", "-t", session)
    assert "S" in server_flags(maildir, "", "<in2@seed>"), "mutt's read message is not \\Seen on the server"


def test_offlineimap_preauthtunnel(work):
    maildir = make_maildir(os.path.join(work, "offlineimap"))
    local = os.path.join(work, "offlineimap-mail")
    meta = os.path.join(work, "offlineimap-meta")
    os.makedirs(local)
    os.makedirs(meta)
    rc = os.path.join(work, "offlineimaprc")
    with open(rc, "w") as f:
        f.write("""[general]
accounts = posthorn
metadata = %s
ui = quiet

[Account posthorn]
localrepository = local
remoterepository = remote

[Repository local]
type = Maildir
localfolders = %s

[Repository remote]
type = IMAP
preauthtunnel = %s
""" % (meta, local, tunnel(maildir)))

    def sync():
        r = run(["offlineimap", "-c", rc, "-o", "-u", "quiet"])
        assert b"ERROR" not in r.stdout + r.stderr, (r.stdout + r.stderr).decode(errors="replace")

    sync()
    assert sorted(d for d in os.listdir(local)) == ["INBOX", "Projects"], os.listdir(local)
    for msgid, _, letters in SEED[""]:
        p = local_file(os.path.join(local, "INBOX"), msgid)
        assert p.split(":2,")[1].replace("U", "") == letters, (p, letters)
    local_file(os.path.join(local, "Projects"), "<p1@seed>")
    set_local_flags(local_file(os.path.join(local, "INBOX"), "<in2@seed>"), "FS")
    sync()
    assert server_flags(maildir, "", "<in2@seed>") == "FS", server_flags(maildir, "", "<in2@seed>")


def test_mbsync_tunnel(work):
    maildir = make_maildir(os.path.join(work, "mbsync"))
    local = os.path.join(work, "mbsync-mail")
    os.makedirs(local)
    rc = os.path.join(work, "mbsyncrc")
    with open(rc, "w") as f:
        f.write("""IMAPAccount posthorn
Tunnel "%s"
Timeout 30

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
Sync All
SyncState *
""" % (tunnel(maildir).replace('"', '\\"'), local, local))

    def sync():
        r = run(["mbsync", "-c", rc, "-a"])
        assert b"Error" not in r.stderr, r.stderr

    sync()
    for msgid, _, letters in SEED[""]:
        local_file(os.path.join(local, "INBOX"), msgid)
    local_file(os.path.join(local, "Projects"), "<p1@seed>")
    set_local_flags(local_file(os.path.join(local, "INBOX"), "<in1@seed>"), "RS")
    sync()
    assert server_flags(maildir, "", "<in1@seed>") == "RS", server_flags(maildir, "", "<in1@seed>")


TESTS = [test_start_to_greeting, test_imaplib_stream, test_mutt_tunnel, test_offlineimap_preauthtunnel,
         test_mbsync_tunnel]


def main():
    only = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "-k" else None
    # Build (and make the class cache) before anything is timed; Maven's output goes to stderr.
    r = subprocess.run([POSTHORN, "imapd", "/nonexistent/Maildir"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=900)
    if not r.stdout.startswith(b"* BYE [UNAVAILABLE]"):
        print("e2e-preauth: posthorn imapd does not start:\n%s" % r.stderr.decode(errors="replace"))
        return 1
    passed = failed = 0
    for t in TESTS:
        if only and only not in t.__name__:
            continue
        work = tempfile.mkdtemp(prefix="posthorn-preauth-")
        t0 = time.time()
        try:
            t(work)
            passed += 1
            print("  ok   %s (%.1f s)" % (t.__name__, time.time() - t0))
        except Exception:
            failed += 1
            print("  FAIL %s (%.1f s)" % (t.__name__, time.time() - t0))
            traceback.print_exc()
            for log in sorted(os.path.join(d, f) for d, _, fs in os.walk(work) for f in fs if f.endswith(".log")):
                with open(log, errors="replace") as f:
                    print("  --- %s\n%s" % (log, f.read()[-3000:]))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print("e2e-preauth: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
