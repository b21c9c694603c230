#!/usr/bin/env python3
"""End-to-end tests of NOTIFY (RFC 5465) and INPROGRESS (RFC 9585) through the exported server.

Session A (a raw socket with a reader thread, so that untagged responses arriving between commands
are seen as they come) sets NOTIFY for SELECTED and PERSONAL; session B (imaplib) appends, stores
flags, expunges, creates, renames and deletes a folder, (un)subscribes; and an outside delivery (a
file renamed into a folder's new/, as an MDA does) lands in a folder A has not selected. A must see
the right untagged responses within a deadline, with no command of its own running. INPROGRESS: a
SEARCH on a generated folder of a few thousand messages, with inprogress.interval set low, sends
INPROGRESS codes whose counts increase. Prints 'e2e-notify: N passed, N failed'.

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


def login_a(srv):
    a = Client(srv)
    done, _ = a.command("LOGIN demo %s" % srv.password())
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
        assert b"[BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)]" in done, done
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
