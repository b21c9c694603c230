#!/usr/bin/env python3
"""End-to-end tests of NOTIFY (RFC 5465) and INPROGRESS (RFC 9585) through the exported server.

Session A (a raw socket with a reader thread, so that untagged responses arriving between commands
are seen as they come) sets NOTIFY for SELECTED and PERSONAL; session B (imaplib) appends, stores
flags, expunges, creates, renames and deletes a folder, (un)subscribes; and an outside delivery (a
file renamed into a folder's new/, as an MDA does) lands in a folder A has not selected. A must see
the right untagged responses within a deadline, with no command of its own running. INPROGRESS: a
SEARCH on a generated folder of a few thousand messages, with inprogress.interval set low, sends
INPROGRESS codes whose counts increase. Prints 'e2e-notify: N passed, N failed'.

FlagChange in a folder not selected (RFC 5465 5.1): a STATUS with HIGHESTMODSEQ for a session with
CONDSTORE on, with UNSEEN only for one without it, after a STORE by another session and after a file
renamed in cur/ by hand. METADATA events (5.6, 5.7): an unsolicited METADATA naming the entries another
session's SETMETADATA changed.

Usage: e2e_notify.py [-k NAME]
"""
import imaplib
import os
import re
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import Server, deliver, free_port, run_suite  # noqa: E402

DEADLINE = 20  # seconds for a notice to arrive (inotify: well under one; the machine may be loaded)


class Client:
    """A raw IMAP session whose every line is collected by a reader thread."""

    def __init__(self, srv):
        self.sock = socket.create_connection(("127.0.0.1", srv.port), timeout=60)
        self.file = self.sock.makefile("rb")
        self.lines = []
        self.cond = threading.Condition()
        self.n = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for(rb"^\* OK")

    def _read(self):
        while True:
            try:
                line = self.file.readline()
            except OSError:
                return
            if not line:
                return
            # a literal: read its bytes into the same entry
            m = re.search(rb"\{(\d+)\}\r\n$", line)
            if m:
                line += self.file.read(int(m.group(1)))
                line += self.file.readline()
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()

    def send(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def mark(self):
        """The position from which the next waits look."""
        with self.cond:
            return len(self.lines)

    def wait_for(self, pattern, since=0, secs=DEADLINE):
        rx = re.compile(pattern, re.M)
        end = time.time() + secs
        with self.cond:
            while True:
                for line in self.lines[since:]:
                    if rx.search(line):
                        return line
                left = end - time.time()
                if left <= 0:
                    raise AssertionError("no line matching %r within %d s; got %r" % (pattern, secs, self.lines[since:]))
                self.cond.wait(left)

    def command(self, text, secs=DEADLINE):
        self.n += 1
        tag = "a%d" % self.n
        since = self.mark()
        self.send("%s %s" % (tag, text))
        done = self.wait_for(rb"^" + tag.encode() + rb" (OK|NO|BAD)", since, secs)
        with self.cond:
            return done, self.lines[since:]

    def close(self):
        try:
            self.send("z LOGOUT")
        finally:
            self.sock.close()


def login_a(srv, user="demo"):
    a = Client(srv)
    done, _ = a.command("LOGIN %s %s" % (user, srv.password()))
    assert b"OK" in done, done
    return a


def login_b(srv):
    m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
    m.login("demo", srv.password())
    return m


def text(lines):
    return b"".join(lines).decode("utf-8", "replace")


def test_capability_announces_notify_and_inprogress(srv):
    a = login_a(srv)
    try:
        done, lines = a.command("CAPABILITY")
        caps = text(lines)
        assert " NOTIFY" in caps and " INPROGRESS" in caps, caps
    finally:
        a.close()


def test_grammar_answers(srv):
    a = login_a(srv)
    try:
        for cmd, want in (
                ("NOTIFY NONE", b"OK"),
                ("NOTIFY SET (selected (MessageNew MessageExpunge))", b"OK"),
                ("NOTIFY SET (selected (MessageNew))", b"BAD"),                  # 5: together
                ("NOTIFY SET (personal (FlagChange))", b"BAD"),                  # 5: FlagChange needs both
                ("NOTIFY SET (selected (MailboxName))", b"BAD"),                 # 6.1: message events only
                ("NOTIFY SET (selected NONE) (selected-delayed NONE)", b"BAD"),  # 6.1: one of them
                ("NOTIFY SET (bogus NONE)", b"BAD"),
                ("NOTIFY SET", b"BAD"),
                ("NOTIFY SET (personal (MessageNew MessageExpunge AnnotationChange))", b"NO [BADEVENT"),
                ("NOTIFY SET (personal (Frobnicate))", b"NO [BADEVENT"),
                ("NOTIFY SET (mailboxes (INBOX Nowhere) (MessageNew MessageExpunge))", b"OK"),
                ("NOTIFY NONE", b"OK")):
            done, lines = a.command(cmd)
            assert done.split(b" ", 1)[1].startswith(want), (cmd, done)
        done, _ = a.command("NOTIFY SET (personal (Frobnicate))")
        # METADATA is on (imapd.cfg metadata=true): its events are supported too (RFC 5465 5.6, 5.7)
        assert (b"[BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange "
                b"MailboxMetadataChange ServerMetadataChange)]") in done, done
    finally:
        a.close()


def test_set_status_reports_each_watched_mailbox(srv):
    b = login_b(srv)
    b.create("StatusBox")
    b.logout()
    a = login_a(srv)
    try:
        done, lines = a.command("NOTIFY SET STATUS (personal (MessageNew MessageExpunge))")
        assert b" OK" in done, done
        t = text(lines)
        assert re.search(r'\* STATUS INBOX \(MESSAGES \d+ UIDNEXT \d+ UIDVALIDITY \d+ UNSEEN \d+\)', t), t
        assert re.search(r'\* STATUS StatusBox \(MESSAGES 0 UIDNEXT \d+ UIDVALIDITY \d+ UNSEEN 0\)', t), t
    finally:
        a.close()


def test_selected_events_and_personal_between_commands(srv):
    a = login_a(srv)
    b = login_b(srv)
    try:
        b.create("Watched")
        b.create("Other")
        done, lines = a.command("SELECT Watched")
        assert b"OK" in done
        done, lines = a.command(
            "NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) MessageExpunge FlagChange)) "
            "(personal (MessageNew MessageExpunge MailboxName SubscriptionChange))")
        assert b" OK" in done, done

        # APPEND by B: EXISTS, then FETCH with the attributes asked for, with no command from A
        since = a.mark()
        b.append("Watched", None, None, b"Subject: pushed one\r\n\r\nbody\r\n")
        a.wait_for(rb"^\* 1 EXISTS", since)
        fetch = a.wait_for(rb"(?i)^\* 1 FETCH \(UID \d+ BODY\[HEADER\.FIELDS \(SUBJECT\)\]", since)
        assert b"pushed one" in fetch, fetch

        # STORE by B: FETCH FLAGS
        since = a.mark()
        b.select("Watched")
        b.store("1", "+FLAGS", "(\\Flagged)")
        a.wait_for(rb"^\* 1 FETCH \(FLAGS \([^)]*\\Flagged", since)

        # EXPUNGE by B: EXPUNGE at once (SELECTED, not SELECTED-DELAYED)
        since = a.mark()
        b.store("1", "+FLAGS", "(\\Deleted)")
        b.expunge()
        a.wait_for(rb"^\* 1 EXPUNGE", since)
        b.close()

        # a message into a folder A has not selected: STATUS (UIDNEXT MESSAGES)
        since = a.mark()
        b.append("Other", None, None, b"Subject: elsewhere\r\n\r\nx\r\n")
        a.wait_for(rb'^\* STATUS Other \(UIDNEXT \d+ MESSAGES 1\)', since)

        # CREATE, RENAME, DELETE by B: LIST, LIST with OLDNAME, LIST \NonExistent
        since = a.mark()
        b.create("Fresh")
        a.wait_for(rb'^\* LIST \([^)]*\) "\." Fresh', since)
        since = a.mark()
        b.rename("Fresh", "Renamed")
        a.wait_for(rb'^\* LIST \([^)]*\) "\." Renamed \("OLDNAME" \(Fresh\)\)', since)
        # a rename through this server is one event, not a deletion and a creation (5.4)
        assert not any(b"NonExistent" in l and b"Fresh" in l for l in a.lines[since:]), a.lines[since:]
        since = a.mark()
        b.delete("Renamed")
        a.wait_for(rb'^\* LIST \(\\NonExistent\) "\." Renamed', since)

        # (UN)SUBSCRIBE by B: LIST with and without \Subscribed
        since = a.mark()
        b.subscribe("Other")
        a.wait_for(rb'^\* LIST \([^)]*\\Subscribed\) "\." Other', since)
        since = a.mark()
        b.unsubscribe("Other")
        line = a.wait_for(rb'^\* LIST \([^)]*\) "\." Other', since)
        assert b"\\Subscribed" not in line, line

        # the session still answers commands in step
        done, _ = a.command("NOOP")
        assert b"OK" in done
        if os.environ.get("E2E_VERBOSE"):
            print(text(a.lines))
    finally:
        b.logout()
        a.close()


def test_outside_delivery_reaches_a_folder_not_selected(srv):
    b = login_b(srv)
    b.create("Lists")
    b.logout()
    a = login_a(srv)
    try:
        done, _ = a.command("NOTIFY SET (mailboxes Lists (MessageNew MessageExpunge))")
        assert b" OK" in done, done
        since = a.mark()
        started = time.time()
        deliver(os.path.join(srv.maildir(), ".Lists"), "from the MDA")
        a.wait_for(rb'^\* STATUS Lists \(UIDNEXT \d+ MESSAGES 1\)', since)
        print("  outside delivery to STATUS of a folder not selected: %d ms" % ((time.time() - started) * 1000))
        # NOTIFY NONE: nothing more comes
        done, _ = a.command("NOTIFY NONE")
        assert b" OK" in done
        since = a.mark()
        deliver(os.path.join(srv.maildir(), ".Lists"), "unwatched")
        time.sleep(2)  # a negative check: give a wrongly kept watch time to speak
        done, lines = a.command("NOOP")
        assert b"STATUS" not in b"".join(lines), lines
    finally:
        a.close()


def status_items(line):
    """The items of a '* STATUS name (...)' line as a dict of ints."""
    m = re.search(rb"\(([^()]*)\)\r\n$", line)
    words = m.group(1).split()
    return {words[i].decode(): int(words[i + 1]) for i in range(0, len(words), 2)}


def highest_modseq(client, box):
    done, lines = client.command("STATUS %s (HIGHESTMODSEQ)" % box)
    assert b" OK" in done, done
    line = [l for l in lines if l.startswith(b"* STATUS")][-1]
    return status_items(line)["HIGHESTMODSEQ"]


def test_flag_change_elsewhere_by_another_session(srv):
    b = login_b(srv)
    b.create("FlagBox")
    b.append("FlagBox", None, None, b"Subject: to be flagged\r\n\r\nx\r\n")
    a = login_a(srv)   # CONDSTORE on: HIGHESTMODSEQ tells every flag change (5.1)
    p = login_a(srv)   # CONDSTORE off: only a change of the unseen count is told
    try:
        done, _ = a.command("ENABLE CONDSTORE")
        assert b" OK" in done, done
        done, lines = a.command("NOTIFY SET STATUS (mailboxes FlagBox (MessageNew MessageExpunge FlagChange))")
        assert b" OK" in done, done
        first = status_items(a.wait_for(rb"^\* STATUS FlagBox \(MESSAGES 1 .*HIGHESTMODSEQ \d+\)"))
        assert first["UNSEEN"] == 1, first
        done, _ = p.command("NOTIFY SET (mailboxes FlagBox (MessageNew MessageExpunge FlagChange))")
        assert b" OK" in done, done

        # \Flagged by B: A is told the new HIGHESTMODSEQ; P (no CONDSTORE) cannot be told of it
        since_a, since_p = a.mark(), p.mark()
        b.select("FlagBox")
        b.store("1", "+FLAGS", "(\\Flagged)")
        told = status_items(a.wait_for(rb"^\* STATUS FlagBox \(UIDVALIDITY \d+ HIGHESTMODSEQ \d+\)\r\n$", since_a))
        assert told["HIGHESTMODSEQ"] > first["HIGHESTMODSEQ"], (first, told)

        # \Seen by B: A is told HIGHESTMODSEQ and UNSEEN, P the UNSEEN (5.1: "MAY also include UNSEEN")
        since_a2 = a.mark()
        b.store("1", "+FLAGS", "(\\Seen)")
        seen = status_items(a.wait_for(rb"^\* STATUS FlagBox \(UIDVALIDITY \d+ HIGHESTMODSEQ \d+ UNSEEN 0\)", since_a2))
        assert seen["HIGHESTMODSEQ"] > told["HIGHESTMODSEQ"], (told, seen)
        p.wait_for(rb"^\* STATUS FlagBox \(UIDVALIDITY \d+ UNSEEN 0\)", since_p)
        # the \Flagged change came first and was not told to P: it had nothing it could be told by
        assert not any(b"HIGHESTMODSEQ" in l for l in p.lines[since_p:]), p.lines[since_p:]
        assert sum(1 for l in p.lines[since_p:] if l.startswith(b"* STATUS")) == 1, p.lines[since_p:]
        # what A was told is what STATUS answers now
        assert highest_modseq(a, "FlagBox") == seen["HIGHESTMODSEQ"]
        b.close()
    finally:
        b.logout()
        a.close()
        p.close()


def add_flag_by_hand(folder, letter):
    """Renames the first message file in cur/ to carry one more flag letter, as Courier or mutt does."""
    cur = os.path.join(folder, "cur")
    name = sorted(os.listdir(cur))[0]
    base, _, flags = name.partition(":2,")
    new = "%s:2,%s" % (base, "".join(sorted(set(flags + letter))))
    os.rename(os.path.join(cur, name), os.path.join(cur, new))


def test_flag_change_elsewhere_from_outside(srv):
    b = login_b(srv)
    b.create("HandBox")
    b.append("HandBox", None, None, b"Subject: flagged by hand\r\n\r\nx\r\n")
    b.logout()
    folder = os.path.join(srv.maildir(), ".HandBox")
    a = login_a(srv)
    p = login_a(srv)
    try:
        before = highest_modseq(a, "HandBox")  # a CONDSTORE enabling command (RFC 7162 3.1)
        done, _ = a.command("NOTIFY SET (mailboxes HandBox (MessageNew MessageExpunge FlagChange))")
        assert b" OK" in done, done
        done, _ = p.command("NOTIFY SET (mailboxes HandBox (MessageNew MessageExpunge FlagChange))")
        assert b" OK" in done, done

        since_a, since_p = a.mark(), p.mark()
        started = time.time()
        add_flag_by_hand(folder, "F")
        told = status_items(a.wait_for(rb"^\* STATUS HandBox \(UIDVALIDITY \d+ HIGHESTMODSEQ \d+\)\r\n$", since_a))
        print("  flag changed by hand to STATUS HIGHESTMODSEQ: %d ms" % ((time.time() - started) * 1000))
        assert told["HIGHESTMODSEQ"] > before, (before, told)

        since_a2 = a.mark()
        add_flag_by_hand(folder, "S")
        seen = status_items(a.wait_for(rb"^\* STATUS HandBox \(UIDVALIDITY \d+ HIGHESTMODSEQ \d+ UNSEEN 0\)", since_a2))
        assert seen["HIGHESTMODSEQ"] > told["HIGHESTMODSEQ"], (told, seen)
        p.wait_for(rb"^\* STATUS HandBox \(UIDVALIDITY \d+ UNSEEN 0\)", since_p)
        assert not any(b"HIGHESTMODSEQ" in l for l in p.lines[since_p:]), p.lines[since_p:]
        assert highest_modseq(a, "HandBox") == seen["HIGHESTMODSEQ"]
    finally:
        a.close()
        p.close()


def test_metadata_change_by_another_session(srv):
    a = login_a(srv)   # MailboxMetadataChange and ServerMetadataChange
    q = login_a(srv)   # message events only: no METADATA responses
    c = login_a(srv)   # the one that changes entries
    try:
        done, _ = a.command("NOTIFY SET (personal (MailboxMetadataChange ServerMetadataChange))")
        assert b" OK" in done, done
        done, _ = q.command("NOTIFY SET (mailboxes INBOX (MessageNew MessageExpunge))")
        assert b" OK" in done, done

        since = a.mark()
        done, _ = c.command('SETMETADATA INBOX (/private/comment "pushed" /shared/comment "both")')
        assert b" OK" in done, done
        line = a.wait_for(rb"^\* METADATA INBOX ", since)
        assert sorted(line.split()[3:]) == [b"/private/comment", b"/shared/comment"], line
        done, lines = a.command("GETMETADATA INBOX /private/comment")
        assert b"pushed" in b"".join(lines), lines

        since = a.mark()
        done, _ = c.command('SETMETADATA "" (/private/vendor/e2e/motd "hello")')
        assert b" OK" in done, done
        a.wait_for(rb'^\* METADATA "" /private/vendor/e2e/motd\r\n$', since)

        since = a.mark()
        done, _ = c.command("SETMETADATA INBOX (/private/comment NIL)")   # a removal is a change too
        assert b" OK" in done, done
        a.wait_for(rb"^\* METADATA INBOX /private/comment\r\n$", since)

        # Q asked no METADATA event. A notice reaches every listener before C's SETMETADATA is answered,
        # and a session writes what is pending right after answering a command, on its own thread: so
        # whatever Q was wrongly told is written before the second NOOP's answer. No sleep needed.
        q.command("NOOP")
        done, _ = q.command("NOOP")
        assert b" OK" in done, done
        assert not any(l.startswith(b"* METADATA") for l in q.lines), q.lines
    finally:
        a.close()
        q.close()
        c.close()


def test_metadata_change_on_a_shared_folder_reaches_its_owner(srv):
    """Bob sets a /shared entry on a folder Alice shares with him: Alice's NOTIFY is told (the entries
    are hers); Bob's is not (NOTIFY watches the user's own mailboxes, RFC 5465 6)."""
    from e2e_sync import add_accounts
    add_accounts(srv, ["nalice", "nbob"])
    a = login_a(srv, "nalice")
    b = login_a(srv, "nbob")
    try:
        for cmd in ("CREATE Proj", "SETACL Proj nbob lrw",
                    "NOTIFY SET (personal (MailboxMetadataChange ServerMetadataChange))"):
            done, _ = a.command(cmd)
            assert b" OK" in done, (cmd, done)
        done, _ = b.command("NOTIFY SET (personal (MailboxMetadataChange ServerMetadataChange))")
        assert b" OK" in done, done
        since = a.mark()
        done, _ = b.command('SETMETADATA shared.nalice.Proj (/shared/comment "from bob")')
        assert b" OK" in done, done
        a.wait_for(rb"^\* METADATA Proj /shared/comment\r\n$", since)
        b.command("NOOP")
        done, _ = b.command("NOOP")  # whatever B was wrongly told is written before this answer
        assert b" OK" in done, done
        assert not any(l.startswith(b"* METADATA") for l in b.lines), b.lines
    finally:
        a.close()
        b.close()


def test_selected_delayed_holds_expunge_until_a_command(srv):
    b = login_b(srv)
    b.create("Delayed")
    b.append("Delayed", None, None, b"Subject: one\r\n\r\nx\r\n")
    b.append("Delayed", None, None, b"Subject: two\r\n\r\nx\r\n")
    a = login_a(srv)
    try:
        a.command("SELECT Delayed")
        done, _ = a.command("NOTIFY SET (selected-delayed (MessageNew MessageExpunge FlagChange))")
        assert b" OK" in done
        b.select("Delayed")
        since = a.mark()
        b.store("1", "+FLAGS", "(\\Deleted)")
        b.expunge()
        b.append("Delayed", None, None, b"Subject: three\r\n\r\nx\r\n")
        # the EXISTS of the new message comes without a command; the EXPUNGE does not
        a.wait_for(rb"^\* 3 EXISTS", since)
        assert not any(l.endswith(b"EXPUNGE\r\n") for l in a.lines[since:]), a.lines[since:]
        done, lines = a.command("UID FETCH 1:* (FLAGS)")  # a command that allows EXPUNGE
        a.wait_for(rb"^\* 1 EXPUNGE", since)
    finally:
        b.logout()
        a.close()


def test_idle_follows_notify(srv):
    b = login_b(srv)
    b.create("IdleBox")
    a = login_a(srv)
    try:
        done, _ = a.command("NOTIFY SET (mailboxes IdleBox (MessageNew MessageExpunge))")
        assert b" OK" in done
        a.n += 1
        since = a.mark()
        a.send("a%d IDLE" % a.n)
        a.wait_for(rb"^\+ ", since)
        b.append("IdleBox", None, None, b"Subject: during idle\r\n\r\nx\r\n")
        a.wait_for(rb'^\* STATUS IdleBox \(UIDNEXT \d+ MESSAGES 1\)', since)
        a.send("DONE")
        a.wait_for(rb"^a%d OK" % a.n, since)
    finally:
        b.logout()
        a.close()


def test_too_many_mailboxes_is_notificationoverflow(srv):
    # imapd.cfg here: notify.max.mailboxes=12; the earlier tests made fewer folders than that
    b = login_b(srv)
    for i in range(14):
        b.create("Many%02d" % i)
    b.logout()
    a = login_a(srv)
    try:
        done, _ = a.command("NOTIFY SET (personal (MessageNew MessageExpunge))")
        assert b"NO [NOTIFICATIONOVERFLOW]" in done, done
        done, _ = a.command("NOTIFY SET (subtree Many00 (MessageNew MessageExpunge))")
        assert b" OK" in done, done
    finally:
        a.close()


def test_growing_past_the_limit_ends_notifications(srv):
    # RFC 5465 5.8: the filter took in 12 mailboxes (the limit here); a 13th created later ends NOTIFY
    b = login_b(srv)
    for i in range(12):
        b.create("Grow.%02d" % i)
    a = login_a(srv)
    try:
        done, _ = a.command("NOTIFY SET (subtree Grow (MessageNew MessageExpunge))")
        assert b" OK" in done, done
        since = a.mark()
        b.create("Grow.12")
        a.wait_for(rb"^\* OK \[NOTIFICATIONOVERFLOW\]", since)
        since = a.mark()
        b.append("Grow.00", None, None, b"Subject: after the overflow\r\n\r\nx\r\n")
        time.sleep(2)  # a negative check: give a wrongly kept watch time to speak
        done, lines = a.command("NOOP")
        assert b"STATUS" not in b"".join(lines), lines
    finally:
        b.logout()
        a.close()


def test_uidonly_events_carry_no_message_numbers(srv):
    # RFC 9586 3.2 and 3.3: after ENABLE UIDONLY, NOTIFY's MessageNew FETCH and FlagChange are
    # UIDFETCH numbered by UID, an expunge is VANISHED; EXISTS (a count) stays
    a = login_a(srv)
    b = login_b(srv)
    try:
        b.create("UidOnly")
        done, _ = a.command("ENABLE UIDONLY")
        assert b"OK" in done, done
        done, _ = a.command("SELECT UidOnly")
        assert b"OK" in done, done
        done, _ = a.command("NOTIFY SET (selected (MessageNew (FLAGS) MessageExpunge FlagChange))")
        assert b" OK" in done, done
        since = a.mark()
        typ, data = b.append("UidOnly", None, None, b"Subject: uidonly\r\n\r\nbody\r\n")
        uid = int(re.search(rb"APPENDUID \d+ (\d+)", b"".join(d for d in data if d)).group(1))
        a.wait_for(rb"^\* 1 EXISTS", since)
        a.wait_for(rb"^\* %d UIDFETCH \(FLAGS \(" % uid, since)
        since = a.mark()
        b.select("UidOnly")
        b.store("1", "+FLAGS", "(\\Flagged)")
        a.wait_for(rb"^\* %d UIDFETCH \(FLAGS \([^)]*\\Flagged" % uid, since)
        since = a.mark()
        b.store("1", "+FLAGS", "(\\Deleted)")
        a.wait_for(rb"^\* %d UIDFETCH \(FLAGS \([^)]*\\Deleted" % uid, since)
        b.expunge()
        a.wait_for(rb"^\* VANISHED %d" % uid, since)
        b.close()
        numbered = [l for l in a.lines if re.match(rb"^\* \d+ (FETCH|EXPUNGE)", l)]
        assert not numbered, numbered
    finally:
        b.logout()
        a.close()


def test_inprogress_on_a_long_search(srv):
    maildir = os.path.join(srv.maildir(), ".Big")
    b = login_b(srv)
    b.create("Big")
    b.logout()
    # generated folder: messages written straight into cur/, as an MDA plus a client would leave them
    body = "line of text for the search to read through\n" * 200
    for i in range(3000):
        name = "%d.big%05d.e2e:2,S" % (1700000000 + i, i)
        with open(os.path.join(maildir, "cur", name), "w") as f:
            f.write("Subject: big %d\nFrom: x@example.org\n\n%s" % (i, body))
    a = login_a(srv)
    try:
        done, _ = a.command("SELECT Big", secs=120)
        assert b"OK" in done, done
        done, lines = a.command("SEARCH BODY needle-that-is-nowhere", secs=300)
        assert b"OK" in done, done
        codes = [re.search(rb'\[INPROGRESS \("(a\d+)" (\d+) (\d+)\)\]', l) for l in lines]
        codes = [m for m in codes if m]
        assert codes, "no INPROGRESS in %r" % lines[:5]
        tag = done.split(b" ")[0]
        done_counts = [int(m.group(2)) for m in codes]
        assert all(m.group(1) == tag for m in codes), codes
        assert all(int(m.group(3)) == 3000 for m in codes), codes
        assert done_counts == sorted(done_counts) and len(set(done_counts)) == len(done_counts), done_counts
        # RFC 9585 4: "If the tag ... contains the "]" character, it MUST be set to NIL". A second
        # folder of the same messages, not indexed yet, so that this search is as long as the first
        maildir2 = os.path.join(srv.maildir(), ".Big2")
        done, _ = a.command("CREATE Big2")
        assert b"OK" in done, done
        for i in range(3000):
            name = "%d.big%05d.e2e:2,S" % (1700000000 + i, i)
            with open(os.path.join(maildir2, "cur", name), "w") as f:
                f.write("Subject: big %d\nFrom: x@example.org\n\n%s" % (i, body))
        done, _ = a.command("SELECT Big2", secs=120)
        assert b"OK" in done, done
        since = a.mark()
        a.send("x]1 SEARCH BODY needle-that-is-nowhere")
        done = a.wait_for(rb"^x\]1 (OK|NO|BAD)", since, 300)
        assert b"OK" in done, done
        codes = [l for l in a.lines[since:] if b"INPROGRESS" in l]
        assert codes, "no INPROGRESS for the tag with ]"
        assert all(re.search(rb"\[INPROGRESS \(NIL \d+ 3000\)\]", l) for l in codes), codes
    finally:
        a.close()


TESTS = [
    test_capability_announces_notify_and_inprogress,
    test_grammar_answers,
    test_set_status_reports_each_watched_mailbox,
    test_selected_events_and_personal_between_commands,
    test_outside_delivery_reaches_a_folder_not_selected,
    test_flag_change_elsewhere_by_another_session,
    test_flag_change_elsewhere_from_outside,
    test_metadata_change_by_another_session,
    test_metadata_change_on_a_shared_folder_reaches_its_owner,
    test_selected_delayed_holds_expunge_until_a_command,
    test_idle_follows_notify,
    test_too_many_mailboxes_is_notificationoverflow,
    test_growing_past_the_limit_ends_notifications,
    test_uidonly_events_carry_no_message_numbers,
    test_inprogress_on_a_long_search,
]


def make_server(work):
    srv = Server(work, free_port())
    path = os.path.join(srv.conf, "imapd.cfg")
    with open(path) as f:
        t = f.read()
    t = re.sub(r"(?m)^notify\.max\.mailboxes=.*$", "notify.max.mailboxes=12", t)
    t = re.sub(r"(?m)^inprogress\.interval=.*$", "inprogress.interval=100", t)
    with open(path, "w") as f:
        f.write(t)
    return srv


def main():
    work = tempfile.mkdtemp(prefix="posthorn-e2e-notify-")
    return run_suite("e2e-notify", work, lambda: make_server(work), TESTS)


if __name__ == "__main__":
    sys.exit(main())
