#!/usr/bin/env python3
"""The SSH console (console.cfg ssh.port), end to end, against ./posthorn run with the real OpenSSH client.

Off by default: with ssh.port=0 the server listens on its IMAP ports only. Enabled by editing
console.cfg while the server runs: a key listed in authorized_keys runs `lb` (exit 0) and an unknown
command (exit 127), a shell channel reads commands from stdin; a key not listed is refused; the server
offers public keys only (password and keyboard-interactive fail at once, without a prompt, in
BatchMode); the host key is generated owner-only under umask 000; the log has one line per login
(user, fingerprint, result) and per command (its name, never its arguments). A bad value (port, bind,
missing authorized_keys) is refused in one log line and the SSH console keeps running; ssh.port=0
stops it.

Usage: e2e_ssh.py   (prints 'e2e_ssh: N passed, N failed', exits non-zero on a failure)
"""
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import Server, free_port  # noqa: E402


def wait_for(condition, what, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("waited %d s for %s" % (seconds, what))


class Ctx:
    pass


def ssh(c, key, *command, extra=(), stdin=None):
    cmd = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
           "-o", "UserKnownHostsFile=" + c.known, "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10",
           "-o", "LogLevel=ERROR"]
    if key:
        cmd += ["-i", key]
    cmd += list(extra) + ["-p", str(c.ssh_port), "admin@127.0.0.1"] + list(command)
    r = subprocess.run(cmd, input=stdin, capture_output=True, timeout=60,
                       stdin=None if stdin is not None else subprocess.DEVNULL)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def listening_ports(pid):
    """The TCP ports the process listens on (ss -ltnp)."""
    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout
    ports = set()
    for line in out.splitlines():
        if "pid=%d," % pid in line:
            ports.add(int(line.split()[3].rsplit(":", 1)[1]))
    return ports


def write_console_cfg(c, text):
    """The shipped console.cfg with TEXT after it (later keys win)."""
    path = os.path.join(c.srv.conf, "console.cfg")
    if not hasattr(c, "console_cfg"):
        with open(path) as f:
            c.console_cfg = f.read()
    with open(path, "w") as f:
        f.write(c.console_cfg + "\n" + text)


def log_count(c, text):
    return c.srv.stderr().count(text)


def test_off_by_default_nothing_listens(c):
    ports = listening_ports(c.srv.proc.pid)
    assert c.srv.port in ports, ports
    assert len(ports) == 2, "IMAP and IMAPS only, with ssh.port=0: %s" % ports
    assert "ssh console listening" not in c.srv.stderr()
    assert not os.path.exists(os.path.join(c.srv.var, "ssh", "host_key")), "no host key while off"


def test_enable_at_run_time(c):
    write_console_cfg(c, "ssh.port=%d\n" % c.ssh_port)
    wait_for(lambda: "ssh console listening on 127.0.0.1 port %d" % c.ssh_port in c.srv.stderr(), "the ssh console")
    assert c.ssh_port in listening_ports(c.srv.proc.pid)
    # Loopback only: the listening socket's local address is 127.0.0.1.
    out = subprocess.run(["ss", "-Hltn", "sport = :%d" % c.ssh_port], capture_output=True, text=True).stdout
    # (Java's dual-stack socket shows the IPv4 loopback address mapped into IPv6: still loopback only.)
    assert out.split()[3] in ("127.0.0.1:%d" % c.ssh_port, "[::ffff:127.0.0.1]:%d" % c.ssh_port), out
    host_key = os.path.join(c.srv.var, "ssh", "host_key")
    assert stat.S_IMODE(os.stat(host_key).st_mode) == 0o600, oct(os.stat(host_key).st_mode)
    assert stat.S_IMODE(os.stat(os.path.dirname(host_key)).st_mode) == 0o700


def test_listed_key_runs_lb(c):
    code, out, err = ssh(c, c.good, "lb")
    assert code == 0, (code, out, err)
    assert "posthorn.console" in out and "Apache Mina SSHD" in out and "Active" in out, out
    code, out, err = ssh(c, c.good, "imap:who")
    assert code == 0, (code, out, err)
    code, out, err = ssh(c, c.rsa, "lb")
    assert code == 0 and "posthorn.console" in out, ("an RSA key", code, err)
    log = c.srv.stderr()
    assert "ssh login user=admin key=%s result=accepted" % c.good_fp in log, log[-2000:]
    assert " ran lb: exit status 0" in log and " ran imap:who: exit status 0" in log


def test_unknown_command_fails(c):
    code, out, err = ssh(c, c.good, "nosuchcommand")
    assert code == 127 and "nosuchcommand" in err, (code, out, err)
    code, out, err = ssh(c, c.good, "stop nosuchbundle")
    assert code == 1 and err.strip(), (code, out, err)


def test_arguments_never_logged(c):
    code, out, err = ssh(c, c.good, "lb", "secret-argument-xyz")
    assert code == 0, (code, out, err)
    assert "secret-argument-xyz" not in c.srv.stderr()
    assert " ran lb: exit status 0" in c.srv.stderr()


def test_shell_channel(c):
    code, out, err = ssh(c, c.good, stdin=b"x = 42\necho $x\nlb\nnosuchcommand\n")
    assert "posthorn.console" in out and "42" in out, (code, out, err)
    assert code == 127, "the status of the last command: %s" % code
    code, out, err = ssh(c, c.good, stdin=b"lb\nexit\nnosuchcommand\n")
    assert code == 0 and "posthorn.console" in out and "nosuchcommand" not in err, (code, out, err)


def test_unlisted_key_refused(c):
    before = log_count(c, "result=refused")
    code, out, err = ssh(c, c.bad, "lb")
    assert code == 255 and "Permission denied (publickey)" in err, (code, out, err)
    assert out == ""
    wait_for(lambda: log_count(c, "ssh login user=admin key=%s result=refused" % c.bad_fp) > 0, "the refusal's log line")
    assert log_count(c, "result=refused") > before
    code, out, err = ssh(c, None, "lb")  # no key at all
    assert code == 255 and "Permission denied" in err, (code, out, err)
    # authorized_keys is re-read when it changes: the key listed now gets in, and out again.
    keys = os.path.join(c.srv.var, "ssh", "authorized_keys")
    with open(keys) as f:
        listed = f.read()
    with open(keys, "a") as f, open(c.bad + ".pub") as k:
        f.write(k.read())
    time.sleep(1.1)  # a new modification time
    code, out, err = ssh(c, c.bad, "lb")
    assert code == 0, ("added to authorized_keys", code, err)
    with open(keys, "w") as f:
        f.write(listed)
    os.utime(keys, (time.time() + 2, time.time() + 2))
    code, out, err = ssh(c, c.bad, "lb")
    assert code == 255, ("removed from authorized_keys", code, err)


def test_no_passwords_offered(c):
    for method in ("password", "keyboard-interactive"):
        started = time.time()
        code, out, err = ssh(c, None, "lb", extra=("-o", "PreferredAuthentications=" + method,
                                                    "-o", "PubkeyAuthentication=no"))
        assert code == 255 and "Permission denied (publickey)." in err, (method, code, err)
        assert time.time() - started < 20, "no prompt, no wait"


def test_bad_values_keep_the_console(c):
    cases = [
        ("ssh.port=notaport\n", "console.cfg refused: ssh.port: not a whole number"),
        ("ssh.port=70000\n", "console.cfg refused: ssh.port: 70000 is not between 0 and 65535"),
        ("ssh.port=%d\nssh.bind=localhost\n" % c.ssh_port, "console.cfg refused: ssh.bind: 'localhost' is not an IP address"),
        ("ssh.port=%d\nssh.authorized.keys=%s/missing\n" % (c.ssh_port, c.work),
         "console.cfg refused: ssh.authorized.keys: %s/missing is not a file" % c.work),
    ]
    for text, line in cases:
        write_console_cfg(c, text)
        wait_for(lambda: line in c.srv.stderr(), line)
        assert log_count(c, line) == 1, line
        code, out, err = ssh(c, c.good, "lb")
        assert code == 0, ("the last good settings stay", text, code, err)


def test_port_0_stops_it(c):
    write_console_cfg(c, "ssh.port=0\n")
    wait_for(lambda: "ssh console stopped" in c.srv.stderr(), "the ssh console to stop")
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", c.ssh_port)) != 0, "nothing listens"
    assert c.ssh_port not in listening_ports(c.srv.proc.pid)


TESTS = [test_off_by_default_nothing_listens, test_enable_at_run_time, test_listed_key_runs_lb,
         test_unknown_command_fails, test_arguments_never_logged, test_shell_channel,
         test_unlisted_key_refused, test_no_passwords_offered, test_bad_values_keep_the_console,
         test_port_0_stops_it]


def keygen(path, kind=("-t", "ecdsa", "-b", "256")):
    subprocess.run(["ssh-keygen", "-q"] + list(kind) + ["-N", "", "-f", path], check=True)
    out = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", path + ".pub"], capture_output=True,
                         text=True, check=True).stdout
    return out.split()[1]


def main():
    c = Ctx()
    c.work = tempfile.mkdtemp(prefix="phs-")
    c.srv = Server(c.work, free_port())
    c.ssh_port = free_port()
    c.known = os.path.join(c.work, "known_hosts")
    c.good = os.path.join(c.work, "id_good")
    c.bad = os.path.join(c.work, "id_bad")
    c.good_fp = keygen(c.good)
    c.bad_fp = keygen(c.bad)
    c.rsa = os.path.join(c.work, "id_rsa")
    keygen(c.rsa, ("-t", "rsa", "-b", "3072"))
    os.makedirs(os.path.join(c.srv.var, "ssh"), mode=0o700)
    with open(os.path.join(c.srv.var, "ssh", "authorized_keys"), "w") as f, open(c.good + ".pub") as k:
        f.write("# the operator's keys\n" + k.read())
        with open(c.rsa + ".pub") as r:
            f.write(r.read())
    os.chmod(os.path.join(c.srv.var, "ssh"), 0o700)
    write_console_cfg(c, "ssh.port=0\n")
    passed = failed = 0
    old = os.umask(0)  # the host key must be owner-only whatever the umask
    try:
        c.srv.start()
        wait_for(lambda: "console listening" in c.srv.stderr(), "the console")
    finally:
        os.umask(old)
    started = time.time()
    for t in TESTS:
        try:
            t(c)
            print("ok   %s" % t.__name__)
            passed += 1
        except Exception:  # noqa: BLE001 (report every failure and go on)
            import traceback
            print("FAIL %s\n%s" % (t.__name__, traceback.format_exc()))
            failed += 1
    code = c.srv.stop()
    if code != 0:
        print("FAIL server exit status %s" % code)
        failed += 1
    if failed:
        print("server log (last 40 lines):\n" + "\n".join(c.srv.stderr().splitlines()[-40:]))
        print("e2e_ssh: work directory kept: %s" % c.work)
    else:
        shutil.rmtree(c.work, ignore_errors=True)
    print("e2e_ssh: %d passed, %d failed (%.0f s after start)" % (passed, failed, time.time() - started))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
