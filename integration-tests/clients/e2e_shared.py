#!/usr/bin/env python3
"""End-to-end: folders shared between users through the shared namespace (issue 11), on the real
Maildir store of `./posthorn run` with three userdb accounts (alice, bob, carol).

alice shares Projects with bob read-only (lr): bob sees it under shared.alice in LIST, reads it,
and his STORE is refused; alice grants lrswite: bob changes flags, appends and copies, and each
one's IDLE sees the other's APPEND; alice takes r while bob has it selected (his next commands are
NO [NOPERM]), then every right while he idles on it (BYE, as for a mailbox deleted under him); carol
sees nothing all along. Hostile names (other users that do not exist,
path tricks in the owner or the folder) are NO alike and create nothing on disk.

The NAMESPACE and LIST lines are compared with Dovecot 2.3.19's on the same setup (DOVECOT below,
recorded from `dovecot -F` with passwd-file users and
  namespace inbox { inbox = yes; separator = .; prefix = }
  namespace { type = shared; separator = .; prefix = shared.%%u.;
              location = maildir:%%h/Maildir:INDEXPVT=~/Maildir/shared/%%u; list = children;
              subscriptions = no }
  plugin { acl = vfile; acl_shared_dict = file:... }
Dovecot refuses prefix = shared/%%u/ there: "Shared namespace prefix doesn't end with hierarchy
separator", and with separator = / "All list=yes namespaces must use the same separator").

Prints 'e2e-shared: N passed, N failed' and exits non-zero on any failure.
"""
import os
import socket
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from e2e import Server, free_port  # noqa: E402
from e2e_sync import add_accounts  # noqa: E402

# Dovecot 2.3.19.1's answers on the same setup (see the docstring), as sets where order is not defined.
DOVECOT = {
    "namespace": '* NAMESPACE (("" ".")) (("shared." ".")) NIL',
    'LIST "" "*"': {'* LIST (\\Noselect \\HasChildren) "." shared',
                    '* LIST (\\Noselect \\HasChildren) "." shared.alice',
                    '* LIST (\\HasNoChildren) "." shared.alice.Projects',
                    '* LIST (\\HasNoChildren) "." INBOX'},
    'LIST "" "%"': {'* LIST (\\Noselect \\HasChildren) "." shared', '* LIST (\\HasNoChildren) "." INBOX'},
    'LIST "" "shared.%"': {'* LIST (\\Noselect \\HasChildren) "." shared.alice'},
    'LIST "" "shared.alice.%"': {'* LIST (\\HasNoChildren) "." shared.alice.Projects'},
    'LIST "" "shared"': {'* LIST (\\Noselect \\HasChildren) "." shared'},
    'carol LIST "" "*"': {'* LIST (\\HasNoChildren) "." INBOX'},
    "MYRIGHTS lr": "* MYRIGHTS shared.alice.Projects lr",
    "PERMANENTFLAGS lr": "* OK [PERMANENTFLAGS ()]",
    # rights -> (PERMANENTFLAGS, READ-WRITE or READ-ONLY), each from a fresh Dovecot session (it
    # caches ACLs for a while within one)
    "flags by rights": {
        "lrs": ({"\\Seen"}, "READ-WRITE"),
        "lrsw": ({"\\Answered", "\\Flagged", "\\Seen", "\\Draft", "\\*"}, "READ-WRITE"),
        "lrt": ({"\\Deleted"}, "READ-WRITE"),
        "lri": (set(), "READ-WRITE"),
        "lrswite": ({"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "\\*"}, "READ-WRITE"),
    },
}

RESULTS = []


class Imap:
    """A raw IMAP connection: exact lines, IDLE by hand."""

    def __init__(self, port, user, password):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.f = self.s.makefile("rb")
        self.n = 0
        self.user = user
        greeting = self.line()
        assert greeting.startswith("* OK"), greeting
        out = self.cmd("LOGIN %s %s" % (user, password))
        assert out[-1].split()[1] == "OK", out

    def line(self):
        l = self.f.readline()
        if not l:
            raise AssertionError("%s: connection closed" % self.user)
        return l.decode("utf-8", "replace").rstrip("\r\n")

    def send(self, text):
        self.s.sendall(text.encode())

    def cmd(self, line):
        self.n += 1
        tag = "t%d" % self.n
        self.send("%s %s\r\n" % (tag, line))
        out = []
        while True:
            l = self.line()
            out.append(l)
            if l.startswith(tag + " "):
                return out

    def status(self, out):
        return out[-1].split(" ", 2)[1]

    def append(self, mailbox, text, flags="()"):
        data = text.replace("\n", "\r\n").encode()
        self.n += 1
        tag = "t%d" % self.n
        self.send("%s APPEND %s %s {%d+}\r\n" % (tag, mailbox, flags, len(data)))
        self.s.sendall(data + b"\r\n")
        out = []
        while True:
            l = self.line()
            out.append(l)
            if l.startswith(tag + " "):
                return out

    def idle_until(self, want, action, timeout=10):
        """Starts IDLE, runs action() once idling, and returns the untagged lines up to one containing
        want (or the timeout), then DONE."""
        self.n += 1
        tag = "t%d" % self.n
        self.send("%s IDLE\r\n" % tag)
        l = self.line()
        assert l.startswith("+"), l
        action()
        seen = []
        self.s.settimeout(timeout)
        try:
            while True:
                l = self.line()
                seen.append(l)
                if want in l:
                    break
        except (socket.timeout, TimeoutError):
            pass
        finally:
            self.s.settimeout(20)
        self.send("DONE\r\n")
        while True:
            l = self.line()
            if l.startswith(tag + " "):
                assert " OK" in l, l
                return seen
            seen.append(l)

    def close(self):
        try:
            self.cmd("LOGOUT")
        except Exception:
            pass
        self.s.close()


def check(name, cond, detail=""):
    RESULTS.append((name, bool(cond)))
    print("%s %s%s" % ("ok  " if cond else "FAIL", name, "" if cond else ": " + str(detail)))


def untagged(out, start):
    return [l for l in out if l.startswith(start)]


def lists(lines):
    """LIST lines as (attributes as a set, separator, name): RFC 3501 gives the attributes no order
    (Posthorn sorts them, Dovecot puts \\Noselect first)."""
    out = set()
    for l in lines:
        if not l.startswith("* LIST ("):
            continue
        attrs, rest = l[len("* LIST ("):].split(") ", 1)
        out.add((frozenset(attrs.split()), rest))
    return out


def main():
    work = tempfile.mkdtemp(prefix="e2e-shared-")
    srv = Server(work, free_port())
    srv.start()
    try:
        accounts = add_accounts(srv, ["alice", "bob", "carol"])
        pw = srv.password()
        run(srv, accounts, pw)
    except Exception:
        traceback.print_exc()
        RESULTS.append(("no exception", False))
    finally:
        code = srv.stop()
        check("server stopped with status 0", code == 0, code)
        # DeployFolder's start-up race (optional backends retried a second later) is not this test's.
        errors = [l for l in srv.stderr().splitlines()
                  if (" ERROR " in l or "SERVERBUG" in l) and "DeployFolder" not in l]
        check("no ERROR or SERVERBUG in the server's log", not errors, errors[:5])
    failed = sum(1 for _, ok in RESULTS if not ok)
    print("e2e-shared: %d passed, %d failed" % (len(RESULTS) - failed, failed))
    sys.exit(1 if failed else 0)


def run(srv, accounts, pw):
    a = Imap(srv.port, "alice", pw)
    b = Imap(srv.port, "bob", pw)
    c = Imap(srv.port, "carol", pw)
    for box in ("Projects", "Projects.Sub", "Private"):
        check("alice CREATE " + box, a.status(a.cmd("CREATE " + box)) == "OK")
    check("alice APPEND to Projects", a.status(a.append("Projects", "Subject: first\n\nfirst body\n", "(\\Seen)")) == "OK")
    check("alice APPEND to Private", a.status(a.append("Private", "Subject: secret\n\nsecret\n")) == "OK")

    # Before anything is shared: the namespace is there, nothing in it.
    out = b.cmd('LIST "" "*"')
    check("bob sees no shared folder before sharing", untagged(out, "* LIST") == ['* LIST (\\HasNoChildren) "." INBOX'], out)

    check("alice SETACL Projects bob lr", a.status(a.cmd("SETACL Projects bob lr")) == "OK")
    out = b.cmd("NAMESPACE")
    check("NAMESPACE as Dovecot's", untagged(out, "* NAMESPACE") == [DOVECOT["namespace"]], out)
    for pattern in ('"" "*"', '"" "%"', '"" "shared.%"', '"" "shared.alice.%"', '"" "shared"'):
        out = b.cmd("LIST " + pattern)
        check("bob LIST %s as Dovecot's" % pattern, lists(out) == lists(DOVECOT["LIST " + pattern]), out)
    out = c.cmd('LIST "" "*"')
    check("carol LIST as Dovecot's (nothing shared with her)", lists(out) == lists(DOVECOT['carol LIST "" "*"']), out)
    out = b.cmd("MYRIGHTS shared.alice.Projects")
    check("bob MYRIGHTS lr", untagged(out, "* MYRIGHTS") == [DOVECOT["MYRIGHTS lr"]], out)
    out = b.cmd("GETACL shared.alice.Projects")
    check("bob GETACL without a is NO [NOPERM] (as Dovecot)", out[-1].split()[1:3] == ["NO", "[NOPERM]"], out)
    out = b.cmd("SUBSCRIBE shared.alice.Projects")
    check("bob SUBSCRIBE shared.alice.Projects", b.status(out) == "OK", out)
    out = b.cmd('LSUB "" "*"')
    # Dovecot: * LSUB () "." shared.alice.Projects; Posthorn's LSUB carries the mailbox's attributes
    # for every mailbox, its own too (RFC 3501 leaves them to the server).
    check("bob LSUB lists it as Dovecot does", [l.split(") ", 1)[1] for l in untagged(out, "* LSUB")]
          == ['"." shared.alice.Projects'], out)
    out = b.cmd("STATUS shared.alice.Projects (MESSAGES)")
    check("bob STATUS shared.alice.Projects", "* STATUS shared.alice.Projects (MESSAGES 1)" in out, out)

    out = b.cmd("SELECT shared.alice.Projects")
    check("bob SELECT with lr is READ-ONLY", "[READ-ONLY]" in out[-1] and "* 1 EXISTS" in out, out)
    check("bob's PERMANENTFLAGS with lr is () as Dovecot's",
          any(l.startswith(DOVECOT["PERMANENTFLAGS lr"]) for l in out), out)
    out = b.cmd("FETCH 1 BODY.PEEK[TEXT]")
    check("bob reads alice's message", any("first body" in l for l in out) and b.status(out) == "OK", out)
    out = b.cmd("STORE 1 +FLAGS (\\Flagged)")
    check("bob's STORE with lr is NO", b.status(out) == "NO", out)
    out = b.append("shared.alice.Projects", "Subject: not allowed\n\nx\n")
    check("bob's APPEND with lr is NO [NOPERM]", out[-1].split()[1:3] == ["NO", "[NOPERM]"], out)

    # What bob may not see answers as what does not exist, in the same words.
    answers = {}
    for name in ("shared.alice.Private", "shared.alice.Nope", "shared.nobody.INBOX", "shared.nobody",
                 "shared.alice", "shared", "shared.alice.Projects.Sub"):
        out = b.cmd("SELECT " + name)
        answers[name] = out[-1].split(" ", 1)[1]
        check("bob SELECT %s is NO [NONEXISTENT]" % name, out[-1].split()[1:3] == ["NO", "[NONEXISTENT]"], out)
    texts = {v.replace(k, "NAME") for k, v in answers.items()}
    check("hidden and missing mailboxes answer alike", len(texts) == 1, texts)
    mail_root = os.path.join(srv.var, "mail")
    before = sorted(os.listdir(mail_root))
    for name in ("shared/../x", "shared.alice/../../etc", "shared.../etc.x", "shared.alice..Projects",
                 "shared.a/b.INBOX", "shared.....INBOX", "shared.alice.../../bob", "shared.alice./Projects",
                 "shared.alice.Projects/../Private", "shared.alice.." ):
        out = b.cmd('SELECT "%s"' % name)
        check("bob SELECT %s is NO" % name, b.status(out) == "NO", out)
        out = b.cmd('CREATE "%s"' % name)
        check("bob CREATE %s is NO" % name, b.status(out) == "NO", out)
    check("no user's mail was made by those names", sorted(os.listdir(mail_root)) == before, os.listdir(mail_root))
    out = b.cmd("CREATE shared.alice.New")
    check("bob CREATE in alice's mail without k is NO", b.status(out) == "NO", out)
    check("and made nothing", not os.path.exists(os.path.join(accounts["alice"].maildir, ".New")))

    out = c.cmd("SELECT shared.alice.Projects")
    check("carol SELECT shared.alice.Projects is NO [NONEXISTENT]", out[-1].split()[1:3] == ["NO", "[NONEXISTENT]"], out)
    out = c.cmd("MYRIGHTS shared.alice.Projects")
    check("carol MYRIGHTS is NO [NONEXISTENT] (as Dovecot)", out[-1].split()[1:3] == ["NO", "[NONEXISTENT]"], out)

    # PERMANENTFLAGS and READ-WRITE follow the rights, as in Dovecot.
    for rights, (flags, mode) in DOVECOT["flags by rights"].items():
        a.cmd("SETACL Projects bob " + rights)
        out = b.cmd("EXAMINE INBOX")
        out = b.cmd("SELECT shared.alice.Projects")
        perm = [l for l in out if "PERMANENTFLAGS" in l]
        got = set(perm[0].split("(", 1)[1].split(")", 1)[0].split()) if perm else None
        check("bob with %s: PERMANENTFLAGS %s and %s as Dovecot's" % (rights, sorted(flags), mode),
              got == flags and ("[%s]" % mode) in out[-1], out)

    # Read-write.
    check("alice SETACL Projects bob lrswite", a.status(a.cmd("SETACL Projects bob lrswite")) == "OK")
    out = b.cmd("SELECT shared.alice.Projects")
    perm = [l for l in out if "PERMANENTFLAGS" in l]
    check("bob SELECT with lrswite is READ-WRITE", "[READ-WRITE]" in out[-1], out)
    check("bob's PERMANENTFLAGS lists \\Seen \\Deleted \\Flagged \\*",
          perm and all(f in perm[0] for f in ("\\Seen", "\\Deleted", "\\Flagged", "\\*")), perm)
    out = b.cmd("STORE 1 +FLAGS (\\Flagged)")
    check("bob STORE \\Flagged on alice's message", b.status(out) == "OK" and "\\Flagged" in " ".join(out), out)
    out = a.cmd("SELECT Projects")
    out = a.cmd("FETCH 1 FLAGS")
    check("alice sees bob's \\Flagged", "\\Flagged" in " ".join(out), out)

    seen = a.idle_until("EXISTS", lambda: b.append("shared.alice.Projects", "Subject: from bob\n\nhello alice\n", "(\\Seen)"))
    check("alice's IDLE sees bob's APPEND", "* 2 EXISTS" in seen, seen)
    seen = b.idle_until("EXISTS", lambda: a.append("Projects", "Subject: from alice\n\nhello bob\n"))
    check("bob's IDLE sees alice's APPEND", "* 3 EXISTS" in seen, seen)
    seen = b.idle_until("FETCH", lambda: a.cmd("STORE 3 +FLAGS (\\Answered)"))
    check("bob's IDLE sees alice's flag change", any("FETCH" in l and "\\Answered" in l for l in seen), seen)
    out = b.cmd("COPY 1 INBOX")
    check("bob COPY from alice's folder to his INBOX", b.status(out) == "OK", out)
    out = b.cmd("STATUS INBOX (MESSAGES)")
    check("bob's INBOX has the copy", "* STATUS INBOX (MESSAGES 1)" in out, out)
    out = b.cmd("SELECT INBOX")
    out = b.cmd("COPY 1 shared.alice.Projects")
    check("bob COPY from his INBOX to alice's folder", b.status(out) == "OK", out)
    out = a.cmd("NOOP")
    check("alice sees bob's COPY", "* 4 EXISTS" in out, out)
    hidden = b.cmd("COPY 1 shared.alice.Private")
    missing = b.cmd("COPY 1 shared.alice.Nope")
    check("bob COPY into a folder he may not see answers as into a missing one",
          hidden[-1].split()[1:3] == ["NO", "[TRYCREATE]"]
          and hidden[-1].replace("Private", "X") == missing[-1].replace("Nope", "X").replace(missing[-1].split()[0], hidden[-1].split()[0]),
          (hidden, missing))
    files = [f for d in ("cur", "new") for f in os.listdir(os.path.join(accounts["alice"].maildir, ".Projects", d))]
    check("alice's Projects holds 4 message files", len(files) == 4, files)

    # r revoked while bob has it selected, l kept: NO to every command that reports the mailbox.
    out = b.cmd("SELECT shared.alice.Projects")
    check("bob selects it again", b.status(out) == "OK", out)
    check("alice takes r from bob", a.status(a.cmd("SETACL Projects bob -r")) == "OK")
    out = b.cmd("NOOP")
    check("bob's NOOP after r was revoked is NO [NOPERM]", out[-1].split()[1:3] == ["NO", "[NOPERM]"], out)
    out = b.cmd("FETCH 1 BODY.PEEK[TEXT]")
    check("bob's FETCH after r was revoked is NO, without the text",
          b.status(out) == "NO" and not any("first body" in l for l in out), out)
    out = b.cmd("UNSELECT")
    check("bob can UNSELECT it", b.status(out) == "OK", out)
    out = b.cmd("SELECT shared.alice.Projects")
    check("bob SELECT without r is NO [NOPERM] (he still has l)", out[-1].split()[1:3] == ["NO", "[NOPERM]"], out)

    # Everything revoked while bob waits in IDLE on it: for him the mailbox is gone, as if deleted.
    check("alice gives r back", a.status(a.cmd("SETACL Projects bob +r")) == "OK")
    out = b.cmd("SELECT shared.alice.Projects")
    check("bob selects it once more", b.status(out) == "OK", out)
    b.n += 1
    b.send("t%d IDLE\r\n" % b.n)
    check("bob idles", b.line().startswith("+"))
    check("alice DELETEACL Projects bob", a.status(a.cmd("DELETEACL Projects bob")) == "OK")
    b.s.settimeout(10)
    try:
        bye = b.line()
    except Exception as e:  # noqa: BLE001
        bye = repr(e)
    check("bob's IDLE ends with BYE, as for a mailbox deleted under him", bye.startswith("* BYE"), bye)
    b.s.close()
    b = Imap(srv.port, "bob", pw)
    out = b.cmd('LIST "" "*"')
    check("bob's LIST no longer shows it", untagged(out, "* LIST") == ['* LIST (\\HasNoChildren) "." INBOX'], out)
    out = b.cmd("SELECT shared.alice.Projects")
    check("bob's SELECT is NO [NONEXISTENT]", out[-1].split()[1:3] == ["NO", "[NONEXISTENT]"], out)
    out = b.cmd("SELECT INBOX")
    check("bob's own mail still works", b.status(out) == "OK" and "* 1 EXISTS" in out, out)
    out = c.cmd('LIST "" "*"')
    check("carol saw nothing at any time", lists(out) == lists(DOVECOT['carol LIST "" "*"']), out)
    index = os.path.join(srv.var, "shared-index")
    check("the shared index is owner-only", os.path.exists(index) and os.stat(index).st_mode & 0o077 == 0,
          oct(os.stat(index).st_mode) if os.path.exists(index) else "missing")
    for m in (a, b, c):
        m.close()


if __name__ == "__main__":
    main()
