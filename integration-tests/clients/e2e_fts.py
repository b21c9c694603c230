#!/usr/bin/env python3
"""End-to-end test of the full-text index (posthorn.store.fts) with the exported server.

Delivers a varied corpus (the MIME fixtures of bundles/posthorn.imap.server/src/test/resources/mime,
which tools/dovecot-mime-fixtures checks against Dovecot, plus hostile messages: 10,000 parts, 6 MB of
text, an unknown charset, RFC 2047 words, QP and base64, Greek final sigma, addresses with comments)
and asks several hundred SEARCH questions (BODY, TEXT, SUBJECT, FROM, TO, CC, HEADER, 1- and 2-char
strings, OR, NOT, UTF-8 literals) with the index on and then off (config/fts.cfg enabled=false, read
while the server runs): the answers must be the same. Then: a damaged index (files garbled while the
server is stopped) still gives the same answers and is rebuilt; arrivals, expunges and outside
deletions are followed; an outside delivery is indexed in the background, before any search; two
sessions of one user search while mail arrives.

Prints 'e2e_fts: N passed, N failed' and exits non-zero on a failure. Usage: e2e_fts.py [-k NAME]
"""
import glob
import os
import random
import re
import socket
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from e2e import Server, TOP, free_port, run_suite  # noqa: E402

FIXTURES = os.path.join(TOP, "bundles", "posthorn.imap.server", "src", "test", "resources", "mime")
NEEDLE = "quuxfrobnicator"


class Client:
    """A raw IMAP session: commands with UTF-8 literals (LITERAL+), the SEARCH answers as sets."""

    def __init__(self, srv):
        self.s = socket.create_connection(("127.0.0.1", srv.port), timeout=120)
        self.f = self.s.makefile("rwb")
        assert self.f.readline().startswith(b"* OK")
        self.n = 0
        self.command(b'LOGIN demo "%s"' % srv.password().encode())
        self.command(b"SELECT INBOX")

    def command(self, line):
        self.n += 1
        tag = b"t%d" % self.n
        self.f.write(tag + b" " + line + b"\r\n")
        self.f.flush()
        lines = []
        while True:
            r = self.f.readline()
            assert r, "connection closed after %r" % line
            lines.append(r)
            if r.startswith(tag + b" "):
                assert r.startswith(tag + b" OK"), "%r -> %r" % (line, lines[-3:])
                return lines

    def search(self, keys):
        """UID SEARCH with keys given as a list of atoms (bytes) and strings (str, sent as literals)."""
        parts = [b"UID SEARCH CHARSET UTF-8"]
        for k in keys:
            if isinstance(k, str):
                b = k.encode("utf-8")
                parts.append(b"{%d+}\r\n" % len(b) + b)
            else:
                parts.append(k)
        found = set()
        for r in self.command(b" ".join(parts)):
            if r.startswith(b"* SEARCH"):
                found |= {int(x) for x in r[8:].split()}
        return found

    def close(self):
        try:
            self.command(b"LOGOUT")
        except Exception:
            pass
        self.s.close()


def put(srv, name, data):
    md = srv.maildir()
    tmp = os.path.join(md, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(md, "new", name))


def hostile():
    out = {}
    parts = [b"Subject: many parts\nContent-Type: multipart/mixed; boundary=b\n\n"]
    for i in range(10000):
        parts.append(b"--b\nContent-Type: text/plain\n\npart %d%s\n" % (i, b" needleinpart" if i == 9999 else b""))
    parts.append(b"--b--\n")
    out["many-parts"] = b"".join(parts)
    line = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor\n"
    out["huge"] = b"Subject: huge\nFrom: big@example.org\n\n" + line * 80000 + b"needleattheend " + NEEDLE.encode() + b"\n"
    out["bogus-charset"] = ("Subject: bogus\nContent-Type: text/plain; charset=x-no-such-charset\n\n"
                            "na\u00efvet\u00e9 caf\u00e9\n").encode("utf-8")
    out["encoded-words"] = (b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\nFrom: =?iso-8859-1?q?J=FCrgen?= "
                            b"<jo (comment) hn@exa mple.org>\nTo: \"Smith, J\" <j.smith@example.org>\nCc: group: a@b.org, c@d.org;\n"
                            b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
                            b"Stra=DFe und Caf=E9=\n cr=E8me " + NEEDLE.encode() + b"\n")
    out["greek"] = ("Subject: \u039f\u0394\u039f\u03a3\nContent-Type: text/plain; charset=utf-8\n\n"
                    "\u0397 \u039f\u0394\u039f\u03a3 \u039a\u0391\u0399 \u03a3\u039f\u03a6\u0399\u0391 \u0130stanbul\n").encode("utf-8")
    import base64
    att = base64.encodebytes(b"attached notes mention " + NEEDLE.encode() + b" too\n")
    out["attachment"] = (b"Subject: attachment\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\n"
                         b"see attached\n--x\nContent-Type: text/plain; name=n.txt\nContent-Disposition: attachment\n"
                         b"Content-Transfer-Encoding: base64\n\n" + att + b"--x\nContent-Type: image/png\n"
                         b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(b"imagexyzzy" * 10) + b"--x--\n")
    return out


def corpus():
    msgs = {}
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.eml"))):
        with open(path, "rb") as f:
            msgs[os.path.basename(path)] = f.read()
    msgs.update(hostile())
    return msgs


def questions(msgs):
    """Search keys from the corpus' own words: whole words, their middles, across spaces; fixed seed."""
    rnd = random.Random(14)
    qs = []
    for name, data in msgs.items():
        text = data[:200000].decode("utf-8", "replace")
        words = re.findall(r"[^\W_]{3,}", text)
        for w in rnd.sample(words, min(6, len(words))):
            qs.append([b"TEXT", w])
            qs.append([b"BODY", w[1:-1] if len(w) > 4 else w])
            qs.append([b"SUBJECT", w.upper()])
        spans = re.findall(r"[^\W_]{2,} [^\W_]{2,}", text)
        for s in rnd.sample(spans, min(3, len(spans))):
            qs.append([b"TEXT", s])
        for h in re.findall(r"(?im)^(From|To|Cc): *(.*)$", text)[:3]:
            v = h[1].strip()
            if v:
                qs.append([h[0].upper().encode(), v[: rnd.randint(3, max(3, len(v)))]])
                addr = re.findall(r"[\w.+-]+@[\w.-]+", v)
                for a in addr[:2]:
                    qs.append([h[0].upper().encode(), a])
                    qs.append([h[0].upper().encode(), "<" + a + ">"])
    qs += [[b"TEXT", NEEDLE], [b"BODY", "obnic"], [b"TEXT", "needleinpart"], [b"TEXT", "needleattheend"],
           [b"BODY", "naïveté"], [b"SUBJECT", "grüße aus"], [b"FROM", "john@example.org"], [b"FROM", "Jürgen"],
           [b"TO", "\"Smith, J\" <j.smith@example.org>"], [b"CC", "group:"], [b"TEXT", "οδος"], [b"TEXT", "οδοσ"],
           [b"SUBJECT", "ΟΔΟΣ"], [b"TEXT", "i̇stanbul"], [b"BODY", "straße und café crème"], [b"BODY", "xyzzy"],
           [b"TEXT", "a"], [b"TEXT", "xy"], [b"BODY", "e"], [b"SUBJECT", ""], [b"FROM", ""],
           [b"HEADER", b"Content-Type", "multipart"], [b"HEADER", b"X-Nothing", "abc"],
           [b"OR", b"BODY", NEEDLE, b"SUBJECT", "huge"], [b"NOT", b"TEXT", NEEDLE],
           [b"TEXT", NEEDLE, b"FROM", "example"], [b"TEXT", "report", b"NOT", b"SEEN"]]
    return qs


def answers(srv, qs):
    c = Client(srv)
    try:
        return [c.search(q) for q in qs]
    finally:
        c.close()


def set_fts(srv, enabled):
    path = os.path.join(srv.conf, "fts.cfg")
    with open(path) as f:
        text = f.read()
    text = re.sub(r"(?m)^enabled=.*$", "enabled=%s" % ("true" if enabled else "false"), text)
    before = srv.stderr().count("event=fts.config enabled=%s" % ("true" if enabled else "false"))
    with open(path, "w") as f:
        f.write(text)
    deadline = time.time() + 60
    while srv.stderr().count("event=fts.config enabled=%s" % ("true" if enabled else "false")) <= before:
        assert time.time() < deadline, "fts.cfg change not taken within 60 s"
        time.sleep(0.2)


STATE = {}


def prepare(srv):
    msgs = corpus()
    for i, (name, data) in enumerate(msgs.items()):
        put(srv, "17950%05d.M%dP1.fts-%s" % (i, i, re.sub(r"[^\w-]", "_", name)), data.replace(b"\r\n", b"\n"))
    STATE["qs"] = questions(msgs)
    STATE["n"] = len(msgs)


def test_index_on_and_off_answer_the_same(srv):
    qs = STATE["qs"]
    on = answers(srv, qs)
    index = os.path.join(srv.var, "fts", "demo")
    assert any(f.startswith("segments_") for f in os.listdir(index)), os.listdir(index)
    assert oct(os.stat(index).st_mode & 0o777) == "0o700"
    assert all(os.stat(os.path.join(index, f)).st_mode & 0o077 == 0 for f in os.listdir(index))
    assert "event=fts.update user=demo" in srv.stderr()
    assert "event=fts.partial" in srv.stderr(), "the 10,000-part and the huge message are read by every search"
    set_fts(srv, False)
    off = answers(srv, qs)
    set_fts(srv, True)
    diffs = [(q, a, b) for q, a, b in zip(qs, on, off) if a != b]
    assert not diffs, "%d of %d answers differ, e.g. %r" % (len(diffs), len(qs), diffs[:3])
    assert sum(1 for a in on if a) > len(qs) // 2, "most questions find something"
    assert on[qs.index([b"TEXT", NEEDLE])], "the needle is found"
    STATE["off"] = off
    print("  %d questions, %d messages, same answers with and without the index" % (len(qs), STATE["n"]))


def test_damaged_index_is_rebuilt_and_answers_stay(srv):
    qs = STATE["qs"][:60] + STATE["qs"][-27:]
    expected = STATE["off"][:60] + STATE["off"][-27:]
    srv.stop()
    index = os.path.join(srv.var, "fts", "demo")
    for f in os.listdir(index):
        p = os.path.join(index, f)
        if f != "write.lock":
            size = os.path.getsize(p)
            with open(p, "r+b") as h:
                h.truncate(size // 2)
                h.seek(0)
                h.write(b"\x5a" * min(64, size // 2))
    srv.start()
    assert answers(srv, qs) == expected
    assert "event=fts.damaged user=demo" in srv.stderr()
    rebuilt = srv.stderr().count("event=fts.update user=demo")
    assert answers(srv, qs) == expected
    assert srv.stderr().count("event=fts.update user=demo") >= 1 and rebuilt >= 1 or \
        srv.stderr().count("event=fts.update user=demo") > rebuilt, "the index was built again"
    assert any(f.startswith("segments_") for f in os.listdir(index))


def test_arrivals_expunges_and_outside_deletions_are_followed(srv):
    c = Client(srv)
    try:
        before = c.search([b"BODY", "zebracrossingword"])
        assert before == set()
        put(srv, "1796000001.M1P1.fts-new", b"Subject: new\n\nzebracrossingword here\n")
        put(srv, "1796000002.M2P1.fts-new", b"Subject: new2\n\nzebracrossingword there\n")
        deadline = time.time() + 20
        found = set()
        while len(found) < 2 and time.time() < deadline:
            c.command(b"NOOP")
            found = c.search([b"BODY", "zebracrossingword"])
            time.sleep(0.2)
        assert len(found) == 2, found
        first, second = sorted(found)
        c.command(b"UID STORE %d +FLAGS (\\Deleted)" % first)
        c.command(b"EXPUNGE")
        assert c.search([b"BODY", "zebracrossingword"]) == {second}
        md = srv.maildir()
        for sub in ("new", "cur"):
            for f in os.listdir(os.path.join(md, sub)):
                if "fts-new" in f and "M2P1" in f:
                    os.unlink(os.path.join(md, sub, f))
        deadline = time.time() + 20
        while time.time() < deadline:
            c.command(b"NOOP")
            if c.search([b"BODY", "zebracrossingword"]) == set():
                break
            time.sleep(0.2)
        assert c.search([b"BODY", "zebracrossingword"]) == set()
    finally:
        c.close()


def test_outside_delivery_is_indexed_in_the_background(srv):
    """A delivery by another program, seen by the store's watch while a session idles, is indexed by
    the background indexer: the SEARCH that follows reads no message into the index itself and leaves
    none unindexed (its event=fts.search line says indexed_now=0 unindexed=0)."""
    c = Client(srv)
    try:
        c.command(b"NOOP")
        mark = len(srv.stderr())
        c.n += 1
        tag = b"t%d" % c.n
        c.f.write(tag + b" IDLE\r\n")
        c.f.flush()
        assert c.f.readline().startswith(b"+")
        put(srv, "1798000001.M1P1.fts-bg", b"Subject: background\n\nplatypusharmonica in the background\n")
        while True:
            line = c.f.readline()
            assert line, "connection closed during IDLE"
            if line.endswith(b"EXISTS\r\n"):
                break
        c.f.write(b"DONE\r\n")
        c.f.flush()
        while not c.f.readline().startswith(tag + b" OK"):
            pass
        deadline = time.time() + 60
        while "event=fts.idle" not in srv.stderr()[mark:]:
            assert time.time() < deadline, "the background indexer did not become idle within 60 s"
            time.sleep(0.1)
        later = srv.stderr()[mark:]
        assert re.search(r"event=fts\.update user=demo mailbox=\"INBOX\" by=background changes=[1-9]", later), later[-2000:]
        before = len(srv.stderr())
        t0 = time.time()
        found = c.search([b"BODY", "platypusharmonica"])
        took = time.time() - t0
        assert len(found) == 1, found
        lines = re.findall(r"event=fts\.search user=demo mailbox=\"INBOX\" indexed_now=(\d+) unindexed=(\d+)",
                           srv.stderr()[before:])
        assert lines == [("0", "0")], lines
        print("  outside delivery indexed in the background; the SEARCH read nothing into the index (%.0f ms)"
              % (took * 1000))
    finally:
        c.close()


def test_two_sessions_search_while_mail_arrives(srv):
    errors = []
    results = [[], []]
    done = threading.Event()

    def deliver():
        try:
            for i in range(100):
                body = b"wombatnebula %d\n" % i if i % 5 == 0 else b"nothing %d\n" % i
                put(srv, "1797%06d.M%dP1.fts-c" % (i, i), b"Subject: c%d\n\n" % i + body)
                time.sleep(0.02)
        except Exception as e:
            errors.append(e)
        finally:
            done.set()

    def session(k):
        try:
            c = Client(srv)
            try:
                while not done.is_set():
                    c.command(b"NOOP")
                    results[k].append(c.search([b"BODY", "wombatnebula"]))
                time.sleep(1.5)
                c.command(b"NOOP")
                results[k].append(c.search([b"BODY", "wombatnebula"]))
            finally:
                c.close()
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=deliver)] + [threading.Thread(target=session, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    final = results[0][-1]
    assert len(final) == 20, final
    assert results[1][-1] == final
    for k in (0, 1):
        for r in results[k]:
            assert r <= final, (r - final)


TESTS = [
    test_index_on_and_off_answer_the_same,
    test_damaged_index_is_rebuilt_and_answers_stay,
    test_arrivals_expunges_and_outside_deletions_are_followed,
    test_outside_delivery_is_indexed_in_the_background,
    test_two_sessions_search_while_mail_arrives,
]


def main():
    work = tempfile.mkdtemp(prefix="posthorn-e2e-fts-")
    return run_suite("e2e_fts", work, lambda: Server(work, free_port()), TESTS, prepare=prepare)


if __name__ == "__main__":
    sys.exit(main())
