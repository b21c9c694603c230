#!/usr/bin/env python3
"""The launcher's JVM sizing (README, "Memory and softlimit"), as a user meets it.

`./posthorn jvm-options` prints what `./posthorn run` starts the JVM with; these tests check that
sizing for the cases README names (the default, many sessions, a memory limit, a collector of one's
own in POSTHORN_JAVA_OPTS, bad values), then start the real server and check that the JVM running it
got exactly those options and serves. No timing or memory figure is asserted (those are in
BENCHMARKS.md): only which options a given setting yields.

Prints 'e2e_memory: N passed, N failed' and exits non-zero on any failure.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import TOP, Server, free_port  # noqa: E402

LAUNCHER = os.path.join(TOP, "posthorn")


def launcher_jdk():
    """The JDK the launcher picks (its find_jdk): the newest >= 21 with javac, among JAVA_HOME and
    /usr/lib/jvm/*; (major version, home)."""
    best = (0, None)
    homes = ([os.environ["JAVA_HOME"]] if os.environ.get("JAVA_HOME") else []) + \
        [os.path.join("/usr/lib/jvm", c) for c in sorted(os.listdir("/usr/lib/jvm"))]
    for home in homes:
        if not (os.access(os.path.join(home, "bin", "java"), os.X_OK) and os.access(os.path.join(home, "bin", "javac"), os.X_OK)):
            continue
        try:
            with open(os.path.join(home, "release")) as f:
                m = re.search(r'JAVA_VERSION="(?:1\.)?(\d+)', f.read())
        except OSError:
            continue
        if m and int(m.group(1)) >= 21 and int(m.group(1)) > best[0]:
            best = (int(m.group(1)), home)
    return best


def jvm_options(env=None, limit=None):
    """The options and environment lines `jvm-options` prints, with its exit status and stderr."""
    cmd = [LAUNCHER, "jvm-options"]
    if limit:
        cmd = ["softlimit", "-m", str(limit)] + cmd
    e = {k: v for k, v in os.environ.items() if not k.startswith("POSTHORN_")}
    e.update(env or {})
    p = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.split("\n")[:-1], p.stderr


def machine_mib():
    with open("/proc/meminfo") as f:
        kib = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    mib = kib // 1024
    try:
        with open("/sys/fs/cgroup/memory.max") as f:
            cg = f.read().strip()
        if cg != "max" and int(cg) // 1048576 < mib:
            mib = int(cg) // 1048576
    except OSError:
        pass
    return mib


def expected_heap(sessions):
    heap = max(1024, 512 + sessions // 64)
    return min(heap, max(256, machine_mib() // 4))


def one(opts, prefix):
    found = [o for o in opts if o.startswith(prefix)]
    assert len(found) == 1, (prefix, opts)
    return found[0]


def test_default_sizing_is_g1_that_gives_memory_back(ctx):
    code, opts, err = jvm_options()
    assert code == 0, err
    assert "-XX:+UseG1GC" in opts, opts
    assert one(opts, "-Xmx") == "-Xmx%dm" % expected_heap(1000), opts
    # Memory back when idle, and a heap that follows what is live.
    assert one(opts, "-XX:G1PeriodicGCInterval=") == "-XX:G1PeriodicGCInterval=10000", opts
    assert "-XX:MaxHeapFreeRatio=30" in opts and "-XX:MinHeapFreeRatio=10" in opts, opts
    assert one(opts, "-Xms") == "-Xms32m", opts
    jdk, home = ctx["jdk"]
    if jdk >= 25 and os.path.exists(os.path.join(home, "lib", "server", "classes_coh.jsa")):
        assert "-XX:+UseCompactObjectHeaders" in opts, opts
    else:
        assert "-XX:+UseCompactObjectHeaders" not in opts, opts
    assert not any(o.startswith("env ") for o in opts), opts


def test_many_sessions_raise_the_ceiling(ctx):
    code, opts, err = jvm_options({"POSTHORN_SESSIONS": "100000"})
    assert code == 0, err
    assert one(opts, "-Xmx") == "-Xmx%dm" % expected_heap(100000), opts


def test_a_memory_limit_gives_the_small_jvm(ctx):
    if shutil.which("softlimit") is None:
        ctx["pending"].append("a memory limit: softlimit (daemontools) is not installed")
        return
    code, opts, err = jvm_options(limit=600000000)
    assert code == 0, err
    assert "-XX:+UseSerialGC" in opts and "-XX:+UseG1GC" not in opts, opts
    assert one(opts, "-Xmx") == "-Xmx188m", opts
    assert "env MALLOC_ARENA_MAX=1" in opts, opts
    assert not any(o.startswith("-XX:G1") for o in opts), opts


def test_a_collector_of_ones_own_replaces_the_launchers(ctx):
    code, opts, err = jvm_options({"POSTHORN_JAVA_OPTS": "-XX:+UseParallelGC -Xlog:gc:stderr"})
    assert code == 0, err
    gcs = [o for o in opts if re.fullmatch(r"-XX:\+Use\w*GC", o)]
    assert gcs == ["-XX:+UseParallelGC"], opts
    assert not any(o.startswith(("-XX:G1", "-XX:MaxHeapFreeRatio", "-XX:MinHeapFreeRatio", "-XX:GCTimeRatio"))
                   for o in opts), opts
    # The heap ceiling and what is not the collector's stay.
    assert one(opts, "-Xmx") == "-Xmx%dm" % expected_heap(1000), opts


def test_bad_values_are_refused(ctx):
    for env, line in (({"POSTHORN_HEAP": "lots"}, "POSTHORN_HEAP=lots: not a size"),
                      ({"POSTHORN_HEAP": "8m"}, "POSTHORN_HEAP=8m: below the 32 MiB"),
                      ({"POSTHORN_SESSIONS": "1e5"}, "POSTHORN_SESSIONS=1e5: not a number of sessions")):
        code, opts, err = jvm_options(env)
        assert code == 2 and line in err, (env, code, err)
        assert opts == [], (env, opts)


def start(srv, seconds=300):
    """e2e.Server.start with a longer wait: a JVM start takes minutes on a loaded machine."""
    # The jar as built (./posthorn test installs first): a build inside the timed start would make
    # the wait Maven's, not the server's.
    assert os.path.exists(os.path.join(TOP, "runtime", "target", "posthorn.jar")), "build first: ./posthorn build"
    env = dict(os.environ, POSTHORN_VAR=srv.var, POSTHORN_DEMO="yes", POSTHORN_BUILD="no")
    srv.out = open(srv.out_path, "ab")
    srv.err = open(srv.err_path, "ab")
    srv.proc = subprocess.Popen([LAUNCHER, "run", "--config", srv.conf], stdin=subprocess.DEVNULL,
                                stdout=srv.out, stderr=srv.err, env=env, cwd=TOP)
    deadline = time.time() + seconds
    while time.time() < deadline:
        if srv.proc.poll() is not None:
            raise AssertionError("server exited with %s:\n%s" % (srv.proc.returncode, srv.stderr()[-3000:]))
        try:
            with socket.create_connection(("127.0.0.1", srv.port), timeout=2) as c:
                if c.recv(200).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("server did not greet in %d s:\n%s" % (seconds, srv.stderr()[-3000:]))


def test_the_server_runs_with_the_printed_options(ctx):
    """The real server: its JVM's command line holds every option jvm-options printed, and it
    serves; the same with a collector of one's own (two collectors would stop the JVM at start)."""
    for extra in ({}, {"POSTHORN_JAVA_OPTS": "-XX:+UseSerialGC"}):
        code, opts, err = jvm_options(extra)
        assert code == 0, err
        work = tempfile.mkdtemp(prefix="e2e_memory-")
        ctx["dirs"].append(work)
        saved = {k: os.environ.get(k) for k in extra}
        os.environ.update(extra)
        srv = Server(work, free_port())
        try:
            start(srv)
            with open("/proc/%d/cmdline" % srv.proc.pid, "rb") as f:
                argv = f.read().decode().split("\0")
            assert argv[0].endswith("/java"), argv[:3]
            for o in opts:
                assert o in argv, (o, argv)
            assert srv.stop() == 0, srv.stderr()[-2000:]
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            if srv.proc and srv.proc.poll() is None:
                srv.proc.kill()


def main():
    ctx = {"jdk": launcher_jdk(), "pending": [], "dirs": []}
    passed = failed = 0
    tests = [test_default_sizing_is_g1_that_gives_memory_back,
             test_many_sessions_raise_the_ceiling,
             test_a_memory_limit_gives_the_small_jvm, test_a_collector_of_ones_own_replaces_the_launchers,
             test_bad_values_are_refused, test_the_server_runs_with_the_printed_options]
    only = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "-k" else None
    for t in tests:
        if only and only not in t.__name__:
            continue
        try:
            t(ctx)
            passed += 1
            print("ok   %s" % t.__name__)
        except Exception:
            failed += 1
            print("FAIL %s" % t.__name__)
            traceback.print_exc()
    for p in ctx["pending"]:
        print("PENDING %s" % p)
    if not failed:
        for d in ctx["dirs"]:
            shutil.rmtree(d, ignore_errors=True)
    print("e2e_memory: %d passed, %d failed, %d pending" % (passed, failed, len(ctx["pending"])))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
