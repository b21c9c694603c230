#!/usr/bin/env python3
"""The shipped daemontools service directory (service/posthorn) under real daemontools.

Copies service/posthorn into a work folder with its env/ pointing at this checkout, a copy of
config/ on free loopback ports and a fresh state directory, then runs svscan on it (supervise for
the server and for its log, with the pipe between them) and drives it as an operator would:

- the service starts down; `svc -u` starts it, as POSTHORN_USER (setuidgid, when run as root)
  under `softlimit -m` with the smallest limit README documents: the JVM's heap and sizing are the
  launcher's, derived from that limit (checked in /proc), and it serves (imaplib logs in);
- the embedded config's demo=true makes no demo account under a supervisor;
- `svc -h` reloads with a session staying logged in (pending until SIGHUP reload is merged);
- a store failure with a cause chain is one line in the log;
- `svc -d` stops it cleanly; multilog's current file holds one event a line, TAI64N-stamped by
  multilog and not by the server, with no password and no stack trace;
- the systemd unit passes `systemd-analyze verify`, and its privileges, applied with setpriv (no
  systemd runs here), let the unprivileged server bind a free port below 1024, and only them.

Needs Debian's daemontools and openssl (tools/test-deps). Prints 'e2e_daemontools: N passed, N
failed' and exits non-zero on any failure.
"""
import imaplib
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import TOP, free_port  # noqa: E402

USER = "posthorn-svc"           # made when run as root, as tools/bench makes its user
SOFTLIMIT = 440000000           # the smallest limit README documents (bytes, softlimit -m)
HEAP_MIB = SOFTLIMIT // 1024 // 1024 - 384   # the launcher's rule below 2 GiB
PASSWORD = "alice-Pw-7301"
# The reload on SIGHUP is c13rules' work; until it is in this tree, that check is reported pending.
RELOAD_SOURCE = os.path.join(TOP, "bundles/posthorn.launcher/src/main/java/posthorn/launcher/internal/ReloadOnHangup.java")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def wait(condition, what, secs=60, pause=0.2):
    deadline = time.time() + secs
    while True:
        v = condition()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("waited %d s for %s" % (secs, what))
        time.sleep(pause)


class Service:
    def __init__(self):
        self.root = os.getuid() == 0
        self.work = tempfile.mkdtemp(prefix="posthorn-svc-")
        os.chmod(self.work, 0o755)
        self.scan = os.path.join(self.work, "service")
        self.dir = os.path.join(self.scan, "posthorn")
        shutil.copytree(os.path.join(TOP, "service", "posthorn"), self.dir)
        open(os.path.join(self.dir, "down"), "w").close()   # svc -u starts it, not svscan
        self.port, tls_port = free_port(), free_port()
        self.conf = os.path.join(self.work, "config")
        shutil.copytree(os.path.join(TOP, "config"), self.conf)
        text = open(os.path.join(self.conf, "imapd.cfg")).read()
        text = re.sub(r"(?m)^port=.*$", "port=%d" % self.port, text)
        text = re.sub(r"(?m)^tls\.port=.*$", "tls.port=%d" % tls_port, text)
        open(os.path.join(self.conf, "imapd.cfg"), "w").write(text)
        self.var = os.path.join(self.work, "var")
        os.mkdir(self.var, 0o700)
        if self.root:
            try:
                pwd.getpwnam(USER)
            except KeyError:
                run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER])
            u = pwd.getpwnam(USER)
            self.uid, self.gid = u.pw_uid, u.pw_gid
            os.chown(self.var, self.uid, self.gid)
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
        env = {
            "POSTHORN_HOME": TOP, "POSTHORN_CONF": self.conf, "POSTHORN_VAR": self.var,
            "POSTHORN_SECRETS": os.path.join(self.conf, "secrets"), "POSTHORN_SOFTLIMIT": str(SOFTLIMIT),
            "POSTHORN_USER": USER if self.root else "", "POSTHORN_LOG_USER": "", "POSTHORN_BUILD": "no",
        }
        for name in os.listdir(os.path.join(self.dir, "env")):
            assert name in env, "env/%s is shipped but this test does not set it" % name
        for name, value in env.items():
            with open(os.path.join(self.dir, "env", name), "w") as f:
                f.write(value + "\n")
        self.current = os.path.join(self.dir, "log", "main", "current")
        self.svscan = subprocess.Popen(["svscan", self.scan], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       start_new_session=True)
        wait(lambda: subprocess.run(["svok", self.dir]).returncode == 0
             and subprocess.run(["svok", os.path.join(self.dir, "log")]).returncode == 0, "supervise")

    def svc(self, *flags):
        run(["svc"] + list(flags) + [self.dir])

    def status(self):
        return run(["svstat", self.dir]).strip()

    def pid(self):
        m = re.search(r": up \(pid (\d+)\)", self.status())
        return int(m.group(1)) if m else None

    def log(self):
        try:
            with open(self.current, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def greets(self):
        import socket
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                return s.recv(100).startswith(b"* OK")
        except OSError:
            return False

    def close(self):
        for d in (self.dir, os.path.join(self.dir, "log")):
            subprocess.run(["svc", "-dx", d], capture_output=True)
        try:
            self.svscan.wait(10)
        except subprocess.TimeoutExpired:
            pass
        if self.svscan.poll() is None:
            os.killpg(self.svscan.pid, signal.SIGTERM)   # svscan and the supervise it started
            self.svscan.wait(10)

    def add_alice(self):
        """A userdb file with one account, written after start (the backend reads it when it appears)."""
        home = os.path.join(self.var, "mail", "alice")
        maildir = os.path.join(home, "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(maildir, sub), 0o700)
        crypt = run(["openssl", "passwd", "-6", "-stdin"], input=PASSWORD + "\n").strip()
        userdb = os.path.join(self.var, "userdb")
        with open(userdb, "w") as f:
            f.write("alice\thome=%s|mail=%s|systempw=%s\n" % (home, maildir, crypt))
        os.chmod(userdb, 0o600)
        for d, _, files in os.walk(os.path.join(self.var, "mail")):
            os.chown(d, self.uid, self.gid)
        os.chown(userdb, self.uid, self.gid)
        return maildir


def login(svc):
    m = imaplib.IMAP4("127.0.0.1", svc.port, timeout=20)
    m.login("alice", PASSWORD)
    return m


def test_service(svc, pending):
    assert "down" in svc.status(), svc.status()
    assert not svc.greets()

    # svc -u: up, as the unprivileged user, under the soft limit, with the launcher's sizing
    t0 = time.time()
    svc.svc("-u")
    wait(svc.greets, "the greeting after svc -u:\n" + svc.log()[-3000:])
    started = time.time() - t0
    pid = svc.pid()
    assert pid, svc.status()
    cmdline = open("/proc/%d/cmdline" % pid).read().split("\0")
    assert cmdline[0].endswith("/java"), cmdline[:3]
    assert "-Xmx%dm" % HEAP_MIB in cmdline, [a for a in cmdline if a.startswith("-X")]
    assert "-XX:+UseSerialGC" in cmdline and "-XX:TieredStopAtLevel=1" in cmdline, cmdline
    assert "-Dposthorn.log.timestamps=false" in cmdline and "-Dposthorn.demo=off" in cmdline, cmdline
    limits = open("/proc/%d/limits" % pid).read()
    assert re.search(r"Max address space\s+%d " % SOFTLIMIT, limits), limits
    status = open("/proc/%d/status" % pid).read()
    uid = int(re.search(r"Uid:\s+(\d+)", status).group(1))
    assert uid == svc.uid and (not svc.root or uid != 0), "runs as %d" % uid
    assert re.search(r"CapEff:\s+0+\n", status), "no capability left: " + re.search(r"CapEff.*", status).group(0)

    # demo=true in the embedded config makes no account under a supervisor
    wait(lambda: "demo account not created" in svc.log(), "the demo line")
    assert not os.path.exists(os.path.join(svc.var, "userdb"))
    assert not os.path.exists(os.path.join(svc.var, "demo-password"))

    # The userdb file appears while the server runs: the backend notices it at its next use, and
    # the chain asks a backend that was unavailable again after backend.retry (5 s).
    maildir = svc.add_alice()
    m = wait(lambda: _try_login(svc), "alice's login once the userdb file is there", 30, pause=1)
    assert m.select("INBOX")[0] == "OK"
    vm = re.search(r"VmPeak:\s+(\d+) kB", open("/proc/%d/status" % pid).read())
    print("  started in %.1f s; under softlimit -m %d: heap %d MiB, VmPeak %s MiB"
          % (started, SOFTLIMIT, HEAP_MIB, int(vm.group(1)) // 1024))

    # A store failure with a cause chain (the subscriptions file is a directory): NO to the
    # client, and one line in the log with the chain in it.
    os.mkdir(os.path.join(maildir, "courierimapsubscribed"))
    typ, data = m.lsub()
    assert typ == "NO", (typ, data)

    # svc -h: the configuration is read again, and the session stays logged in
    svc.svc("-h")
    time.sleep(2)
    try:
        assert svc.pid() == pid, "SIGHUP restarted the server: %s" % svc.status()
        assert m.noop()[0] == "OK"
        assert m.select("INBOX")[0] == "OK"
    except (AssertionError, imaplib.IMAP4.abort, OSError) as e:
        if os.path.exists(RELOAD_SOURCE):
            raise
        pending.append("svc -h (SIGHUP reload, issue 13's other branch c13rules, not in this tree yet): %s" % e)
        wait(svc.greets, "the server after svc -h")
        m = login(svc)
    try:
        m.logout()
    except imaplib.IMAP4.abort:
        pass

    # svc -d: a clean stop
    svc.svc("-d")
    wait(lambda: ": down " in svc.status(), "down after svc -d", 30)
    wait(lambda: "stopped cleanly" in svc.log(), "the last line", 10)
    log = svc.log()
    assert "signal received; stopping" in log, log[-2000:]

    # multilog's current file: one event a line, stamped by multilog only
    lines = log.splitlines()
    assert len(lines) > 10, log
    for line in lines:
        assert re.match(r"^@[0-9a-f]{24} ((TRACE|DEBUG|INFO|WARN|ERROR) [\w$.]+ - |posthorn: )", line), \
            "not a one-line event: %r" % line
        assert not re.match(r"^@[0-9a-f]{24} \d{4}-\d\d-\d\dT", line), "the server stamped it too: %r" % line
    failed = [l for l in lines if "Cannot read the subscriptions" in l]
    assert len(failed) == 1, failed
    assert re.search(r" \[posthorn\.store\.api\.StoreException: Cannot read the subscriptions of alice.*; caused by java\.io\.", failed[0]), failed[0]
    assert PASSWORD not in log
    assert re.search(r"s\d+ login user=alice via LOGIN from 127\.0\.0\.1:\d+", log), log[-3000:]
    assert re.search(r's\d+ disconnect remote=127\.0\.0\.1:\d+ user=alice tls=no commands=\d+ in=\d+ out=\d+ seconds=\d+ end="logout"', log), \
        [l for l in lines if " disconnect " in l]


def _try_login(svc):
    try:
        return login(svc)
    except imaplib.IMAP4.error:
        return None


def test_systemd_unit_verifies(svc, pending):
    """The unit, with ExecStart pointed at this checkout, passes systemd-analyze verify (no PID 1
    systemd here to run it: what it does is checked by hand in README's terms, see there)."""
    if shutil.which("systemd-analyze") is None:
        pending.append("systemd-analyze not installed: the unit was not verified")
        return
    unit = open(os.path.join(TOP, "service", "systemd", "posthorn.service")).read()
    unit = unit.replace("/opt/posthorn/posthorn", os.path.join(TOP, "posthorn"))
    path = os.path.join(svc.work, "posthorn.service")
    open(path, "w").write(unit)
    r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr.strip() and not r.stdout.strip(), (r.returncode, r.stdout, r.stderr)
    for needed in ("AmbientCapabilities=CAP_NET_BIND_SERVICE", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
                   "User=posthorn", "NoNewPrivileges=yes", "ExecReload=/bin/kill -HUP $MAINPID"):
        assert needed in unit, needed


def test_unit_privileges_bind_a_low_port(svc, pending):
    """What the unit gives the server, applied with setpriv (no systemd here): an unprivileged user
    with only CAP_NET_BIND_SERVICE, ambient, and no new privileges binds a port below 1024 and
    serves; without the capability the same start ends with status 1 (Permission denied)."""
    if not svc.root or shutil.which("setpriv") is None:
        pending.append("the unit's privileges: needs root and setpriv")
        return
    import random
    import socket
    port = None
    for p in random.sample(range(600, 1024), 424):
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", p))
            port = p
            break
        except OSError:
            continue
    assert port, "no free port below 1024"
    conf = os.path.join(svc.work, "config-low")
    shutil.copytree(svc.conf, conf)
    text = open(os.path.join(conf, "imapd.cfg")).read()
    text = re.sub(r"(?m)^port=.*$", "port=%d" % port, text)
    text = re.sub(r"(?m)^tls\.port=.*$", "tls.port=0", text)
    open(os.path.join(conf, "imapd.cfg"), "w").write(text)
    for d, _, files in os.walk(conf):
        os.chmod(d, 0o755)
        for f in files:
            os.chmod(os.path.join(d, f), 0o644)
    var = os.path.join(svc.work, "var-low")
    os.mkdir(var, 0o700)
    os.chown(var, svc.uid, svc.gid)
    env = dict(os.environ, POSTHORN_VAR=var, POSTHORN_BUILD="no")
    user = ["setpriv", "--reuid=%d" % svc.uid, "--regid=%d" % svc.gid, "--init-groups", "--no-new-privs"]
    caps = ["--inh-caps=-all,+net_bind_service", "--ambient-caps=-all,+net_bind_service",
            "--bounding-set=-all,+net_bind_service"]
    command = [os.path.join(TOP, "posthorn"), "run", "--config", conf]

    r = subprocess.run(user + command, env=env, cwd="/", stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=90)
    assert r.returncode == 1 and "cannot listen on 127.0.0.1:%d (port): Permission denied" % port in r.stderr, \
        (r.returncode, r.stderr[-1500:])

    proc = subprocess.Popen(user + caps + command, env=env, cwd="/", stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def greets():
            assert proc.poll() is None, "exited with %s" % proc.returncode
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    return s.recv(100).startswith(b"* OK")
            except OSError:
                return False
        wait(greets, "the greeting on port %d" % port)
        status = open("/proc/%d/status" % proc.pid).read()
        assert re.search(r"Uid:\s+%d\s" % svc.uid, status), status
        assert re.search(r"CapEff:\s+0+400\n", status) and re.search(r"NoNewPrivs:\s+1", status), status
    finally:
        proc.send_signal(signal.SIGTERM)
        err = proc.communicate(timeout=30)[1]
    assert proc.returncode == 0 and "stopped cleanly" in err, (proc.returncode, err[-1500:])


def test_heap_settings_are_checked(svc, pending):
    """POSTHORN_HEAP and POSTHORN_SESSIONS: a bad value, or a heap beyond the memory limit, is refused
    by the launcher with a line naming the setting and status 2, before any JVM starts."""
    env = dict(os.environ, POSTHORN_BUILD="no", POSTHORN_CONF=os.path.join(TOP, "config"))
    cases = [
        ({"POSTHORN_HEAP": "lots"}, None, "POSTHORN_HEAP=lots: not a size"),
        ({"POSTHORN_HEAP": "2g5"}, None, "POSTHORN_HEAP=2g5: not a size"),
        ({"POSTHORN_HEAP": "16m"}, None, "POSTHORN_HEAP=16m: below the 32 MiB"),
        ({"POSTHORN_SESSIONS": "many"}, None, "POSTHORN_SESSIONS=many: not a number of sessions"),
        ({"POSTHORN_SESSIONS": "-5"}, None, "POSTHORN_SESSIONS=-5: not a number of sessions"),
        ({"POSTHORN_HEAP": "2g"}, SOFTLIMIT, "POSTHORN_HEAP=2g does not fit the memory limit"),
    ]
    for extra, limit, line in cases:
        cmd = [os.path.join(TOP, "posthorn"), "run"]
        if limit:
            cmd = ["softlimit", "-m", str(limit)] + cmd
        p = subprocess.run(cmd, env=dict(env, **extra), capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        assert p.returncode == 2, (extra, p.returncode, p.stderr[-500:])
        assert line in p.stderr, (extra, p.stderr[-500:])


def main():
    for tool in ("svscan", "supervise", "svc", "svstat", "svok", "multilog", "softlimit", "envdir", "setuidgid", "openssl"):
        if shutil.which(tool) is None:
            print("e2e_daemontools: %s is missing (tools/test-deps installs daemontools and openssl)" % tool)
            return 1
    passed = failed = 0
    pending = []
    svc = Service()
    try:
        for test in (test_heap_settings_are_checked, test_service, test_systemd_unit_verifies,
                     test_unit_privileges_bind_a_low_port):
            try:
                test(svc, pending)
                passed += 1
                print("ok   %s" % test.__name__)
            except Exception:
                failed += 1
                print("FAIL %s" % test.__name__)
                traceback.print_exc()
                print("--- multilog current (last 40 lines):\n" + "\n".join(svc.log().splitlines()[-40:]))
    finally:
        svc.close()
    for p in pending:
        print("PENDING %s" % p)
    print("e2e_daemontools: %d passed, %d failed, %d pending" % (passed, failed, len(pending)))
    if failed == 0 and not os.environ.get("POSTHORN_KEEP"):
        shutil.rmtree(svc.work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
