#!/usr/bin/env python3
"""End-to-end tests of the SEARCH and SORT extensions through real sessions (helper sortsearch):
CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 4) with two sessions, one changing the mailbox (APPEND,
STORE, EXPUNGE, and a delivery from outside into new/) while the other holds RETURN (UPDATE)
contexts and must see ADDTO/REMOVEFROM that, applied to its copy of the result, give what a new
SEARCH/SORT answers; updates during IDLE; CANCELUPDATE; the search.update.max limit (NO
[NOUPDATE]); PARTIAL (RFC 9394) with ranges from the end on UID SEARCH and UID FETCH; ESORT.
Prints 'e2e-sortsearch: N passed, N failed'.

Usage: e2e_sortsearch.py [-k NAME]
"""
import os
import re
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import Server, deliver, free_port, run_suite  # noqa: E402

UPDATE_MAX = 3


class Session:
    """A raw IMAP session: commands written as given, every response line kept."""

    def __init__(self, srv):
        self.sock = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
        self.f = self.sock.makefile("rwb")
        assert self.f.readline().startswith(b"* OK")
        self.n = 0
        self.run("LOGIN demo %s" % srv.password())

    def run(self, command, literal=None):
        """Runs one command; returns (untagged lines, tagged line) as text."""
        self.n += 1
        tag = "t%d" % self.n
        if literal is not None:
            self.f.write(("%s %s {%d}\r\n" % (tag, command, len(literal))).encode())
            self.f.flush()
            assert self.f.readline().startswith(b"+")
            self.f.write(literal + b"\r\n")
        else:
            self.f.write(("%s %s\r\n" % (tag, command)).encode())
        self.f.flush()
        lines = []
        while True:
            line = self.f.readline().decode("utf-8", "replace").rstrip("\r\n")
            assert line, "connection closed during %s: %r" % (command, lines)
            if line.startswith(tag + " "):
                return lines, line
            lines.append(line)

    def ok(self, command, literal=None):
        lines, done = self.run(command, literal)
        assert done.split(" ")[1] == "OK", (command, lines, done)
        return lines

    def close(self):
        try:
            self.run("LOGOUT")
        finally:
            self.sock.close()


def numbers(text):
    """The numbers a sequence set names, in its order ("1,10,2:3" -> [1, 10, 2, 3])."""
    out = []
    for part in text.split(","):
        if ":" in part:
            a, b = (int(x) for x in part.split(":"))
            out.extend(range(a, b + 1) if a <= b else range(a, b - 1, -1))
        else:
            out.append(int(part))
    return out


ESEARCH_ALL = re.compile(r"^\* ESEARCH \(TAG \"[^\"]+\"\) UID(?: ALL (\S+))?$")


def fresh(s, command):
    """The UIDs a new UID SEARCH/SORT RETURN (ALL) answers, in its order."""
    lines = s.ok(command)
    for l in lines:
        m = ESEARCH_ALL.match(l)
        if m:
            return numbers(m.group(1)) if m.group(1) else []
    raise AssertionError("no ESEARCH in %r" % lines)


UPDATE = re.compile(r"(ADDTO|REMOVEFROM) \((\d+) ([\d:,]+)\)")


def apply_updates(lines, tag, result, sorted_context):
    """Applies the ADDTO/REMOVEFROM of the context tagged `tag` in `lines` to `result`, in order
    (RFC 5267 4.3); checks that a SEARCH context says position 0 and a SORT context gives each
    message's position. Returns how many updates there were."""
    n = 0
    for l in lines:
        if not l.startswith('* ESEARCH (TAG "%s")' % tag):
            continue
        for kind, pos, uids in UPDATE.findall(l):
            pos = int(pos)
            uids = numbers(uids)
            n += 1
            if not sorted_context:
                assert pos == 0, l
                for u in uids:
                    if kind == "ADDTO":
                        assert u not in result, l
                        result.append(u)
                    else:
                        result.remove(u)
                result.sort()
                continue
            assert len(uids) == 1 and pos >= 1, l
            if kind == "REMOVEFROM":
                assert result[pos - 1] == uids[0], (l, result)
                del result[pos - 1]
            else:
                result.insert(pos - 1, uids[0])
    return n


def append(s, subject, seen=False):
    msg = ("From: sender@example.org\r\nSubject: %s\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\nbody\r\n"
           % subject).encode()
    s.ok("APPEND INBOX (\\Seen)" if seen else "APPEND INBOX", msg)


def test_capabilities_announced(srv):
    s = Session(srv)
    try:
        caps = [l for l in s.ok("CAPABILITY") if l.startswith("* CAPABILITY")][0].split()
        wanted = ["ESORT", "CONTEXT=SEARCH", "CONTEXT=SORT", "SORT=DISPLAY", "WITHIN", "THREAD=REFS",
                  "I18NLEVEL=1", "PARTIAL"]
        got = [c for c in caps if c in wanted]
        assert got == wanted, caps
    finally:
        s.close()


def test_two_sessions_see_updates(srv):
    a, b = Session(srv), Session(srv)
    try:
        for i, subj in enumerate(["mango", "apple", "kiwi", "banana", "cherry"]):
            append(b, subj, seen=(i == 2))
        a.ok("SELECT INBOX")
        b.ok("SELECT INBOX")
        search_q = "UID SEARCH RETURN (ALL) UNSEEN"
        sort_q = "UID SORT RETURN (ALL) (SUBJECT) UTF-8 UNSEEN"
        search = fresh(a, search_q.replace("(ALL)", "(UPDATE ALL)"))
        sort_tag = "t%d" % (a.n + 1)
        search_tag = "t%d" % a.n
        sort = fresh(a, sort_q.replace("(ALL)", "(UPDATE ALL)"))
        assert search and sort, (search, sort)
        steps = [
            lambda: append(b, "aardvark"),                       # joins at the front of the SORT
            lambda: append(b, "zebra"),                          # at the end
            lambda: append(b, "lemon", seen=True),               # joins neither
            lambda: b.ok("UID STORE %d +FLAGS (\\Seen)" % sort[1]),
            lambda: b.ok("UID STORE %d -FLAGS (\\Seen)" % fresh(b, "UID SEARCH RETURN (ALL) SUBJECT kiwi")[0]),
            lambda: (b.ok("UID STORE %d,%d +FLAGS (\\Deleted)" % (sort[0], sort[-1])), b.ok("EXPUNGE")),
            lambda: deliver(srv.maildir(), "delivered from outside"),
        ]
        total = 0
        for i, step in enumerate(steps):
            step()
            deadline = time.time() + 20
            want_search = fresh(b, search_q)
            want_sort = fresh(b, sort_q)
            while True:
                lines = a.ok("NOOP")
                total += apply_updates(lines, search_tag, search, False)
                total += apply_updates(lines, sort_tag, sort, True)
                if (search, sort) == (want_search, want_sort) or time.time() > deadline:
                    break
                time.sleep(0.2)
                want_search = fresh(b, search_q)
                want_sort = fresh(b, sort_q)
            assert search == want_search, ("step %d" % i, search, want_search)
            assert sort == want_sort, ("step %d" % i, sort, want_sort)
        assert total >= 8, total
        # CANCELUPDATE: no more updates for that context
        a.ok('CANCELUPDATE "%s"' % sort_tag)
        append(b, "after cancel")
        lines = a.ok("NOOP")
        assert not any(l.startswith('* ESEARCH (TAG "%s")' % sort_tag) for l in lines), lines
        assert any(l.startswith('* ESEARCH (TAG "%s")' % search_tag) for l in lines), lines
        a.ok('CANCELUPDATE "%s"' % search_tag)
    finally:
        a.close()
        b.close()


def test_updates_arrive_during_idle(srv):
    a, b = Session(srv), Session(srv)
    try:
        a.ok("SELECT INBOX")
        b.ok("SELECT INBOX")
        tag = "t%d" % (a.n + 1)
        a.ok("UID SEARCH RETURN (UPDATE) SUBJECT idle-news")
        a.f.write(b"i1 IDLE\r\n")
        a.f.flush()
        assert a.f.readline().startswith(b"+")
        append(b, "idle-news today")
        deadline = time.time() + 20
        seen = []
        a.sock.settimeout(20)
        while time.time() < deadline:
            line = a.f.readline().decode().rstrip("\r\n")
            seen.append(line)
            if line.startswith('* ESEARCH (TAG "%s") UID ADDTO (0 ' % tag):
                break
        else:
            raise AssertionError(seen)
        a.f.write(b"DONE\r\n")
        a.f.flush()
        while not a.f.readline().startswith(b"i1 "):
            pass
        # the EXISTS came first (RFC 5267 4.3: the update follows the message's announcement)
        assert any(l.endswith(" EXISTS") for l in seen[:-1]), seen
    finally:
        a.close()
        b.close()


def test_update_limit_gives_noupdate(srv):
    s = Session(srv)
    try:
        s.ok("SELECT INBOX")
        for _ in range(UPDATE_MAX):
            lines = s.ok("SEARCH RETURN (UPDATE) ALL")
            assert not any("NOUPDATE" in l for l in lines), lines
        lines, done = s.run("SEARCH RETURN (UPDATE COUNT) ALL")
        tag = done.split(" ")[0]
        assert any(l.startswith('* NO [NOUPDATE "%s"]' % tag) for l in lines), lines
        assert any(l.startswith('* ESEARCH (TAG "%s") COUNT ' % tag) for l in lines), lines
        assert done.split(" ")[1] == "OK", done
        # the refused one made no context; cancelling one makes room again
        lines, done = s.run('CANCELUPDATE "%s"' % tag)
        assert done.split(" ")[1] == "NO", done
        s.ok('CANCELUPDATE "t3"')  # t1 LOGIN, t2 SELECT, t3 the first context
        lines = s.ok("SEARCH RETURN (UPDATE) ALL")
        assert not any("NOUPDATE" in l for l in lines), lines
        assert "search.update.max" in srv.stderr(), "no log line naming the limit"
    finally:
        s.close()


def test_partial_from_the_end(srv):
    s = Session(srv)
    try:
        s.ok("EXAMINE INBOX")
        uids = fresh(s, "UID SEARCH RETURN (ALL) ALL")
        assert len(uids) >= 4, uids
        lines = s.ok("UID SEARCH RETURN (PARTIAL -1:-3 COUNT) ALL")
        m = [re.search(r"PARTIAL \(-1:-3 ([\d:,]+)\) COUNT (\d+)", l) for l in lines]
        m = [x for x in m if x][0]
        assert numbers(m.group(1)) == uids[-3:] and int(m.group(2)) == len(uids), lines
        lines = s.ok("UID SEARCH RETURN (PARTIAL 2:1) ALL")
        assert any("PARTIAL (1:2 %s)" % ("%d:%d" % (uids[0], uids[1]) if uids[1] == uids[0] + 1
                                          else "%d,%d" % (uids[0], uids[1])) in l for l in lines), lines
        lines = s.ok("UID SEARCH RETURN (PARTIAL -500:-400) ALL")
        assert any(l.endswith("PARTIAL (-400:-500 NIL)") for l in lines), lines
        lines = s.ok("UID FETCH 1:* (FLAGS) (PARTIAL -1:-2)")
        fetched = [int(re.search(r"UID (\d+)", l).group(1)) for l in lines if " FETCH " in l]
        assert sorted(fetched) == uids[-2:], (lines, uids)
        for bad in ("PARTIAL -1:2", "PARTIAL 0:3", "PARTIAL 1:*", "PARTIAL 1:3 ALL", "PARTIAL 1:4294967296"):
            lines, done = s.run("UID SEARCH RETURN (%s) ALL" % bad)
            assert done.split(" ")[1] == "BAD", (bad, done)
        lines, done = s.run("UID FETCH 1:* (FLAGS) (PARTIAL 1:2 PARTIAL 1:3)")
        assert done.split(" ")[1] == "BAD", done
        # ESORT: ALL is SORT's order, MIN and MAX its first and last (RFC 5267 3)
        plain = [l for l in s.ok("UID SORT (REVERSE ARRIVAL) UTF-8 ALL") if l.startswith("* SORT ")][0]
        want = [int(x) for x in plain.split()[2:]]
        lines = s.ok("UID SORT RETURN (MIN MAX ALL) (REVERSE ARRIVAL) UTF-8 ALL")
        m = [re.search(r"UID MIN (\d+) MAX (\d+) ALL (\S+)", l) for l in lines]
        m = [x for x in m if x][0]
        order = numbers(m.group(3))
        assert order == want and sorted(order) == uids, (lines, want)
        assert int(m.group(1)) == order[0] and int(m.group(2)) == order[-1], lines
    finally:
        s.close()


TESTS = [test_capabilities_announced, test_two_sessions_see_updates, test_updates_arrive_during_idle,
         test_update_limit_gives_noupdate, test_partial_from_the_end]


def make_server(work):
    srv = Server(work, free_port())
    path = os.path.join(srv.conf, "imapd.cfg")
    with open(path) as f:
        text = f.read()
    text = re.sub(r"(?m)^search\.update\.max=.*$", "search.update.max=%d" % UPDATE_MAX, text)
    with open(path, "w") as f:
        f.write(text)
    return srv


def main():
    work = tempfile.mkdtemp(prefix="posthorn-e2e-sortsearch-")
    return run_suite("e2e-sortsearch", work, lambda: make_server(work), TESTS)


if __name__ == "__main__":
    sys.exit(main())
