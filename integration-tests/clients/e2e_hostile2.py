#!/usr/bin/env python3
"""End-to-end hostile checks of the extensions session 5 added (README "IMAP extensions"), from
outside, against `./posthorn run`: legal but unusual grammar, resource bounds, names that try to
leave the Maildir, the new per-folder and per-user files under umask 022, and bad values of the new
configuration keys on a running server. Each test states the input and the answer the RFC or the
README demands; a failure prints what the server said.

One server (free ports, short login delays), started under umask 022 so that a file the server does
not make owner-only itself shows up. The grammar is also compared with Dovecot 2.3 in
integration-tests/conformance/hostile2.imapc (conformance.py -k h2-). About 40 s.

Usage: e2e_hostile2.py [-k NAME]
"""
import os
import re
import stat
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import Server, deliver, free_port, run_suite, set_config_keys  # noqa: E402
from e2e_hostile import Conn, configure, greets, log_lines_since, login, short, stack_trace_lines  # noqa: E402

SETTINGS = {"auth.delay.base": 50, "auth.delay.max": 200, "max.per.ip": 50, "max.bad.commands": 0}


def tagged(lines, tag):
    return lines[-1] if lines and lines[-1].startswith(tag + b" ") else b"(no tagged answer: %r)" % lines[-3:]


def answer(c, tag, text, timeout=15):
    return tagged(c.cmd(tag, text, timeout), tag)


def expect(problems, what, got, pattern):
    if not re.match(pattern, got):
        problems.append("%s: expected /%s/, got %s" % (what, pattern.decode(errors="replace"), short(got, 200)))


def uidvalidity(lines):
    return re.search(rb"UIDVALIDITY (\d+)", b"\n".join(lines)).group(1)


# ---------------------------------------------------------------------------------------------
# 1. Grammar: legal forms that were refused, and what a client must be told.

def test_qresync_match_data_without_known_uids(srv):
    """RFC 7162 7: "[SP known-uids] [SP seq-match-data]", each optional on its own (was BAD)."""
    c = login(srv)
    try:
        c.cmd(b"a", b"ENABLE QRESYNC")
        uv = uidvalidity(c.cmd(b"b", b"EXAMINE INBOX"))
        r = c.cmd(b"c", b"SELECT INBOX (QRESYNC (" + uv + b" 1 (1 1)))")
        assert r[-1].startswith(b"c OK"), "SELECT (QRESYNC (v m (seqs uids))) was refused: %r" % r[-3:]
        r = answer(c, b"d", b"SELECT INBOX (QRESYNC (" + uv + b" 1 (1:2 1)))")
        assert r.startswith(b"d BAD"), "match data of unequal length should be BAD: %r" % r
    finally:
        c.close()


def test_getmetadata_roots(srv):
    """GETMETADATA (DEPTH infinity) INBOX /private lists every private entry, as Dovecot (was BAD)."""
    c = login(srv)
    try:
        assert answer(c, b"a", b"SETMETADATA INBOX (/private/h2/a \"1\" /shared/h2/b \"2\")").startswith(b"a OK")
        r = c.cmd(b"b", b"GETMETADATA (DEPTH infinity) INBOX /private")
        assert r[-1].startswith(b"b OK") and any(b"/private/h2/a" in l and b"/shared" not in l for l in r), \
            "GETMETADATA of the root /private: %r" % r
        r = c.cmd(b"c", b"GETMETADATA (DEPTH 1) INBOX /SHARED")
        assert r[-1].startswith(b"c OK") and not any(b"/shared/h2/b" in l for l in r), \
            "DEPTH 1 under /shared shows children only, not /shared/h2/b: %r" % r
        assert answer(c, b"d", b"SETMETADATA INBOX (/private \"x\")").startswith(b"d BAD"), "a root takes no value"
    finally:
        c.close()


def test_rename_of_selected_mailbox_answers_ok_before_bye(srv):
    """RENAME of the selected mailbox: the client is told the rename is done, then BYE (was BYE only)."""
    c = login(srv)
    try:
        assert answer(c, b"a", b"CREATE H2Sel").startswith(b"a OK")
        assert answer(c, b"b", b"SELECT H2Sel").startswith(b"b OK")
        c.send(b"c RENAME H2Sel H2Sel2\r\n")
        r = c.until(lambda l: l.startswith(b"* BYE"), 15)
        assert any(l.startswith(b"c OK") for l in r), "no tagged OK for the RENAME before the BYE: %r" % r
    finally:
        c.close()
    c = login(srv)
    try:
        r = c.cmd(b"l", b"LIST \"\" H2Sel*")
        assert any(l.endswith(b"H2Sel2") for l in r) and not any(l.endswith(b" H2Sel") for l in r), \
            "the rename was not done: %r" % r
    finally:
        c.close()


def test_utf8_accept_names_and_literals(srv):
    """UTF8=ACCEPT: UTF-8 names in quoted strings and LITERAL+ literals; names that are no mailbox
    (a '/', an empty level, control characters, invalid UTF-8) refused with NO/BAD, nothing made."""
    c = login(srv)
    problems = []
    try:
        c.cmd(b"a", b"ENABLE UTF8=ACCEPT")
        expect(problems, "CREATE quoted UTF-8", answer(c, b"b", b'CREATE "Gr\xc3\xbc\xc3\x9fe"'), rb"b OK")
        expect(problems, "STATUS of a LITERAL+ UTF-8 name",
               answer(c, b"c", b"STATUS {7+}\r\nGr\xc3\xbc\xc3\x9fe (MESSAGES)"), rb"c OK")
        for i, name in enumerate([b'"Gr\xc3\xbc\xc3\x9fe/../x"', b'"..\xc3\xa9"', b'"\xc3\xa9/x"', b'"x\x7fy"',
                                  b"{3+}\r\na\x00b", b'"\xc3"', b'"\xed\xa0\x80"']):
            expect(problems, "CREATE %r" % name, answer(c, b"d%d" % i, b"CREATE " + name), rb"d\d+ (NO|BAD) ")
        r = c.cmd(b"e", b'LIST "" *')
        bad = [l for l in r if b"/" in l.split(b'"."')[-1] or b".." in l.split(b'"."')[-1]]
        if bad:
            problems.append("names with '/' or '..' were made: %r" % bad)
    finally:
        c.close()
    assert not problems, "\n  ".join(problems)


# ---------------------------------------------------------------------------------------------
# 2. Resource bounds: each has a bound and a clear answer, none costs the server more than a moment.

def test_resource_bounds_of_new_commands(srv):
    c = login(srv)
    problems = []
    try:
        c.cmd(b"a", b"ENABLE QRESYNC")
        uv = uidvalidity(c.cmd(b"b", b"SELECT INBOX"))
        t = time.time()
        many = b",".join(b"%d" % (2 * i + 1) for i in range(6000))
        expect(problems, "QRESYNC with 6000 known-UID ranges",
               answer(c, b"c", b"SELECT INBOX (QRESYNC (" + uv + b" 1 " + many + b"))"), rb"c OK")
        expect(problems, "QRESYNC with 4294967295 known UIDs and match data",
               answer(c, b"d", b"SELECT INBOX (QRESYNC (" + uv + b" 1 1:4294967295 (1:4294967295 1:4294967295)))"),
               rb"d OK")
        expect(problems, "known UIDs beyond 32 bits",
               answer(c, b"e", b"SELECT INBOX (QRESYNC (" + uv + b" 1 1:4294967296))"), rb"e BAD")
        expect(problems, "MODSEQ 2^63", answer(c, b"f", b"SEARCH MODSEQ 9223372036854775808"), rb"f BAD")
        expect(problems, "CHANGEDSINCE 2^63-1",
               answer(c, b"g", b"FETCH 1:* (FLAGS) (CHANGEDSINCE 9223372036854775807)"), rb"g OK")
        expect(problems, "PARTIAL beyond 32 bits", answer(c, b"h", b"SEARCH RETURN (PARTIAL 1:4294967296) ALL"),
               rb"h BAD")
        expect(problems, "YOUNGER beyond 32 bits", answer(c, b"i", b"SEARCH YOUNGER 4294967296"), rb"i BAD")
        expect(problems, "nested parentheses in a select parameter",
               answer(c, b"j", b"SELECT INBOX (" + b"(" * 300 + b")" * 300 + b")"), rb"j BAD")
        expect(problems, "nested fetch modifiers",
               answer(c, b"k", b"FETCH 1 (FLAGS) (" + b"(" * 500 + b")" * 500 + b")"), rb"k BAD")
        expect(problems, "nested PREVIEW modifiers",
               answer(c, b"l", b"FETCH 1 (PREVIEW (LAZY (" + b"(" * 300 + b")" * 300 + b")))"), rb"l BAD")
        if time.time() - t > 20:
            problems.append("the QRESYNC/number checks took %.1f s" % (time.time() - t))
        # NOTIFY: many mailboxes, many groups, nested fetch attributes
        expect(problems, "NOTIFY with 5000 mailbox names",
               answer(c, b"m", b"NOTIFY SET (MAILBOXES (" + b" ".join(b"nx%d" % i for i in range(5000))
                      + b") (MessageNew MessageExpunge))"), rb"m (OK|NO \[NOTIFICATIONOVERFLOW\])")
        expect(problems, "NOTIFY with nested fetch attributes",
               answer(c, b"n", b"NOTIFY SET (SELECTED (MessageNew (" + b"BODY[HEADER.FIELDS (" * 60 + b")]" * 60
                      + b") MessageExpunge))"), rb"n BAD")
        expect(problems, "NOTIFY with a line over line.max",
               answer(c, b"o", b"NOTIFY SET " + b" ".join(b"(MAILBOXES m%d (MessageNew MessageExpunge))" % i
                                                        for i in range(3000))), rb"o BAD \[TOOBIG\]")
        c.cmd(b"p", b"NOTIFY NONE")
        # METADATA: entries per command, per mailbox, name and value sizes, literal before continuation
        ents = b" ".join(b"/private/e%d \"v\"" % i for i in range(101))
        expect(problems, "SETMETADATA with 101 entries", answer(c, b"q", b"SETMETADATA INBOX (" + ents + b")"),
               rb"q BAD")
        expect(problems, "GETMETADATA of 2000 entries",
               answer(c, b"r", b"GETMETADATA INBOX (" + b" ".join(b"/private/x%d" % i for i in range(2000)) + b")"),
               rb"r BAD")
        expect(problems, "an entry name of 600 levels",
               answer(c, b"s", b"SETMETADATA INBOX (/private/" + b"a/" * 600 + b"b \"v\")"), rb"s BAD")
        c.send(b"t SETMETADATA INBOX (/private/big {40000}\r\n")
        if not c.line().startswith(b"+"):
            problems.append("no continuation for a 40000-byte value within line.max")
        else:
            c.send(b"x" * 40000 + b")\r\n")
            expect(problems, "a value over metadata.max.size", tagged(c.until(lambda l: l.startswith(b"t ")), b"t"),
                   rb"t NO \[METADATA MAXSIZE 32768\]")
        c.send(b"u SETMETADATA INBOX (/private/big {100000}\r\n")
        expect(problems, "a value literal over line.max", c.line(), rb"u BAD \[TOOBIG\]")
        # URLs and CATENATE
        expect(problems, "URLFETCH of a URL over line.max",
               answer(c, b"v", b"URLFETCH \"imap://demo@localhost/" + b"a" * 70000 + b"\""), rb"v BAD \[TOOBIG\]")
        expect(problems, "GENURLAUTH of a URL over url.max.length",
               answer(c, b"w", b"GENURLAUTH \"imap://demo@localhost/INBOX/;UID=1;URLAUTH=anonymous"
                      + b"/" * 9000 + b"\" INTERNAL"), rb"w (NO \[BADURL|BAD)")
        expect(problems, "CATENATE with 300 parts",
               answer(c, b"x", b"APPEND INBOX CATENATE (" + b" ".join(b"URL \"/INBOX/;UID=1\"" for _ in range(300))
                      + b")"), rb"x BAD \[TOOBIG\]")
        expect(problems, "a URL section of 300 levels",
               answer(c, b"y", b"APPEND INBOX CATENATE (URL \"/INBOX/;UID=1/;SECTION=" + b"1." * 300 + b"1\")"),
               rb"y NO \[BADURL")
        expect(problems, "nested CATENATE", answer(c, b"z", b"APPEND INBOX CATENATE (CATENATE (URL \"/INBOX/;UID=1\"))"),
               rb"z BAD")
        expect(problems, "the session still answers", answer(c, b"z1", b"NOOP"), rb"z1 OK")
    finally:
        c.close()
    assert not problems, "\n  ".join(problems)


def test_hostile_references_header_threads_quickly(srv):
    """A delivered message whose References header names 300,000 ids: THREAD REFERENCES and REFS
    answer within the bound (the loop check cost the count squared: minutes of CPU per THREAD)."""
    c = login(srv)
    try:
        assert answer(c, b"a", b"CREATE H2Refs").startswith(b"a OK")
        folder = os.path.join(srv.maildir(), ".H2Refs")
        name = "%d.M1P%d.h2refs" % (time.time(), os.getpid())
        refs = " ".join("<r%d@h2>" % i for i in range(300000))
        with open(os.path.join(folder, "tmp", name), "w") as f:
            f.write("From: a@example.org\nSubject: refs\nMessage-ID: <top@h2>\nReferences: %s\n"
                    "Date: Tue, 24 Nov 2026 10:00:00 +0000\n\nx\n" % refs)
        os.rename(os.path.join(folder, "tmp", name), os.path.join(folder, "new", name))
        assert answer(c, b"b", b"SELECT H2Refs").startswith(b"b OK")
        for alg in (b"REFERENCES", b"REFS"):
            t = time.time()
            try:
                r = answer(c, b"t", b"THREAD " + alg + b" UTF-8 ALL", timeout=60)
            except TimeoutError:
                raise AssertionError("THREAD %s gave no answer within 60 s" % alg.decode())
            assert r.startswith(b"t OK"), "THREAD %s: %r" % (alg.decode(), r)
            print("  THREAD %s over a 300,000-id References header: %.1f s" % (alg.decode(), time.time() - t))
    finally:
        c.close()


def test_hostile_html_previews_quickly(srv):
    """PREVIEW of delivered HTML messages made of 60 KB of unclosed openers: each answers within the
    bound (the regular expressions took 6 to 18 s of CPU per message)."""
    c = login(srv)
    try:
        assert answer(c, b"a", b"CREATE H2Html").startswith(b"a OK")
        folder = os.path.join(srv.maildir(), ".H2Html")
        bodies = ["<" * 60000, "<!--" * 15000, "<script " * 7500, "&" * 60000]
        for i, body in enumerate(bodies):
            name = "%d.M%dP%d.h2html" % (time.time(), i, os.getpid())
            with open(os.path.join(folder, "tmp", name), "w") as f:
                f.write("From: a@example.org\nSubject: html %d\nContent-Type: text/html\n\n%s\n" % (i, body))
            os.rename(os.path.join(folder, "tmp", name), os.path.join(folder, "new", name))
        assert answer(c, b"b", b"SELECT H2Html").startswith(b"b OK")
        t = time.time()
        try:
            r = c.cmd(b"p", b"FETCH 1:4 (PREVIEW)", 30)
        except TimeoutError:
            raise AssertionError("FETCH PREVIEW of 4 hostile HTML messages gave no answer within 30 s")
        assert r[-1].startswith(b"p OK") and len([l for l in r if b"PREVIEW" in l]) == 4, r[-2:]
        print("  FETCH PREVIEW of 4 hostile HTML messages: %.1f s" % (time.time() - t))
    finally:
        c.close()


def test_prelogin_new_literal_forms(srv):
    """Before login: literal8 (~{n}) and LITERAL+ in one command add up to literal.max.prelogin at most,
    and the extension commands answer BAD without reading anything."""
    problems = []
    c = Conn(srv.port)
    try:
        data = b"a ID (" + b"".join(b"\"k%d\" ~{8000+}\r\n" % i + b"x" * 8000 + b" " for i in range(40)) + b"NIL NIL)\r\n"
        try:
            c.send(data)
            r = c.until(lambda l: l.startswith(b"a ") or l.startswith(b"* BYE"))[-1]
        except (OSError, EOFError, TimeoutError) as e:
            r = ("(%s)" % e).encode()
        if not (r.startswith(b"* BYE") or re.match(rb"a (BAD|NO) \[(TOOBIG|LIMIT)\]", r)):
            problems.append("320 KB of literal8 in one command before login was taken: %r" % r)
    finally:
        c.close()
    c = Conn(srv.port)
    try:
        for tag, cmd in [(b"b", b"ENABLE UTF8=ACCEPT"), (b"c", b"COMPRESS DEFLATE"), (b"d", b"NOTIFY NONE"),
                         (b"e", b"GETMETADATA \"\" /private/x"), (b"f", b"URLFETCH \"imap://x@y/INBOX/;UID=1\""),
                         (b"g", b"APPEND INBOX CATENATE (TEXT {5+}\r\nabcde)")]:
            expect(problems, "%s before login" % cmd[:20], answer(c, tag, cmd), tag + rb" BAD")
    finally:
        c.close()
    g = greets(srv.port)
    assert g.startswith("* OK"), "the server does not greet after the pre-login tests: %s" % g
    assert not problems, "\n  ".join(problems)


# ---------------------------------------------------------------------------------------------
# 3. Names that try to leave the Maildir; 4. the new files, owner-only under umask 022.

def tree(root):
    out = set()
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            out.add(os.path.relpath(os.path.join(d, n), root))
    return out


def test_names_cannot_leave_the_maildir(srv):
    var = srv.var
    before = {p for p in tree(var) if not p.startswith("mail/demo/Maildir/") and not p.startswith("fts/")}
    c = login(srv)
    problems = []
    try:
        for i, name in enumerate([b'"../../x"', b'"a/../../b"', b'".."', b'"INBOX/../.."', b'"../h2evil"']):
            expect(problems, "SETMETADATA %s" % name, answer(c, b"m%d" % i, b"SETMETADATA " + name
                                                             + b" (/private/a \"v\")"), rb"m\d+ (NO|BAD)")
            expect(problems, "RESETKEY %s" % name, answer(c, b"r%d" % i, b"RESETKEY " + name), rb"r\d+ (NO|BAD)")
            expect(problems, "CREATE %s" % name, answer(c, b"c%d" % i, b"CREATE " + name), rb"c\d+ (NO|BAD)")
        for i, url in enumerate([b"/..%2F..%2Fh2evil/;UID=1", b"/INBOX%2F..%2F..%2Fx/;UID=1",
                                 b"imap://demo@localhost/..%2F..%2Fetc/;UID=1;URLAUTH=anonymous"]):
            expect(problems, "GENURLAUTH/CATENATE %s" % url,
                   answer(c, b"u%d" % i, b"GENURLAUTH \"" + url + b"\" INTERNAL" if url.startswith(b"imap:")
                          else b"APPEND INBOX CATENATE (URL \"" + url + b"\")"), rb"u\d+ (NO|BAD)")
        r = answer(c, b"n", b"NOTIFY SET STATUS (MAILBOXES (\"../../..\" \"a/b\" \"..\") (MessageNew MessageExpunge))")
        if not re.match(rb"n (OK|NO|BAD)", r):
            problems.append("NOTIFY with names outside the Maildir: %r" % r)
        c.cmd(b"n2", b"NOTIFY NONE")
    finally:
        c.close()
    after = {p for p in tree(var) if not p.startswith("mail/demo/Maildir/") and not p.startswith("fts/")}
    new = sorted(p for p in after - before if not p.startswith("urlauth/"))
    if new:
        problems.append("files appeared outside the Maildir: %s" % new[:10])
    outside = [p for p in tree(os.path.dirname(var)) if "h2evil" in p]
    if outside:
        problems.append("a name left the Maildir: %s" % outside)
    assert not problems, "\n  ".join(problems)


def test_new_files_owner_only_under_umask_022(srv):
    """The server runs under umask 022: posthorn.modseq, .metadata, .server-metadata, .folder,
    .emailids, the URLAUTH keys and the full-text index must still be 0600 (directories 0700)."""
    md = srv.maildir()
    deliver(md, "umask one")
    deliver(md, "umask two")
    c = login(srv)
    try:
        c.cmd(b"a", b"ENABLE QRESYNC")
        c.cmd(b"b", b"SELECT INBOX")
        assert answer(c, b"c", b"STORE 1 +FLAGS (\\Flagged)").startswith(b"c OK")
        assert answer(c, b"d", b"SETMETADATA INBOX (/private/umask \"1\")").startswith(b"d OK")
        assert answer(c, b"e", b"SETMETADATA \"\" (/private/umask \"1\")").startswith(b"e OK")
        assert answer(c, b"f", b"CREATE H2Drafts (USE (\\Drafts))").startswith(b"f OK")
        assert answer(c, b"f2", b"SETMETADATA H2Drafts (/shared/umask \"1\")").startswith(b"f2 OK")
        assert answer(c, b"g", b"MOVE 1 H2Drafts").startswith(b"g OK")
        assert answer(c, b"h", b"GENURLAUTH \"imap://demo@localhost/INBOX/;UID=2;URLAUTH=anonymous\" INTERNAL") \
            .startswith(b"h OK")
        assert answer(c, b"i", b"SEARCH TEXT umask").startswith(b"i OK")
        c.cmd(b"j", b"LOGOUT")
    finally:
        c.close()
    wanted = ["posthorn.modseq", "posthorn.metadata", "posthorn.server-metadata", "posthorn.folder",
              "posthorn.emailids"]
    seen = set()
    loose = []
    for d, dirs, files in os.walk(srv.var):
        rel = os.path.relpath(d, srv.var)
        if rel.startswith("tls") or "/Maildir/cur" in "/" + rel or "/Maildir/new" in "/" + rel \
                or rel.endswith("/cur") or rel.endswith("/new"):
            continue  # message files: delivered by this test (an MDA's umask), and the public certificate
        for n in files + dirs:
            p = os.path.join(d, n)
            if rel == "." and n == "tls":
                continue  # the certificate's directory: the certificate is public, its key is checked by e2e_hostile
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode) or stat.S_ISSOCK(st.st_mode):
                continue
            if n in wanted:
                seen.add(n)
            if st.st_mode & 0o077:
                loose.append("%s %o" % (os.path.relpath(p, srv.var), st.st_mode & 0o777))
    missing = [w for w in wanted if w not in seen]
    for extra in ("urlauth", "fts"):
        if not os.path.isdir(os.path.join(srv.var, extra)):
            missing.append(extra + "/")
    assert not missing, "the test did not make these files (so their modes were not checked): %s" % missing
    assert not loose, "readable by group or others under umask 022: %s" % loose[:15]


# ---------------------------------------------------------------------------------------------
# 5. Bad values of the new keys on a running server: refused in one line naming the key, the
# server keeps serving with the settings it had.

def wait_for_line(srv, offset, pred, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        said = [l for l in log_lines_since(srv, offset) if pred(l)]
        if said:
            return said
        time.sleep(0.3)
    return []


def write_cfg(srv, name, values):
    return set_config_keys(os.path.join(srv.conf, name), values)


def test_bad_values_of_new_keys_are_refused_live(srv):
    problems = []
    cases = [("imapd.cfg", "search.update.max", "-1"), ("imapd.cfg", "compress.level", "10"),
             ("imapd.cfg", "literal.nonsync", "LITERAL"), ("maildir.cfg", "modseq.expunged.max", "5"),
             ("fts.cfg", "background.threads", "99")]
    originals = {}
    for cfg, key, _ in cases:
        with open(os.path.join(srv.conf, cfg)) as f:
            originals[cfg] = f.read()
    try:
        for cfg, key, bad in cases:
            offset = len(srv.stderr())
            write_cfg(srv, cfg, {key: bad})
            said = wait_for_line(srv, offset, lambda l: "refused" in l and key in l)
            if not said:
                problems.append("%s %s=%s: no refusal naming the key; log since: %s"
                                % (cfg, key, bad, log_lines_since(srv, offset)[-5:]))
            trace = stack_trace_lines(log_lines_since(srv, offset))
            if trace:
                problems.append("%s=%s logged a stack trace: %s" % (key, bad, trace[:3]))
            c = login(srv)
            try:
                r = answer(c, b"a", b"SELECT INBOX")
                if not r.startswith(b"a OK"):
                    problems.append("after %s=%s a login and SELECT failed: %r" % (key, bad, r))
            finally:
                c.close()
            with open(os.path.join(srv.conf, cfg), "w") as f:
                f.write(originals[cfg])
    finally:
        for cfg, text in originals.items():
            with open(os.path.join(srv.conf, cfg), "w") as f:
                f.write(text)
    assert not problems, "\n  ".join(problems)


TESTS = [
    test_qresync_match_data_without_known_uids,
    test_getmetadata_roots,
    test_rename_of_selected_mailbox_answers_ok_before_bye,
    test_utf8_accept_names_and_literals,
    test_resource_bounds_of_new_commands,
    test_hostile_references_header_threads_quickly,
    test_hostile_html_previews_quickly,
    test_prelogin_new_literal_forms,
    test_names_cannot_leave_the_maildir,
    test_new_files_owner_only_under_umask_022,
    test_bad_values_of_new_keys_are_refused_live,
]


def main():
    work = tempfile.mkdtemp(prefix="posthorn-e2e-hostile2-")
    os.umask(0o022)  # the server inherits it: files it does not make owner-only itself show up

    def make_server():
        srv = Server(os.path.join(work, "srv"), free_port())
        configure(srv, SETTINGS)
        return srv

    def prepare(srv):
        for i in range(3):
            deliver(srv.maildir(), "hostile2 %d" % i)

    return run_suite("e2e-hostile2", work, make_server, TESTS, prepare=prepare)


if __name__ == "__main__":
    sys.exit(main())
