#!/usr/bin/env python3
"""End-to-end tests of the signals and the access rules against `./posthorn run`, as daemontools
drives them (svc -h is SIGHUP, svc -d is SIGTERM): an imaplib session stays logged in across
SIGHUP; SIGHUP reads imapd.cfg and the rules file at once (FileInstall's own look at config/ is put
off to ten minutes here, so that only the reload can have read them); a rules file that is refused
leaves the rules in force; a denied client gets no greeting, over real sockets from 127.0.0.2 and
127.0.0.3 (the whole of 127/8 is loopback); SIGTERM ends the process with status 0, and so does
SIGINT (Ctrl-C) on a terminal (a second server, in tmux, whose console also answers imap:rules and
imap:reload, as the remote console `./posthorn shell -c` does).

Prints 'e2e-signals: N passed, N failed'. About a minute.

Usage: e2e_signals.py [-k NAME]
"""
import imaplib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import TOP, Server, free_port, run_suite  # noqa: E402

RULES_AT_START = "# e2e_signals\n127.0.0.3:deny\n127.:allow\n:deny\n"


def greeting_from(srv, source):
    """The first line the server sends a client from this loopback address; b'' if it closes at once."""
    s = socket.socket()
    try:
        s.bind((source, 0))
        s.settimeout(10)
        s.connect(("127.0.0.1", srv.port))
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data
    finally:
        s.close()


def hup_and_wait(srv):
    """Sends SIGHUP and waits for the reload's summary line; returns the log lines it wrote."""
    before = srv.stderr().count("reload: ")
    mark = len(srv.stderr())
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 30
    while time.time() < deadline:
        log = srv.stderr()
        if re.search(r"reload: \d+ files read", log[mark:]):
            return log[mark:].splitlines()
        assert srv.proc.poll() is None, "the server ended on SIGHUP with status %s" % srv.proc.returncode
        time.sleep(0.1)
    raise AssertionError("no reload within 30 s of SIGHUP (%d reload lines before)" % before)


def set_key(srv, key, value):
    path = os.path.join(srv.conf, "imapd.cfg")
    with open(path) as f:
        text = f.read()
    text = re.sub(r"(?m)^%s=.*\n?" % re.escape(key), "", text) + "%s=%s\n" % (key, value)
    with open(path, "w") as f:
        f.write(text)


def rules_path(srv):
    return os.path.join(srv.conf, "rules")


def make_server(work):
    srv = Server(work, free_port())
    with open(rules_path(srv), "w") as f:
        f.write(RULES_AT_START)
    set_key(srv, "rules", rules_path(srv))
    # FileInstall looks at config/ every 10 minutes here instead of every second: what changes at a
    # SIGHUP was read by the reload and nothing else.
    os.environ["POSTHORN_JAVA_OPTS"] = (os.environ.get("POSTHORN_JAVA_OPTS", "") + " -Dfelix.fileinstall.poll=600000").strip()
    return srv


# ---------------------------------------------------------------------------------------------

def test_rules_at_start_deny_before_the_greeting(srv):
    assert greeting_from(srv, "127.0.0.3") == b"", "127.0.0.3 is denied: closed before the greeting"
    assert greeting_from(srv, "127.0.0.2").startswith(b"* OK "), "127.0.0.2 is allowed"
    assert greeting_from(srv, "127.0.0.1").startswith(b"* OK ")
    lines = [l for l in srv.stderr().splitlines() if "denied by rule" in l]
    assert len(lines) == 1 and "refused 127.0.0.3:" in lines[0] and '"127.0.0.3:deny"' in lines[0], lines


def test_a_session_stays_logged_in_across_sighup(srv):
    m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
    try:
        m.login("demo", srv.password())
        typ, data = m.select("INBOX")
        assert typ == "OK", data
        log = hup_and_wait(srv)
        assert any("SIGHUP received; reloading" in l for l in log), log
        typ, data = m.noop()
        assert typ == "OK", data
        typ, data = m.select("INBOX")
        assert typ == "OK", data
        hup_and_wait(srv)
        assert m.noop()[0] == "OK"
        m.logout()
    finally:
        try:
            m.shutdown()
        except OSError:
            pass
    assert srv.proc.poll() is None, "the server is still running"
    assert "imapd stopped" not in srv.stderr(), "SIGHUP must not stop the server"


def test_sighup_reads_a_changed_rules_file_and_imapd_cfg_at_once(srv):
    m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
    m.login("demo", srv.password())
    with open(rules_path(srv), "w") as f:
        f.write("127.0.0.2:deny\n127.:allow\n")
    assert b"LOGINDISABLED" in greeting_from(srv, "127.0.0.4"), "not in trusted.networks yet"
    set_key(srv, "trusted.networks", "127.0.0.4/32")
    log = hup_and_wait(srv)
    text = "\n".join(log)
    assert re.search(r"reload: UPDATED \S+/imapd\.cfg: changed trusted\.networks", text), text
    # the rules file: read by the reload, or by imapd.cfg's change, or by the server's look at it
    # every second, whichever came first; in force once the reload is done
    assert greeting_from(srv, "127.0.0.2") == b"", "the new rules deny 127.0.0.2"
    assert greeting_from(srv, "127.0.0.3").startswith(b"* OK "), "the new rules allow 127.0.0.3"
    g = greeting_from(srv, "127.0.0.4")
    assert g.startswith(b"* OK ") and b"LOGINDISABLED" not in g, "127.0.0.4 is trusted now: %r" % g
    assert m.noop()[0] == "OK", "the open session is untouched"
    m.logout()
    set_key(srv, "trusted.networks", "127.0.0.1/32, ::1/128")
    log = hup_and_wait(srv)
    assert any("changed trusted.networks" in l for l in log), log
    assert not any("UPDATED" in l and "/rules" in l for l in log), "the rules file did not change: %s" % log


def test_a_refused_rules_file_leaves_the_rules_in_force(srv):
    with open(rules_path(srv), "w") as f:
        f.write("127.0.0.2:allow\n127.:allow,max.per.ip=\"lots\"\n")
    log = hup_and_wait(srv)
    # the reload's own line; the server's look at the file every second may have refused it just
    # before (one line per change of the file), so one or two lines, each naming the line and why
    refused = [l for l in log if " refused: " in l and "RulesFile" in l]
    assert 1 <= len(refused) <= 2, log
    for line in refused:
        assert "line 2: max.per.ip=\"lots\"" in line and line.endswith("the previous rules stay in force"), refused
    assert any("reload: REFUSED" in l for l in log), log
    assert greeting_from(srv, "127.0.0.2") == b"", "the previous rules (deny 127.0.0.2) are in force"
    with open(rules_path(srv), "w") as f:
        f.write(RULES_AT_START)
    hup_and_wait(srv)
    assert greeting_from(srv, "127.0.0.2").startswith(b"* OK ")


def test_a_refused_imapd_cfg_is_reported_and_the_server_goes_on(srv):
    set_key(srv, "max.per.ip", "lots")
    log = hup_and_wait(srv)
    text = "\n".join(log)
    assert re.search(r"reload: REFUSED \S+/imapd\.cfg: max\.per\.ip=lots: not a whole number", text), text
    assert greeting_from(srv, "127.0.0.1").startswith(b"* OK ")
    set_key(srv, "max.per.ip", "20")
    hup_and_wait(srv)


def test_remote_console_rules_and_reload(srv):
    """./posthorn shell -c, as a script would run it: the rule for an address, and a reload."""
    def shell(command):
        r = subprocess.run([os.path.join(TOP, "posthorn"), "shell", "--var", srv.var, "-c", command],
                           capture_output=True, timeout=60, cwd="/")
        return r.returncode, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    code, out = shell("imap:rules 127.0.0.3")
    assert code == 0 and "127.0.0.3: denied by rule 127.0.0.3:deny (line 2)" in out, (code, out)
    code, out = shell("imap:rules")
    assert code == 0 and "3 rules" in out and "\n:deny" in out, (code, out)
    with open(rules_path(srv), "a") as f:
        f.write("# a comment more\n")
    code, out = shell("imap:reload")
    assert code == 0 and re.search(r"UNCHANGED \S+/imapd\.cfg", out), (code, out)
    assert re.search(r"UNCHANGED \S+/rules: .*as before", out), (code, out)
    code, out = shell("imap:rules not-an-address")
    assert code != 0 and "not an IP address" in out, (code, out)


def test_sigterm_ends_with_status_0(srv):
    code = srv.stop()
    assert code == 0, "exit status on SIGTERM was %s" % code
    assert "stopped cleanly" in srv.stderr()


def test_console_commands_and_sigint_on_a_terminal(srv):
    """A second server on a terminal (tmux), its console up: imap:rules and imap:reload answer, and
    Ctrl-C ends the process with status 0."""
    work = os.path.join(srv.work, "tty")
    os.makedirs(work)
    second = Server(work, free_port())
    with open(rules_path(second), "w") as f:
        f.write("127.0.0.3:deny\n127.:allow,max.per.ip=\"5\",RELAYCLIENT=\"\"\n=.example.com:deny\n:deny\n")
    set_key(second, "rules", rules_path(second))
    session = "posthorn-e2e-signals-%d" % os.getpid()
    status = os.path.join(work, "status")
    command = "cd %s && POSTHORN_VAR=%s ./posthorn run --config %s 2>%s; echo $? > %s" % (
        TOP, second.var, second.conf, second.err_path, status)
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "150", "-y", "40", command], check=True)
    try:
        deadline = time.time() + 90
        while "Welcome to Apache Felix Gogo" not in pane(session):
            assert time.time() < deadline, "no console within 90 s:\n" + pane(session)
            time.sleep(0.3)
        assert greeting_from(second, "127.0.0.1").startswith(b"* OK ")
        for command, expected in (
                ("imap:rules", "127.:allow,max.per.ip=\"5\",RELAYCLIENT=\"\""),
                ("imap:rules 127.0.0.3", "127.0.0.3: denied by rule 127.0.0.3:deny (line 1)"),
                ("imap:rules 127.0.0.9 a.example.com", "127.0.0.9 (a.example.com): allowed by rule 127.:allow"),
                ("imap:rules 192.0.2.1 a.example.com", "192.0.2.1 (a.example.com): denied by rule =.example.com:deny (line 3)"),
                ("imap:rules ::1", "::1: denied by rule :deny (line 4)"),
                ("imap:reload", "UNCHANGED %s" % rules_path(second))):
            subprocess.run(["tmux", "send-keys", "-t", session, command, "Enter"], check=True)
            deadline = time.time() + 20
            while expected not in pane(session):
                assert time.time() < deadline, "%s: no %r in\n%s" % (command, expected, pane(session))
                time.sleep(0.2)
        assert "settings Posthorn does not read (ignored): RELAYCLIENT" in pane(session)
        subprocess.run(["tmux", "send-keys", "-t", session, "C-c"], check=True)
        deadline = time.time() + 30
        while not os.path.exists(status):
            assert time.time() < deadline, "still running 30 s after Ctrl-C:\n" + pane(session)
            time.sleep(0.2)
        time.sleep(0.2)
        with open(status) as f:
            code = f.read().strip()
        assert code == "0", "exit status after Ctrl-C was %s" % code
        assert "stopped cleanly" in second.stderr()
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], stderr=subprocess.DEVNULL)


def pane(session):
    r = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True)
    return r.stdout


TESTS = [
    test_rules_at_start_deny_before_the_greeting,
    test_a_session_stays_logged_in_across_sighup,
    test_sighup_reads_a_changed_rules_file_and_imapd_cfg_at_once,
    test_a_refused_rules_file_leaves_the_rules_in_force,
    test_a_refused_imapd_cfg_is_reported_and_the_server_goes_on,
    test_remote_console_rules_and_reload,
    test_sigterm_ends_with_status_0,
    test_console_commands_and_sigint_on_a_terminal,
]


def main():
    work = tempfile.mkdtemp(prefix="posthorn-e2e-signals-")
    return run_suite("e2e-signals", work, lambda: make_server(work), TESTS)


if __name__ == "__main__":
    sys.exit(main())
