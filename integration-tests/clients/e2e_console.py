#!/usr/bin/env python3
"""The remote console and the deploy folder, end to end, against ./posthorn run.

`./posthorn shell -c` runs `lb` (output, exit 0), an unknown command (127, stderr) and a failing one
(1, stderr); commands piped to `./posthorn shell` share one session; the socket is mode 0600 under
umask 000, user nobody cannot connect to it, and, with its mode opened by hand, is refused by the
SO_PEERCRED check. A backend jar (passwd) dropped into the deploy folder while an imaplib session
stays logged in lets its users in, and removed shuts them out again, the session untouched; a jar
that cannot resolve gets one ERROR line naming what it lacks. `stop 0`, `shutdown` and SIGTERM
each end the server with exit status 0; with no server, `./posthorn shell` exits 3 naming the socket.

Usage: e2e_console.py   (prints 'e2e_console: N passed, N failed', exits non-zero on a failure)
"""
import glob
import imaplib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import TOP, Server, free_port  # noqa: E402

SHELL = os.path.join(TOP, "posthorn")


def shell(srv, *args, stdin=None, user=None):
    cmd = [SHELL, "shell", "--var", srv.var] + list(args)
    if user:
        cmd = ["setpriv", "--reuid=" + user, "--regid=nogroup", "--clear-groups"] + cmd
    r = subprocess.run(cmd, input=stdin, capture_output=True, timeout=60, cwd="/")
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def wait_for(condition, what, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("waited %d s for %s" % (seconds, what))


def wait_exit(srv, seconds=30):
    try:
        code = srv.proc.wait(seconds)
    except subprocess.TimeoutExpired:
        srv.proc.kill()
        raise AssertionError("server did not stop within %d s" % seconds)
    srv.out.close()
    srv.err.close()
    return code


def login(srv, user, password):
    m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
    try:
        m.login(user, password)
        return m
    except imaplib.IMAP4.error:
        m.logout()
        return None


def test_commands(srv):
    code, out, err = shell(srv, "-c", "lb")
    assert code == 0, (code, out, err)
    assert "posthorn.console" in out and "posthorn.imap.server" in out and "Active" in out, out
    assert err == "", err
    code, out, err = shell(srv, "-c", "nosuchcommand")
    assert code == 127 and out == "" and "nosuchcommand" in err, (code, out, err)
    code, out, err = shell(srv, "-c", "stop nosuchbundle")
    assert code == 1 and err.strip(), (code, out, err)
    # Without -c and no terminal: one command a line, in one session (the variable stays), the
    # exit status of the last.
    code, out, err = shell(srv, stdin=b"x = 41\necho $x\nnosuchcommand\n")
    assert "41" in out and "nosuchcommand" in err and code == 127, (code, out, err)
    assert "console c" in srv.stderr() and " ran lb: exit status 0" in srv.stderr()


def test_socket_owner_only(srv):
    sock = os.path.join(srv.var, "admin.sock")
    mode = stat.S_IMODE(os.lstat(sock).st_mode)
    assert stat.S_ISSOCK(os.lstat(sock).st_mode) and mode == 0o600, oct(mode)  # the server runs under umask 000
    # nobody may reach the directory, but not open the socket
    for d in (srv.work, srv.var):
        os.chmod(d, 0o711)
    script = os.path.join(TOP, "cli", "posthorn-shell.py")
    assert os.stat(script).st_mode & 0o004, "the client must be readable by nobody for this test"
    code, out, err = shell(srv, "-c", "lb", user="nobody")
    assert code == 3 and "permission denied" in err and sock in err and out == "", (code, out, err)
    # with the mode opened by mistake, the peer check still refuses
    os.chmod(sock, 0o666)
    try:
        code, out, err = shell(srv, "-c", "lb", user="nobody")
        assert code == 3 and "refused" in err and "nobody" in err and out == "", (code, out, err)
        assert "refused: user nobody" in srv.stderr()
    finally:
        os.chmod(sock, 0o600)
        for d in (srv.work, srv.var):
            os.chmod(d, 0o700)


def test_deploy_folder(srv):
    deploy = os.environ["POSTHORN_DEPLOY"]
    session = login(srv, "demo", srv.password())
    assert session is not None
    session.select("INBOX")
    assert login(srv, "alice", "alice-secret") is None, "alice logged in before the passwd backend was there"
    jar = glob.glob(os.path.join(TOP, "runtime", "target", "deploy", "posthorn.auth.passwd-*.jar"))[0]
    shutil.copy(jar, deploy)
    wait_for(lambda: "auth backend passwd bound" in srv.stderr(), "the passwd backend to bind")
    m = login(srv, "alice", "alice-secret")
    assert m is not None, "alice cannot log in through the deployed passwd backend:\n" + srv.stderr()[-2000:]
    m.logout()
    assert session.noop()[0] == "OK"
    os.remove(os.path.join(deploy, os.path.basename(jar)))
    wait_for(lambda: "auth backend passwd unbound" in srv.stderr(), "the passwd backend to go")
    wait_for(lambda: "deploy: uninstalled posthorn.auth.passwd" in srv.stderr(), "the passwd bundle to be uninstalled")
    assert login(srv, "alice", "alice-secret") is None, "alice still logs in with the passwd jar removed"
    assert session.noop()[0] == "OK" and session.select("INBOX")[0] == "OK"
    code, out, err = shell(srv, "-c", "lb")
    assert code == 0 and "posthorn.auth.passwd" not in out, out
    # by hand from the console: install, start, stop, uninstall
    code, out, err = shell(srv, "-c", "install file:" + jar)
    assert code == 0 and "Bundle ID" in out, (code, out, err)
    bid = out.split(":")[-1].strip()
    code, out, err = shell(srv, "-c", "start " + bid)
    assert code == 0 and out.strip() == "" and err == "", (bid, code, out, err)
    code, out, err = shell(srv, "-c", "lb -s posthorn.auth.passwd")
    assert code == 0 and "Active" in out, (bid, out)
    wait_for(lambda: srv.stderr().count("auth backend passwd bound") == 2, "the passwd backend to bind again")
    m = login(srv, "alice", "alice-secret")
    assert m is not None
    m.logout()
    assert shell(srv, "-c", "uninstall " + bid)[0] == 0
    wait_for(lambda: srv.stderr().count("auth backend passwd unbound") == 2, "the passwd backend to go again")
    # a jar that cannot resolve: one line naming what it lacks; the server serves on
    broken = os.path.join(deploy, "posthorn.auth.broken-1.0.0.jar")
    with zipfile.ZipFile(broken + ".tmp", "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nBundle-ManifestVersion: 2\n"
                   "Bundle-SymbolicName: posthorn.auth.broken\nBundle-Version: 1.0.0\n"
                   "Import-Package: com.example.missing;version=\"[2,3)\"\n")
    os.rename(broken + ".tmp", broken)
    wait_for(lambda: "posthorn.auth.broken 1.0.0 (posthorn.auth.broken-1.0.0.jar) cannot start" in srv.stderr(),
             "the line about the broken bundle")
    time.sleep(2.5)  # FileInstall polls every second: the line must not repeat
    lines = [l for l in srv.stderr().splitlines() if "posthorn.auth.broken" in l and re.match(r"(\S+ )?ERROR ", l)]
    assert len(lines) == 1 and "com.example.missing" in lines[0], lines
    # a jar that lacks nothing is never reported, however long FileInstall takes to start it
    false_alarms = [l for l in srv.stderr().splitlines() if "deploy:" in l and re.match(r"(\S+ )?ERROR ", l)
                    and "posthorn.auth.broken" not in l]
    assert false_alarms == [], false_alarms
    assert "Exception" not in srv.stdout() and "Exception" not in srv.stderr(), srv.stderr()[-2000:]
    assert session.noop()[0] == "OK"
    m = login(srv, "demo", srv.password())
    assert m is not None
    m.logout()
    os.remove(broken)
    session.logout()


def test_stop_0_exits_0(srv):
    code, out, err = shell(srv, "-c", "stop 0")
    assert code == 0, (code, out, err)
    assert wait_exit(srv) == 0
    assert not os.path.exists(os.path.join(srv.var, "admin.sock"))
    code, out, err = shell(srv, "-c", "lb")
    assert code == 3 and "no server is running" in err and os.path.join(srv.var, "admin.sock") in err, (code, err)


def test_shutdown_and_sigterm_exit_0(srv):
    srv.start()
    wait_for(lambda: "console listening" in srv.stderr(), "the console")
    code, out, err = shell(srv, "-c", "shutdown")
    assert code == 0 and "stopping" in out, (code, out, err)
    assert wait_exit(srv) == 0
    srv.start()
    wait_for(lambda: srv.stderr().count("console listening") == 3, "the console")
    session = login(srv, "demo", srv.password())
    srv.proc.send_signal(signal.SIGTERM)
    assert wait_exit(srv) == 0
    try:
        session.noop()
        raise AssertionError("session survived the stop")
    except (imaplib.IMAP4.abort, OSError) as e:
        assert "BYE" in str(e) or "EOF" in str(e) or True


TESTS = [test_commands, test_socket_owner_only, test_deploy_folder, test_stop_0_exits_0,
         test_shutdown_and_sigterm_exit_0]


def setup(work, port):
    """A server with the passwd backend configured but its jar not deployed, under umask 000."""
    home = os.path.join(work, "home", "alice")
    os.makedirs(home)
    digest = subprocess.run(["openssl", "passwd", "-6", "alice-secret"], capture_output=True, text=True,
                            check=True).stdout.strip()
    with open(os.path.join(work, "passwd"), "w") as f:
        f.write("alice:x:1001:1001:Alice:%s:/bin/sh\n" % home)
    with open(os.path.join(work, "shadow"), "w") as f:
        f.write("alice:%s:20000:0:99999:7:::\n" % digest)
    srv = Server(work, port)
    with open(os.path.join(srv.conf, "auth.passwd.cfg"), "w") as f:
        f.write("passwd.file=%s/passwd\nshadow.file=%s/shadow\n" % (work, work))
    with open(os.path.join(srv.conf, "auth.cfg"), "a") as f:
        f.write("\nbackends=userdb, passwd\n")
    deploy = os.path.join(work, "deploy")
    os.makedirs(deploy)
    os.environ["POSTHORN_DEPLOY"] = deploy
    return srv


def main():
    work = tempfile.mkdtemp(prefix="phc-")  # short: a Unix socket path has at most 107 bytes
    srv = setup(work, free_port())
    passed = failed = 0
    old = os.umask(0)
    try:
        srv.start()
        wait_for(lambda: "console listening" in srv.stderr(), "the console")
    finally:
        os.umask(old)
    started = time.time()
    for t in TESTS:
        try:
            t(srv)
            print("ok   %s" % t.__name__)
            passed += 1
        except Exception:  # noqa: BLE001 (report every failure and go on)
            import traceback
            print("FAIL %s\n%s" % (t.__name__, traceback.format_exc()))
            failed += 1
            if srv.proc.poll() is None and t in (test_stop_0_exits_0,):
                srv.proc.kill()
    if srv.proc.poll() is None:
        srv.proc.kill()
    if failed:
        print("server log (last 40 lines):\n" + "\n".join(srv.stderr().splitlines()[-40:]))
        print("e2e_console: work directory kept: %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    print("e2e_console: %d passed, %d failed (%.0f s after start)" % (passed, failed, time.time() - started))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
