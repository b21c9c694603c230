#!/usr/bin/env python3
"""Differential conformance harness: the same scripted IMAP conversations against Dovecot and
Posthorn, on identical Maildirs, answers compared after normalising only what may legitimately
differ between two conforming servers.

- Conversations: hand-written ones in integration-tests/conformance/*.imapc and generated ones from
  the tables of integration-tests/conformance/tables.py (see the format described there).
- Data: one fixture Maildir (messages from bundles/posthorn.imap.server/src/test/resources/mime and
  some of this harness, with fixed modification times = INTERNALDATE, flags in the file names, some
  in new/, sub-folders in Maildir++ layout), copied fresh for every conversation and every server.
- Dovecot (Debian dovecot-imapd): /usr/lib/dovecot/imap, one process per conversation,
  pre-authenticated over stdin/stdout, with a config of this harness (Maildir++, separator `.`, an
  empty personal namespace prefix), run as user nobody when we are root (Dovecot refuses root).
- Posthorn: the exported server (`./posthorn run`), one process for the whole run, a userdb with one
  user per conversation whose Maildir is that conversation's copy; each conversation logs in first.
  Greeting and login are not compared (PREAUTH against LOGIN); everything after them is.
- Both with TZ=UTC, so INTERNALDATE strings of the fixture are the same text.

Normalisation (each rule, where it is made, cites the RFC that makes it legitimate): capability
lists; the human text of status responses and continuation requests; UIDVALIDITY values (present,
not compared); the INTERNALDATE of a message appended now; quoted against literal strings, and atom
against string where the grammar says astring (mailbox names, echoed header field names); "INBOX"
in any case; the order of FETCH data items, of flags in a list, of STATUS items, and of untagged
responses between two EXISTS/EXPUNGE (which renumber); a run of EXPUNGE responses as the set it
removes; a continuation request before a NO/BAD; BADCHARSET's optional list; OK [CLOSED] (sent by
servers announcing QRESYNC); OK [CLIENTBUG]; an empty ENABLED; STORE's FETCH of flags the same
server already reported unchanged; LSUB's optional CHILDREN and special-use attributes; an RFC 5530
code one side gives to a NO/BAD the other gives without a code; the order of METADATA's entries
(RFC 5464 4.4.1); SELECT's OK [MAILBOXID] (RFC 8474, which Dovecot 2.3 lacks); MODSEQ and HIGHESTMODSEQ
values (RFC 7162 3.1.1: each server picks its own; where they appear is compared); NO against BAD
for a refused COMPRESS (RFC 4978 3); FETCH data sent before a NO [UNKNOWN-CTE] (RFC 3516 4.3). After a COMPRESS DEFLATE answered OK both directions are raw
deflate (RFC 4978): the harness compresses and inflates, and compares the inflated responses. In commands,
<uidvalidity> and <highestmodseq:TAG> stand for the values the server itself gave (see run_commands).
Everything else is compared byte
for byte: a difference is a failure, printed as a diff.

Prints 'conformance: N passed, N failed, N left out' and exits non-zero on a failure.

Usage: conformance.py [-k SUBSTRING] [-v] [-j JOBS] [--keep] [--list]
"""
import concurrent.futures
import difflib
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CONV_DIR = os.path.join(TOP, "integration-tests", "conformance")
sys.path.insert(0, HERE)
sys.path.insert(0, CONV_DIR)
from e2e import Server, free_port  # noqa: E402
import tables  # noqa: E402

DOVECOT = "/usr/lib/dovecot/imap"
TIMEOUT = 15.0
PASSWORD = "conformance-pw"
START = time.time()


# ---------------------------------------------------------------------------------------------
# Conversations

class Conversation:
    def __init__(self, name, commands, source, skip=None):
        self.name = name
        self.commands = commands  # list of str, each one command in the notation of tables.py
        self.source = source
        self.skip = skip


def load_conversations():
    convs = []
    for fn in sorted(os.listdir(CONV_DIR)):
        if fn.endswith(".imapc"):
            convs.extend(parse_imapc(os.path.join(CONV_DIR, fn)))
    for name, commands, skip in tables.generate():
        convs.append(Conversation(name, commands, "tables.py", skip))
    seen = set()
    for c in convs:
        if c.name in seen:
            raise SystemExit("conformance: two conversations named %s" % c.name)
        seen.add(c.name)
    return convs


def parse_imapc(path):
    """'=== name' starts a conversation; '!skip REASON' leaves it out (the reason is printed); '#'
    lines are comments; every other non-empty line is one command."""
    out = []
    cur = None
    base = os.path.basename(path)
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith("=== "):
                cur = Conversation(line[4:].strip(), [], "%s:%d" % (base, n))
                out.append(cur)
            elif cur is None:
                raise SystemExit("%s:%d: command before the first '=== name'" % (path, n))
            elif line.startswith("!skip "):
                cur.skip = line[6:].strip()
            else:
                cur.commands.append(line)
    return out


def expand(command):
    """The command's bytes, split where the client waits for a continuation request.

    Notation (tables.py documents it for authors): {{text}} is a synchronizing literal holding text,
    {{+text}} a non-synchronizing one (LITERAL+), <<+>> ends a line and waits for '+' (IDLE's DONE);
    inside literals \\r \\n \\t \\\\ and \\xHH are escapes. Returns a list of byte segments; before
    every segment but the first the client waits for a continuation request."""
    segs = [b""]
    i = 0
    while i < len(command):
        if command.startswith("{{", i):
            j = command.index("}}", i + 2)
            body = command[i + 2:j]
            sync = True
            if body.startswith("+"):
                sync = False
                body = body[1:]
            data = unescape(repeats(body))
            if sync:
                segs[-1] += b"{%d}\r\n" % len(data)
                segs.append(data)
            else:
                segs[-1] += b"{%d+}\r\n" % len(data) + data
            i = j + 2
        elif command.startswith("<<+>>", i):
            segs[-1] += b"\r\n"
            segs.append(b"")
            i += 5
        else:
            segs[-1] += command[i].encode("utf-8")
            i += 1
    segs[-1] += b"\r\n"
    return segs


REPEAT = re.compile(r"\[\[(\d+)\*(.*?)\]\]")


def repeats(body):
    """[[N*TEXT]] in a literal is TEXT N times, each %n in it the repetition's number (1..N): a
    literal big and varied enough to span several deflate blocks (compress.imapc)."""
    return REPEAT.sub(lambda m: "".join(m.group(2).replace("%n", str(i)) for i in range(1, int(m.group(1)) + 1)),
                      body)


def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            d = s[i + 1]
            if d in "rnt\\":
                out += {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\"}[d]
                i += 2
                continue
            if d == "x":
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
                continue
        out += c.encode("utf-8")
        i += 1
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# Fixture Maildir

MIME = os.path.join(TOP, "bundles", "posthorn.imap.server", "src", "test", "resources", "mime")
FIXTURES = os.path.join(CONV_DIR, "messages")
DAY = 86400
BASE_TIME = 1609459200  # 2021-01-01 00:00:00 UTC


def message_bytes(name, crlf=False):
    for d in (FIXTURES, MIME):
        p = os.path.join(d, name)
        if os.path.exists(p):
            with open(p, "rb") as f:
                data = f.read()
            data = data.replace(b"\r\n", b"\n")
            return data.replace(b"\n", b"\r\n") if crlf else data
    raise SystemExit("conformance: no fixture message %s" % name)


def build_fixture(root, only_new=None):
    """tables.FOLDERS: folder -> list of (message file, flags, new?, day offset, crlf?). only_new:
    False writes the messages of cur/ alone, True those of new/ alone, None both."""
    for folder, msgs in tables.FOLDERS.items():
        # on disk in UTF-8, as Courier-IMAP 5 and Posthorn keep folder names (Dovecot with :UTF-8)
        d = root if folder == "INBOX" else os.path.join(root, "." + tables.DISK_NAMES.get(folder, folder))
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        if folder != "INBOX":
            open(os.path.join(d, "maildirfolder"), "w").close()
        for i, (fname, flags, new, day, crlf) in enumerate(msgs):
            if only_new is not None and new != only_new:
                continue
            data = message_bytes(fname, crlf)
            t = BASE_TIME + day * DAY + 3600 * 9 + 60 * i
            base = "%d.M%dP1000Q%d.fixture,S=%d" % (t, 100000 + i, i, len(data))
            path = os.path.join(d, "new", base) if new else os.path.join(d, "cur", base + ":2," + flags)
            with open(path, "wb") as f:
                f.write(data)
            os.utime(path, (t, t))


def skip_tmp_contents(directory, names):
    """copytree's ignore: what is inside a Maildir's tmp/ (scratch space: deliveries under way and the
    server's own temporary files, renamed into place or removed at any moment) is no part of the
    mailbox, and the primed Posthorn may still be writing there (its background full-text indexer
    flushing the folder index), so a copy taken meanwhile must not depend on it."""
    return names if os.path.basename(directory) == "tmp" else []


def copy_maildir(src, dst, owner=None):
    shutil.copytree(src, dst, copy_function=shutil.copy2, ignore=skip_tmp_contents)
    if owner is not None:
        for r, dirs, files in os.walk(dst):
            for n in dirs + files:
                os.chown(os.path.join(r, n), *owner)
        os.chown(dst, *owner)


# ---------------------------------------------------------------------------------------------
# IMAP conversation I/O (the same code for both servers)

class Peer:
    """Reads responses (with their literals) from a socket or a pipe, with a timeout.

    After start_deflate() (a COMPRESS DEFLATE answered OK) both directions are raw deflate (RFC
    4978 3: RFC 1951 without zlib header, from the octet after the tagged OK's CRLF): what is sent
    is compressed and ended with a sync flush (4978 4: a client flushes before it waits for an
    answer), what is read is inflated before it is split into responses. Data that is not valid
    deflate is a connection error, so a server that answers OK but goes on in the clear fails."""

    def __init__(self, recv, send):
        self._recv = recv
        self._send = send
        self.buf = b""
        self.eof = False
        self._deflate = None
        self._inflate = None
        self._ended = False
        self.inflated_lines = 0  # lines read through the inflater: the harness's own check

    def start_deflate(self):
        self._deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        self._inflate = zlib.decompressobj(-15)
        # octets read past the tagged OK are already compressed
        raw, self.buf = self.buf, b""
        self.buf = self._inflated(raw)

    def _inflated(self, data):
        try:
            out = self._inflate.decompress(data)
        except zlib.error as e:
            raise OSError("invalid deflate data from the server: %s" % e)
        if self._inflate.eof:
            # A final deflate block: Dovecot ends its stream after LOGOUT's BYE and tagged OK,
            # just before it closes. What came before it counts; after it the connection is over
            # (RFC 4978 3: compression lasts for the rest of the connection).
            if self._inflate.unused_data:
                raise OSError("data after the end of the server's deflate stream")
            self._ended = True
        return out

    def _fill(self, deadline):
        left = deadline - time.time()
        if left <= 0:
            raise TimeoutError()
        data = b"" if self._ended else self._recv(left)
        if not data:
            self.eof = True
            raise EOFError()
        self.buf += self._inflated(data) if self._inflate else data

    def readline(self, deadline):
        while b"\r\n" not in self.buf:
            self._fill(deadline)
        if self._inflate:
            self.inflated_lines += 1
        i = self.buf.index(b"\r\n")
        line, self.buf = self.buf[:i], self.buf[i + 2:]
        return line

    def read(self, n, deadline):
        while len(self.buf) < n:
            self._fill(deadline)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    LITERAL = re.compile(rb"~?\{(\d+)\}$")

    def response(self, deadline):
        """One response with its literals inline (a literal's data follows its '{n}' and CRLF)."""
        out = self.readline(deadline)
        while True:
            m = self.LITERAL.search(out)
            if not m:
                return out
            out += b"\r\n" + self.read(int(m.group(1)), deadline)
            out += self.readline(deadline)

    def send(self, data):
        if self._deflate:
            data = self._deflate.compress(data) + self._deflate.flush(zlib.Z_SYNC_FLUSH)
        self._send(data)


COMPRESS_ANY = re.compile(r"^\S+ COMPRESS\b", re.I)
COMPRESS_CMD = re.compile(r"^\S+ COMPRESS DEFLATE$", re.I)
VALID_TAG = re.compile(rb'^[^(){ %*"\\+\x00-\x1f\x7f]+$')


def run_commands(peer, commands):
    """Runs the commands one at a time (never pipelined: RFC 3501 5.5 lets a server answer
    pipelined commands in any order, and Dovecot does); returns [(command, [response, ...])]."""
    out = []
    uidvalidity = b"0"
    highest = {}
    compressed_at = None  # index of the command after a COMPRESS DEFLATE answered OK
    for command in commands:
        # "<uidvalidity>" in a command is the last UIDVALIDITY this server gave in the conversation
        # (each picks its own, RFC 3501 2.3.1.1), "<highestmodseq:TAG>" the HIGHESTMODSEQ it gave in
        # the answer to command TAG (its own value too, RFC 7162 3.1.1): for QRESYNC's SELECT
        # parameter and CHANGEDSINCE (RFC 7162 3.2.5, 3.1.4.1)
        sent = command.replace("<uidvalidity>", uidvalidity.decode())
        sent = re.sub(r"<highestmodseq:([^>]+)>", lambda m: highest.get(m.group(1), b"1").decode(), sent)
        segs = expand(sent)
        tag = command.split(" ", 1)[0].encode()
        lines = []
        out.append((command, lines))
        try:
            deadline = time.time() + TIMEOUT
            done = False
            for k, seg in enumerate(segs):
                if k > 0:
                    # wait for the continuation request, or the command's end if refused
                    while True:
                        r = peer.response(deadline)
                        lines.append(r)
                        if r.startswith(b"+"):
                            break
                        if r.startswith(tag + b" "):
                            done = True
                            break
                    if done:
                        break
                peer.send(seg)
            while not done:
                r = peer.response(deadline)
                lines.append(r)
                m = re.search(rb"\[UIDVALIDITY (\d+)\]", r)
                if m:
                    uidvalidity = m.group(1)
                m = re.search(rb"\[HIGHESTMODSEQ (\d+)\]", r)
                if m:
                    highest[tag.decode()] = m.group(1)
                if r.startswith(tag + b" "):
                    if COMPRESS_CMD.match(sent) and r.startswith(tag + b" OK"):
                        # RFC 4978 3: "compression is active" from the octet after this CRLF
                        peer.start_deflate()
                        compressed_at = len(out)
                    break
                if r.startswith(b"* BYE"):
                    # after BYE the connection ends (LOGOUT's tagged OK may still follow)
                    try:
                        r = peer.response(time.time() + 2)
                        lines.append(r)
                    except (EOFError, TimeoutError):
                        pass
                    break
                if not VALID_TAG.match(tag) and re.match(rb"^\S+ BAD", r):
                    # not a tag (RFC 3501 9: tag = 1*<any ASTRING-CHAR except "+">): the answer
                    # is an untagged BAD
                    break
        except TimeoutError:
            lines.append(b"<no answer within %d s>" % TIMEOUT)
            break
        except EOFError:
            lines.append(b"<connection closed>")
            break
        except OSError as e:
            lines.append(b"<connection error %s>" % str(e).encode())
            break
    if compressed_at is not None and compressed_at < len(commands) and not peer.inflated_lines:
        # commands followed a COMPRESS answered OK but no response came through the inflater: the
        # conversation proved nothing about compression, even if both sides look alike
        out.append((HARNESS_FAILURE, [b"no response came through deflate after COMPRESS"]))
    return out


HARNESS_FAILURE = "<harness>"


def dovecot_session(work, maildir, commands, as_nobody):
    env = {"PATH": "/usr/bin:/bin", "USER": "nobody" if as_nobody else os.environ.get("USER", "root"),
           "HOME": os.path.dirname(maildir), "TZ": "UTC"}
    argv = [DOVECOT, "-c", os.path.join(work, "dovecot.conf"), "-o", "mail_location=maildir:%s:LAYOUT=maildir++:UTF-8" % maildir,
            # METADATA (RFC 5464; conformance/metadata.imapc): Dovecot keeps annotations only in a dict
            "-o", "mail_attribute_dict=file:%s/dovecot-attributes" % maildir]
    if as_nobody:
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + argv
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    fd = proc.stdout.fileno()

    def recv(timeout):
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            raise TimeoutError()
        return os.read(fd, 65536)

    def send(data):
        proc.stdin.write(data)
        proc.stdin.flush()

    peer = Peer(recv, send)
    try:
        greeting = peer.readline(time.time() + TIMEOUT)
        if not greeting.startswith(b"* PREAUTH"):
            raise RuntimeError("Dovecot greeted with %r; stderr: %r" % (greeting, proc.stderr.read()))
        return run_commands(peer, commands)
    finally:
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def posthorn_session(port, user, commands):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    try:
        def recv(timeout):
            s.settimeout(max(timeout, 0.01))
            try:
                return s.recv(65536)
            except socket.timeout:
                raise TimeoutError()

        peer = Peer(recv, s.sendall)
        deadline = time.time() + TIMEOUT
        greeting = peer.readline(deadline)
        if not greeting.startswith(b"* OK"):
            raise RuntimeError("Posthorn greeted with %r" % greeting)
        peer.send(b"L0 LOGIN %s %s\r\n" % (user.encode(), PASSWORD.encode()))
        while True:
            r = peer.response(deadline)
            if r.startswith(b"L0 "):
                if not r.startswith(b"L0 OK"):
                    raise RuntimeError("Posthorn login as %s failed: %r" % (user, r))
                break
        return run_commands(peer, commands)
    finally:
        s.close()


# ---------------------------------------------------------------------------------------------
# Parsing responses into a canonical form

class Str:
    """An IMAP string; quoted and literal forms are equal (RFC 3501 4.3: 'A string is in one of two
    forms: either literal or quoted string'; which one is the sender's choice)."""
    __slots__ = ("b",)

    def __init__(self, b):
        self.b = b

    def __eq__(self, other):
        return isinstance(other, Str) and other.b == self.b

    def __hash__(self):
        return hash(self.b)


class ParseError(Exception):
    pass


ATOM_END = b" ()\r\n"


def tokenize(data, i=0, depth=0):
    """Parses a space-separated sequence of atoms, strings and parenthesised lists up to ')' or the
    end. Returns (list, next index). An atom may hold [...] with spaces and parens inside
    (BODY[HEADER.FIELDS (A B)], response codes)."""
    out = []
    n = len(data)
    while i < n:
        c = data[i:i + 1]
        if c == b" ":
            i += 1
        elif c == b"(":
            sub, i = tokenize(data, i + 1, depth + 1)
            if data[i:i + 1] != b")":
                raise ParseError("unclosed (")
            out.append(sub)
            i += 1
        elif c == b")":
            if depth == 0:
                raise ParseError("unbalanced )")
            return out, i
        elif c == b'"':
            j = i + 1
            buf = bytearray()
            while j < n and data[j:j + 1] != b'"':
                if data[j:j + 1] == b"\\":
                    j += 1
                buf += data[j:j + 1]
                j += 1
            if j >= n:
                raise ParseError("unclosed quoted string")
            out.append(Str(bytes(buf)))
            i = j + 1
        elif c in (b"{", b"~") and re.match(rb"~?\{\d+\}\r\n", data[i:]):
            m = re.match(rb"~?\{(\d+)\}\r\n", data[i:])
            start = i + m.end()
            length = int(m.group(1))
            out.append(Str(data[start:start + length]))
            i = start + length
        else:
            j = i
            while j < n and data[j:j + 1] not in (b" ", b"(", b")"):
                if data[j:j + 1] == b"[":
                    k = match_bracket(data, j)
                    j = k + 1
                else:
                    j += 1
            atom = data[i:j]
            # a partial fetch like BODY[]<0> follows its ']' directly
            out.append(atom)
            i = j
    if depth:
        raise ParseError("unclosed (")
    return out, i


def match_bracket(data, j):
    level = 0
    k = j
    while k < len(data):
        ch = data[k:k + 1]
        if ch == b"[":
            level += 1
        elif ch == b"]":
            level -= 1
            if level == 0:
                return k
        elif ch == b'"':
            k += 1
            while k < len(data) and data[k:k + 1] != b'"':
                if data[k:k + 1] == b"\\":
                    k += 1
                k += 1
        k += 1
    raise ParseError("unclosed [")


def show(tok):
    """Canonical text of a token tree."""
    if isinstance(tok, list):
        return "(" + " ".join(show(t) for t in tok) + ")"
    if isinstance(tok, Str):
        return '"' + tok.b.decode("latin-1").encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    return tok.decode("latin-1")


class Ctx:
    """Per-session state of the normaliser: UIDVALIDITY values renamed in order of appearance."""

    def __init__(self):
        self.uidvalidity = {}

    def uv(self, value):
        # RFC 3501 2.3.1.1: the server picks UIDVALIDITY (any value that changes when UIDs are
        # reused), per mailbox: two mailboxes may have the same value or different ones (Posthorn
        # gives folders made in the same second the same value, Dovecot does not); RFC 4315 3
        # (APPENDUID/COPYUID) carries the same value. So the value is not compared, its presence is.
        return "<uidvalidity>"


STATUS_WORDS = (b"OK", b"NO", b"BAD", b"BYE", b"PREAUTH")
LSUB_OPTIONAL = {b"\\haschildren", b"\\hasnochildren", b"\\sent", b"\\trash", b"\\drafts", b"\\junk",
                 b"\\archive", b"\\all", b"\\flagged"}
NOW_WINDOW = 2 * 3600


def sort_flags(tokens):
    # RFC 3501 9: flag-list = "(" [flag *(SP flag)] ")" and mbx-list-flags: a set, in no order.
    return sorted(tokens, key=show) if all(not isinstance(t, list) for t in tokens) else tokens


def norm_internaldate(tok):
    # RFC 3501 6.3.11: APPEND without a date-time takes the current time: a message appended during
    # the run has 'now' as INTERNALDATE on each server, a second apart at most. Only dates within two
    # hours of the run are treated so; the fixture's dates (2021) are compared as they are.
    if isinstance(tok, Str):
        try:
            t = time.mktime(time.strptime(tok.b.decode()[:20], "%d-%b-%Y %H:%M:%S"))
            if abs(t - time.mktime(time.gmtime(START))) < NOW_WINDOW:
                return "<now>"
        except ValueError:
            pass
    return show(tok)


def norm_code(code, ctx):
    """A response code's text inside [...], canonical."""
    inner = code[1:-1]
    name = inner.split(b" ", 1)[0].upper()
    rest = inner[len(name) + 1:] if b" " in inner else b""
    if name == b"CAPABILITY":
        # RFC 3501 7.1 / 7.2.1: each server announces its own extensions; conversations use only
        # those both announce.
        return "[CAPABILITY <list>]"
    if name == b"UIDVALIDITY":
        return "[UIDVALIDITY %s]" % ctx.uv(rest)
    if name in (b"APPENDUID", b"COPYUID"):
        parts = rest.split(b" ", 1)
        return "[%s %s %s]" % (name.decode(), ctx.uv(parts[0]), parts[1].decode("latin-1") if len(parts) > 1 else "")
    if name == b"BADEVENT":
        # RFC 5465 3.1: BADEVENT "MUST list names of all events supported by the server": each
        # server lists its own (as with CAPABILITY), so only the code is compared.
        return "[BADEVENT <list>]"
    if name == b"HIGHESTMODSEQ":
        # RFC 7162 3.1.1: a server picks its MODSEQ values (they only have to grow); presence compared.
        return "[HIGHESTMODSEQ <modseq>]"
    if name == b"BADCHARSET":
        # RFC 3501 7.1: BADCHARSET is "optionally followed by a parenthesized list of charsets".
        return "[BADCHARSET]"
    if name == b"PERMANENTFLAGS":
        toks, _ = tokenize(rest)
        return "[%s %s]" % (name.decode(), " ".join(show(sort_flags(t)) if isinstance(t, list) else show(t) for t in toks))
    return "[" + inner.decode("latin-1") + "]"


QUOTED_IN_SECTION = re.compile(rb'"((?:[^"\\]|\\.)*)"')


def norm_section(item):
    """A FETCH item name. RFC 3501 9: header-fld-name = astring, so a field name the server echoes
    in BODY[HEADER.FIELDS (...)] may be an atom or a string of the same text."""
    return QUOTED_IN_SECTION.sub(lambda m: re.sub(rb"\\(.)", rb"\1", m.group(1)), item).decode("latin-1")


def normalise_line(line, ctx):
    """One response, canonical. Raises ParseError if it is not well formed."""
    if line.startswith(b"<"):
        return line.decode("latin-1")  # the harness's own notes (timeout, closed)
    if line.startswith(b"+"):
        # RFC 3501 7.5: continue-req = "+" SP (resp-text / base64); the text is for humans.
        return "+"
    head, _, rest = line.partition(b" ")
    word, _, after = rest.partition(b" ")
    if head != b"*" and word.upper() not in STATUS_WORDS:
        raise ParseError("a tagged response must be OK, NO or BAD")
    if word.upper() in STATUS_WORDS:
        # RFC 3501 7.1: resp-text = ["[" resp-text-code "]" SP] text; the text is human-readable
        # (servers word it as they like). The code is compared.
        out = head.decode("latin-1") + " " + word.decode()
        if after.startswith(b"["):
            k = match_bracket(after, 0)
            code = after[1:k].split(b" ", 1)[0].upper()
            if code == b"CLIENTBUG" and head != b"*" and word.upper() == b"OK":
                # RFC 5530 3: CLIENTBUG on an OK is advice to the client's author ("the server has
                # detected a client bug"); Dovecot gives it for STATUS of the selected mailbox.
                return out
            if code == b"MAILBOXID" and head == b"*" and word.upper() == b"OK":
                # RFC 8474 4.2: SELECT's OK [MAILBOXID (...)] comes with OBJECTID, which Dovecot 2.3
                # does not have; RFC 3501 7.1 lets a client ignore response codes it does not know.
                return None
            if code == b"CLOSED" and head == b"*":
                # RFC 7162 3.2.11: a server announcing QRESYNC (Dovecot) sends OK [CLOSED] when
                # SELECT/EXAMINE closes the previous mailbox; one without (Posthorn in IMAP4rev1)
                # does not. RFC 3501 7.1 lets a client ignore response codes it does not know.
                return None
            out += " " + norm_code(after[:k + 1], ctx)
        return out
    if word.isdigit():
        num, _, kind_rest = rest.partition(b" ")
        kind, _, data = kind_rest.partition(b" ")
        if kind.upper() == b"FETCH":
            toks, _ = tokenize(data)
            if len(toks) != 1 or not isinstance(toks[0], list) or len(toks[0]) % 2:
                raise ParseError("FETCH data is not a list of pairs")
            items = toks[0]
            pairs = []
            for a, v in zip(items[0::2], items[1::2]):
                if not isinstance(a, bytes):
                    raise ParseError("FETCH item name is not an atom")
                if a.upper() == b"FLAGS" and isinstance(v, list):
                    text = show(sort_flags(v))
                elif a.upper() == b"INTERNALDATE":
                    text = norm_internaldate(v)
                elif a.upper() == b"MODSEQ":
                    text = "(<modseq>)"  # RFC 7162 3.1.1: the server's own values, as HIGHESTMODSEQ
                else:
                    text = show(v)
                pairs.append((norm_section(a), text))
            # RFC 3501 7.4.2 / 9: msg-att = "(" (msg-att-dynamic / msg-att-static) *(SP ...) ")":
            # the data items come in no prescribed order.
            pairs.sort()
            return "* %s FETCH (%s)" % (num.decode(), " ".join("%s %s" % p for p in pairs))
        return line.decode("latin-1")
    up = word.upper()
    if up == b"CAPABILITY":
        # RFC 3501 7.2.1: the server's own list (see norm_code).
        return "* CAPABILITY <list>"
    if up == b"FLAGS":
        toks, _ = tokenize(after)
        return "* FLAGS " + " ".join(show(sort_flags(t)) if isinstance(t, list) else show(t) for t in toks)
    if up in (b"LIST", b"LSUB"):
        toks, _ = tokenize(after)
        if len(toks) < 3 or not isinstance(toks[0], list):
            raise ParseError("LIST response without attributes, delimiter and name")
        name = toks[2]
        # RFC 3501 9: mailbox = "INBOX" / astring: an atom and a string of the same text are the
        # same name.
        if isinstance(name, bytes):
            name = Str(name)
        attrs = toks[0]
        if up == b"LSUB":
            # RFC 3348 (CHILDREN) lets a server add \HasChildren/\HasNoChildren to LSUB as it may
            # to LIST, and RFC 6154 special-use attributes are extensions a client ignores where it
            # did not ask (RFC 3501 7.2.3 mbx-list-flags are open); Posthorn adds them to LSUB,
            # Dovecot does not. \Noselect, the one RFC 3501 6.3.9 defines for LSUB, is compared.
            attrs = [a for a in attrs if not (isinstance(a, bytes) and a.lower() in LSUB_OPTIONAL)]
        return "* %s %s %s %s%s" % (up.decode(), show(sort_flags(attrs)), show(toks[1]), show(name),
                                    "".join(" " + show(t) for t in toks[3:]))
    if up == b"STATUS":
        toks, _ = tokenize(after)
        if len(toks) != 2 or not isinstance(toks[1], list) or len(toks[1]) % 2:
            raise ParseError("STATUS response is not name (pairs)")
        name = toks[0] if isinstance(toks[0], Str) else Str(toks[0])  # astring, as above
        if name.b.upper() == b"INBOX":
            # RFC 3501 5.1: INBOX is case-insensitive; a server may echo it as asked or as INBOX.
            name = Str(b"INBOX")
        pairs = []
        for a, v in zip(toks[1][0::2], toks[1][1::2]):
            text = ctx.uv(v) if a.upper() == b"UIDVALIDITY" else "<modseq>" if a.upper() == b"HIGHESTMODSEQ" else show(v)
            pairs.append("%s %s" % (show(a), text))
        # RFC 3501 9: status-att-list = status-att-val *(SP status-att-val): in no prescribed order
        pairs.sort()
        return "* STATUS %s (%s)" % (show(name), " ".join(pairs))
    if up == b"METADATA":
        # RFC 5464 4.4: "METADATA" SP mailbox SP entry-values, entry names astrings and values
        # nstring / literal8: an atom and a string of the same text, and the quoted and literal
        # forms of a value, are equal (RFC 3501 4.3 and 9, as for STATUS above).
        toks, _ = tokenize(after)
        if len(toks) != 2 or not isinstance(toks[1], list) or len(toks[1]) % 2:
            raise ParseError("METADATA response is not mailbox (entry value ...)")
        name = toks[0] if isinstance(toks[0], Str) else Str(toks[0])
        if name.b.upper() == b"INBOX":
            name = Str(b"INBOX")
        pairs = []
        for e, v in zip(toks[1][0::2], toks[1][1::2]):
            pairs.append("%s %s" % (show(e if isinstance(e, Str) else Str(e)), show(v)))
        # RFC 5464 4.4.1: entry-values = entry-value *(SP entry-value), in no prescribed order
        pairs.sort()
        return "* METADATA %s (%s)" % (show(name), " ".join(pairs))
    if up == b"ENABLED" and not after.strip():
        # RFC 5161 3.2: enabled-data = "ENABLED" *(SP capability): an ENABLED listing nothing says
        # nothing was enabled, as does no ENABLED (Dovecot sends none when nothing was enabled).
        return None
    if up in (b"SEARCH", b"ESEARCH"):
        # RFC 7162 3.1.5: the highest MODSEQ found, "(MODSEQ n)" after SEARCH, "MODSEQ n" in ESEARCH:
        # the server's own value (3.1.1), compared for presence only.
        after = re.sub(rb"MODSEQ \d+", b"MODSEQ <modseq>", after)
    if up in (b"NAMESPACE", b"ENABLED", b"SEARCH", b"SORT", b"THREAD", b"ESEARCH"):
        toks, _ = tokenize(after)
        return "* %s %s" % (up.decode(), " ".join(show(t) for t in toks)) if toks else "* " + up.decode()
    return line.decode("latin-1")


RENUMBERS = re.compile(r"^\* (\d+ EXISTS|\d+ EXPUNGE|EXPUNGE .*)$")


def normalise_reply(lines, ctx):
    """A command's responses, canonical. Untagged responses between two that renumber messages
    (EXISTS, EXPUNGE) are sorted: RFC 3501 7 lets a server send untagged data in any order (SELECT's
    FLAGS, EXISTS, RECENT and OK [...] responses, LIST's and FETCH's lines in 6.3.1, 6.3.8, 6.4.5
    come in no prescribed order), while EXISTS and EXPUNGE change what the numbers after them mean
    (7.3.1, 7.4.1), so they stay where they are. The tagged response stays last."""
    out = []
    for line in lines:
        try:
            x = normalise_line(line, ctx)
            if x is not None:
                out.append(x)
        except (ParseError, ValueError, IndexError) as e:
            out.append("<malformed: %s> %s" % (e, line.decode("latin-1")))
    if out and re.match(r"^\S+ (NO|BAD)", out[-1]) and not out[-1].startswith("*"):
        # RFC 3501 7.5 and 5.5: a server may refuse a command before its literal (no continuation
        # request) or read the literal and then refuse it (after one); the result is the same.
        out = [x for x in out if x != "+"]
    if out and re.match(r"^\S+ NO \[UNKNOWN-CTE\]", out[-1]):
        # RFC 3516 4.3: a FETCH refused with UNKNOWN-CTE returns no data for that message; what a
        # server wrote before deciding (Dovecot 2.3: '* 1 FETCH (UID 1)' or the items before the
        # failing one) is not promised (RFC 3501 7: untagged data may come with any result).
        out = [x for x in out if not FETCH_LINE.match(x)]
    out = merge_expunges(out)
    result = []
    seg = []
    for x in out:
        if x.startswith("*") and not RENUMBERS.match(x):
            seg.append(x)
        else:
            result.extend(sorted(seg))
            seg = []
            result.append(x)
    result.extend(sorted(seg))
    return result


EXPUNGE = re.compile(r"^\* (\d+) EXPUNGE$")
FETCH_LINE = re.compile(r"^\* \d+ FETCH ")


def merge_expunges(out):
    """RFC 3501 7.4.1: each EXPUNGE renumbers the messages after it, so '* 8 EXPUNGE, * 3 EXPUNGE,
    * 1 EXPUNGE' and '* 1 EXPUNGE, * 2 EXPUNGE, * 6 EXPUNGE' remove the same messages; the server
    picks the order. A run of EXPUNGE responses becomes the set of sequence numbers the messages had
    before the run."""
    result = []
    i = 0
    while i < len(out):
        if not EXPUNGE.match(out[i]):
            result.append(out[i])
            i += 1
            continue
        removed = []  # sequence numbers before the run
        while i < len(out) and EXPUNGE.match(out[i]):
            n = int(EXPUNGE.match(out[i]).group(1))
            # map n (a number after the removals so far) back to the number before the run
            orig = n
            for r in sorted(removed):
                if r <= orig:
                    orig += 1
            removed.append(orig)
            i += 1
        result.append("* EXPUNGE (messages %s before)" % " ".join(str(r) for r in sorted(removed)))
    return result


STORE_CMD = re.compile(r"^\S+ (UID )?STORE \S+ [+-]?FLAGS(?!\.SILENT)", re.I)
FETCH_FLAGS = re.compile(r"^\* (\d+) FETCH \((FLAGS \([^)]*\))( UID \d+)?\)$")
FLAGS_ITEM = re.compile(r"^\* (\d+) FETCH \(.*\bFLAGS (\([^)]*\))")


def render(transcript):
    """The normalised transcript, one 'C: ' line per command and 'S: ' per response."""
    ctx = Ctx()
    known = {}  # sequence number -> flags this server last reported for it
    text = []
    for command, lines in transcript:
        text.append("C: " + command)
        reply = normalise_reply(lines, ctx)
        if STORE_CMD.match(command):
            # RFC 3501 6.4.6: "Normally, STORE will return the updated value of the data with an
            # untagged FETCH response"; normally, not always: Dovecot leaves out the FETCH of a
            # message whose flags the STORE did not change, Posthorn sends it. A FETCH of flags
            # equal to those the same server last reported for that message is dropped; one for a
            # message whose flags were never reported in the conversation stays.
            reply = [r for r in reply if not (FETCH_FLAGS.match(r) and known.get(int(FETCH_FLAGS.match(r).group(1)))
                                               == FETCH_FLAGS.match(r).group(2)[6:])]
        if COMPRESS_ANY.match(command):
            # RFC 4978 3 answers a refused COMPRESS with BAD ("invalid or unknown argument, or
            # COMPRESS already active"; NO is for compression active in another layer, e.g. TLS);
            # Dovecot 2.3 answers NO to both. Either way the command failed and nothing changed on
            # the connection (RFC 3501 7.1.2, 7.1.3), which the next commands of the conversation
            # show; the response code ([COMPRESSIONACTIVE]) is compared.
            reply = [re.sub(r"^(\S+) (NO|BAD)\b", r"\1 NO|BAD", r) if not r.startswith("*") else r for r in reply]
        for r in reply:
            m = FLAGS_ITEM.match(r)
            if m:
                known[int(m.group(1))] = m.group(2)
            m = EXPUNGE_RUN.match(r)
            if m:
                gone = sorted(int(x) for x in m.group(1).split())
                shifted = {}
                for n, f in known.items():
                    if n not in gone:
                        shifted[n - sum(1 for g in gone if g < n)] = f
                known = shifted
            text.append("S: " + r)
    return text


EXPUNGE_RUN = re.compile(r"^\* EXPUNGE \(messages ([\d ]+) before\)$")


# ---------------------------------------------------------------------------------------------
# The run

# RFC 5530 3: response codes a server may add to NO/BAD to say why; none is required.
RFC5530 = {"UNAVAILABLE", "AUTHENTICATIONFAILED", "AUTHORIZATIONFAILED", "EXPIRED", "PRIVACYREQUIRED",
           "CONTACTADMIN", "NOPERM", "INUSE", "EXPUNGEISSUED", "CORRUPTION", "SERVERBUG", "CLIENTBUG",
           "CANNOT", "LIMIT", "OVERQUOTA", "ALREADYEXISTS", "NONEXISTENT"}
TAGGED_NO = re.compile(r"^S: (\S+) (NO|BAD)( \[([A-Z]+)\])?$")


def optional_codes(d, p):
    """Posthorn's lines, with a tagged NO/BAD that carries an RFC 5530 code written as Dovecot's
    where Dovecot answered the same status without any code (or the other way round): RFC 5530
    codes are optional (section 3), so 'NO' and 'NO [NONEXISTENT]' are the same answer. A code on
    both sides is compared. Lines are matched by position; a conversation that differs elsewhere
    still fails."""
    out = list(p)
    if len(d) != len(p):
        return out
    for i, (a, b) in enumerate(zip(d, p)):
        ma, mb = TAGGED_NO.match(a), TAGGED_NO.match(b)
        if a == b or not ma or not mb or ma.group(1, 2) != mb.group(1, 2):
            continue
        codes = {ma.group(4), mb.group(4)}
        if None in codes and (codes - {None}) <= RFC5530:
            out[i] = a
    return out


def main():
    args = sys.argv[1:]
    only = args[args.index("-k") + 1] if "-k" in args[:-1] else None
    verbose = "-v" in args
    keep = "--keep" in args or bool(os.environ.get("E2E_KEEP"))
    jobs = int(args[args.index("-j") + 1]) if "-j" in args[:-1] else 6
    convs = load_conversations()
    if "--list" in args:
        for c in convs:
            print(c.name, "(left out: %s)" % c.skip if c.skip else "")
        print("%d conversations" % len(convs))
        return 0
    if only:
        convs = [c for c in convs if only in c.name]
    if not os.path.exists(DOVECOT):
        print("conformance: %s is missing (apt-get install dovecot-imapd; tools/test-deps does it)" % DOVECOT)
        return 1
    run = [c for c in convs if not c.skip]
    left_out = [c for c in convs if c.skip]

    t_begin = time.time()
    work = tempfile.mkdtemp(prefix="posthorn-conformance-", dir=scratch_dir())
    as_nobody = os.geteuid() == 0
    os.chmod(work, 0o755)
    fixture = os.path.join(work, "fixture")
    build_fixture(fixture)
    with open(os.path.join(work, "dovecot.conf"), "w") as f:
        f.write(dovecot_config(work))
    os.makedirs(os.path.join(work, "dovecot-run"))
    os.makedirs(os.path.join(work, "dovecot-state"))
    if as_nobody:
        for d in ("dovecot-run", "dovecot-state"):
            os.chown(os.path.join(work, d), 65534, 65534)
    # Dovecot's copy: Dovecot counts every message it has not seen in a session before as \Recent
    # (cur/ or new/), Courier's imapd and Posthorn the messages still in new/. Both are RFC 3501 2.3.2
    # ("first session to have been notified"); to give both servers the same history, Dovecot sees
    # the cur/ messages once (a session that selects every folder) before those in new/ arrive.
    dfixture = os.path.join(work, "fixture-dovecot")
    build_fixture(dfixture, only_new=False)
    if as_nobody:
        copy_maildir(dfixture, dfixture + ".tmp", (65534, 65534))
        shutil.rmtree(dfixture)
        os.rename(dfixture + ".tmp", dfixture)
    primed = dovecot_session(work, dfixture, ["p%d SELECT \"%s\"" % (i, f) for i, f in enumerate(tables.FOLDERS)],
                             as_nobody)
    for command, lines in primed:
        if not lines or not lines[-1].split(b" ")[1:2] == [b"OK"]:
            raise SystemExit("conformance: Dovecot could not prime the fixture: %s -> %r" % (command, lines))
    build_fixture(dfixture, only_new=True)
    if as_nobody:
        for r, dirs, files in os.walk(dfixture):
            for n in dirs + files:
                os.chown(os.path.join(r, n), 65534, 65534)
    # Then both servers see every folder once more with STATUS (no \Recent taken), so that each has
    # given UIDs to all messages before a conversation starts: an APPEND to a folder whose new/
    # messages have no UID yet gets the next UID before them on Dovecot and after them on Posthorn,
    # a history no client can tell apart (RFC 3501 2.3.1.1 asks only for ascending UIDs).
    status_all = ["p%d STATUS \"%s\" (MESSAGES UIDNEXT)" % (i, f) for i, f in enumerate(tables.FOLDERS)]
    for command, lines in dovecot_session(work, dfixture, status_all, as_nobody):
        if not lines or not lines[-1].split(b" ")[1:2] == [b"OK"]:
            raise SystemExit("conformance: Dovecot could not prime the fixture: %s -> %r" % (command, lines))

    users = {}
    lines = []
    # MD5-crypt: the cheapest hash the userdb backend takes; 800 logins of SHA-512 crypt cost seconds
    pwhash = subprocess.run(["openssl", "passwd", "-1", "-salt", "conformance", PASSWORD],
                            capture_output=True, check=True, text=True).stdout.strip()
    lines.append("prime\tuid=%d|gid=%d|home=%s|mail=%s|systempw=%s\n"
                 % (os.getuid(), os.getgid(), work, fixture, pwhash))
    for i, c in enumerate(run):
        user = "u%d" % i
        users[c.name] = user
        home = os.path.join(work, "p", user)
        os.makedirs(home)
        lines.append("%s\tuid=%d|gid=%d|home=%s|mail=%s/Maildir|systempw=%s\n"
                     % (user, os.getuid(), os.getgid(), home, home, pwhash))
        dhome = os.path.join(work, "d", user)
        os.makedirs(dhome)
        copy_maildir(dfixture, os.path.join(dhome, "Maildir"), (65534, 65534) if as_nobody else None)
        if as_nobody:
            os.chown(dhome, 65534, 65534)
    if os.path.isdir(os.path.join(work, "d")):  # no conversation ran (all left out)
        os.chmod(os.path.join(work, "d"), 0o755)

    srv = Server(os.path.join(work, "posthorn"), free_port())
    os.makedirs(srv.var, exist_ok=True)
    with open(os.path.join(srv.var, "userdb"), "w") as f:
        f.writelines(lines)
    os.chmod(os.path.join(srv.var, "userdb"), 0o600)
    tune_posthorn_config(srv.conf)
    os.environ["TZ"] = "UTC"
    passed = failed = 0
    setup_failed = False
    t0 = time.time()
    try:
        srv.start()
        t_started = time.time()
        for command, lines in posthorn_session(srv.port, "prime", status_all):
            if not lines or not lines[-1].split(b" ")[1:2] == [b"OK"]:
                raise RuntimeError("Posthorn could not prime the fixture: %s -> %r" % (command, lines))
        for c in run:
            copy_maildir(fixture, os.path.join(work, "p", users[c.name], "Maildir"))

        def one(c):
            user = users[c.name]
            try:
                d = dovecot_session(work, os.path.join(work, "d", user, "Maildir"), c.commands, as_nobody)
                p = posthorn_session(srv.port, user, c.commands)
            except Exception as e:  # a broken set-up is a failure of this conversation
                return c, None, None, "%s: %s" % (type(e).__name__, e)
            for side, t in (("dovecot", d), ("posthorn", p)):
                if t and t[-1][0] == HARNESS_FAILURE:
                    return c, None, None, "%s: %s" % (side, t[-1][1][0].decode())
            return c, render(d), render(p), None

        def discard(c):
            # A passed conversation's two Maildirs go at once (some 100 files with Dovecot's indexes):
            # deleting 800 of them at the end took minutes on a busy disk.
            if not keep:
                shutil.rmtree(os.path.join(work, "p", users[c.name]), ignore_errors=True)
                shutil.rmtree(os.path.join(work, "d", users[c.name]), ignore_errors=True)

        t_conv = time.time()
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            for c, d, p, err in pool.map(one, run):
                if err is None:
                    p = optional_codes(d, p)
                if err is None and d == p:
                    discard(c)
                    passed += 1
                    if verbose:
                        print("PASS %s\n  %s" % (c.name, "\n  ".join(d)))
                    continue
                failed += 1
                print("FAIL %s (%s)" % (c.name, c.source))
                if err:
                    print("  " + err)
                else:
                    for l in difflib.unified_diff(d, p, "dovecot", "posthorn", n=3, lineterm=""):
                        print("  " + l)
                sys.stdout.flush()
    except Exception as e:
        setup_failed = True
        failed += 1
        print("FAIL setup: %s: %s" % (type(e).__name__, e))
    finally:
        if srv.proc and srv.proc.poll() is None:
            srv.stop()
    for c in left_out:
        print("LEFT OUT %s: %s" % (c.name, c.skip))
    if failed and (setup_failed or verbose) and os.path.exists(srv.err_path):
        print("server log (last 40 lines):\n" + "\n".join(srv.stderr().splitlines()[-40:]))
    try:
        print("conformance: fixture and Dovecot priming %.1f s, server start %.1f s, copies %.1f s, "
              "conversations %.1f s" % (t0 - t_begin, t_started - t0, t_conv - t_started, time.time() - t_conv))
    except NameError:
        pass
    print("conformance: %d passed, %d failed, %d left out (%d conversations, %.1f s)"
          % (passed, failed, len(left_out), len(convs), time.time() - t_begin))
    if keep or failed:
        print("conformance: work directory kept: %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


def scratch_dir():
    """Where the work directory goes: a tmpfs (/dev/shm) with room to spare when there is one (the
    run writes some 90,000 small files, which a shared disk makes slow), else the system's default."""
    shm = "/dev/shm"
    try:
        st = os.statvfs(shm)
        if os.access(shm, os.W_OK) and st.f_bavail * st.f_frsize > 2 * 1024 ** 3:
            return shm
    except OSError:
        pass
    return None


def dovecot_config(work):
    return """# Written by integration-tests/clients/conformance.py
base_dir = {w}/dovecot-run
state_dir = {w}/dovecot-state
log_path = /dev/stderr
protocols = imap
ssl = no
# METADATA (RFC 5464) is off in Dovecot unless configured (conformance/metadata.imapc)
imap_metadata = yes
# COMPRESS=DEFLATE (RFC 4978; conformance/compress.imapc) is Dovecot 2.3's imap_zlib plugin
mail_plugins = $mail_plugins imap_zlib
mail_fsync = never
# Maildir++ with '.' as separator and the personal namespace without prefix (top-level folders),
# as Posthorn serves it by default; mail_location (set per conversation with -o) has :UTF-8 for
# folder names on disk in UTF-8, as Courier-IMAP 5 and Posthorn keep them.
namespace inbox {{
  inbox = yes
  separator = .
  prefix =
  # RFC 6154 special-use attributes for the top-level names Posthorn gives them to
  mailbox Sent {{
    special_use = \\Sent
  }}
  mailbox Drafts {{
    special_use = \\Drafts
  }}
  mailbox Trash {{
    special_use = \\Trash
  }}
  mailbox Junk {{
    special_use = \\Junk
  }}
  mailbox Archive {{
    special_use = \\Archive
  }}
}}
""".format(w=work)


def tune_posthorn_config(conf):
    """The shipped config/, with limits of one address raised: every conversation of the run comes
    from 127.0.0.1, several at once."""
    path = os.path.join(conf, "imapd.cfg")
    with open(path) as f:
        text = f.read()
    text = re.sub(r"(?m)^max\.per\.ip=.*$", "max.per.ip=100", text)
    with open(path, "w") as f:
        f.write(text)
    path = os.path.join(conf, "auth.userdb.cfg")
    with open(path) as f:
        text = f.read()
    text = re.sub(r"(?m)^demo=.*$", "demo=false", text)
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
