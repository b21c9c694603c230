#!/usr/bin/env python3
"""Cold-path probe (issue 14): LOGIN+SELECT and the first UID SEARCH TEXT right after it, on a
never-opened hard-linked copy (cp -al) of the bench's generated data, for Posthorn (TREE/posthorn run as
posthorn-bench) or Dovecot (/usr/lib/dovecot/imap over stdin, as nobody). Prints wall time and the
server's CPU (from /proc) per command; --jfr SETTINGS records a JFR file in the probe's folder.
Run as root, after ./posthorn bench made the data (under $POSTHORN_BENCH_WORK).

usage: probe.py posthorn|dovecot TREE TAG MAILDIR [--jfr SETTINGS] [--env K=V | --env CFG:file.cfg:key=V]
                [--cmds select,search,idle,search2,flags,sort,settle,thread,env,bs,reselect,envelope,envelope2,bodystructure]
A trailing number repeats a command under its own key: --cmds select,bs1,bs2,bs3,env1,env2,flags1,flags2,reselect1,reselect2;
a name given again is timed again under NAME_2, NAME_3, ... (sort,sort,sort: the later ones are the warm figures).
settle waits 6 s and sends a NOOP (the store writes its index after the first SORT derived the keys).
(envelope2 is a second FETCH 1:* (ENVELOPE), warm; the FETCH commands print the response's line count
and a SHA-1 of its lines without literals, which compare between servers and before/after.)
"""
import os, re, socket, subprocess, sys, time, shutil, json, select

W = os.environ.get("POSTHORN_BENCH_WORK", "/var/tmp/bench-perf")
server, tree, tag, data = sys.argv[1:5]
args = sys.argv[5:]
jfr = None; env_extra = {}; cmds = ["select", "search"]; wait_idle = False
i = 0
while i < len(args):
    a = args[i]
    if a == "--jfr": jfr = args[i + 1]; i += 2
    elif a == "--env": k, v = args[i + 1].split("=", 1); env_extra[k] = v; i += 2
    elif a == "--cmds": cmds = args[i + 1].split(","); i += 2
    else: sys.exit("bad arg " + a)
NEEDLE = "quuxfrobnicator"
d = f"{W}/probe-{tag}"
if os.path.exists(d): shutil.rmtree(d)
os.makedirs(d)
home = f"{d}/home/bench"; os.makedirs(home)
subprocess.check_call(["cp", "-al", data, f"{home}/Maildir"])
res = {"tag": tag, "server": server}

class Peer:
    def __init__(self, recv, send): self.recv = recv; self.send = send; self.buf = b""
    def readline(self):
        while b"\n" not in self.buf:
            c = self.recv()
            if not c: raise EOFError()
            self.buf += c
        l, self.buf = self.buf.split(b"\n", 1); return l + b"\n"
    def read(self, n):
        while len(self.buf) < n:
            c = self.recv()
            if not c: raise EOFError()
            self.buf += c
        r, self.buf = self.buf[:n], self.buf[n:]; return r
    n = 0
    def cmd(self, c):
        self.n += 1; t = f"a{self.n}"; self.send(f"{t} {c}\r\n".encode()); out = []
        while True:
            l = self.readline()
            if l.startswith(t.encode() + b" "):
                if l.split(b" ")[1] != b"OK": raise RuntimeError(l)
                return out
            out.append(l)
            m = re.search(rb"\{(\d+)\}\r\n$", l)
            if m: out.append(self.read(int(m.group(1))))

def cpu(pids):
    t = 0
    for pid in pids:
        try:
            f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            t += (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
        except OSError: pass
    return t

def threads(pids):
    """CPU seconds by thread name (digits dropped: GC Thread#0 and #1 add up) of the server's threads."""
    by = {}
    for pid in pids:
        try: tids = os.listdir(f"/proc/{pid}/task")
        except OSError: continue
        for tid in tids:
            try:
                raw = open(f"/proc/{pid}/task/{tid}/stat").read()
                name = raw[raw.index("(") + 1:raw.rindex(")")].rstrip("0123456789#- ")
                f = raw.rsplit(")", 1)[1].split()
                by[name] = by.get(name, 0) + (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, ValueError): pass
    return by

def thread_delta(before, after):
    d = {k: round(v - before.get(k, 0), 2) for k, v in after.items() if v - before.get(k, 0) >= 0.05}
    return dict(sorted(d.items(), key=lambda kv: -kv[1]))

def run(peer, pids, login):
    if login:
        t0 = time.time(); c0 = cpu(pids); peer.cmd(login)
    else:
        t0 = time.time(); c0 = cpu(pids)
    out = peer.cmd("SELECT INBOX"); res["select_s"] = time.time() - t0; res["select_cpu"] = cpu(pids) - c0
    res["exists"] = [l.decode().strip() for l in out if b"EXISTS" in l]
    seen = {}
    for k0 in cmds:
        if k0 == "select": continue
        seen[k0] = seen.get(k0, 0) + 1
        k = k0 if seen[k0] == 1 else f"{k0}_{seen[k0]}"
        if k == "idle":
            res["wait_idle_s"] = wait_idle_fn(); continue
        if k0 == "settle":
            # after the first SORT/THREAD derived the keys: let the store write its index (due 5 s
            # after the last write) at a NOOP, so that the timed commands after it do not pay for that
            time.sleep(6); peer.cmd("NOOP"); continue
        # a trailing number repeats a command under its own key (env1,env2,env3: the first derives, the others are warm)
        cm = {"search": f"UID SEARCH TEXT {NEEDLE}", "search2": f"UID SEARCH TEXT {NEEDLE}",
              "flags": "FETCH 1:* (UID FLAGS)", "sort": "UID SORT (DATE) UTF-8 ALL",
              "thread": "UID THREAD REFERENCES UTF-8 ALL",
              "env": "FETCH 1:* (ENVELOPE)", "bs": "FETCH 1:* (BODYSTRUCTURE)", "reselect": "SELECT INBOX",
              "envelope": "FETCH 1:* (ENVELOPE)", "envelope2": "FETCH 1:* (ENVELOPE)",
              "bodystructure": "FETCH 1:* (BODYSTRUCTURE)"}[k0 if k0 in ("search2", "envelope2") else k0.rstrip("0123456789")]
        th0 = threads(pids); t0 = time.time(); c0 = cpu(pids); out = peer.cmd(cm)
        res[k + "_s"] = time.time() - t0; res[k + "_cpu"] = cpu(pids) - c0
        res[k + "_threads"] = thread_delta(th0, threads(pids))
        if "FETCH" in cm:
            res[k + "_lines"] = len(out)
            import hashlib; res[k + "_sha1"] = hashlib.sha1(b"".join(l for l in out if not l.startswith(b"* OK"))).hexdigest()
        if "SORT" in cm or "THREAD" in cm:
            res[k + "_bytes"] = sum(len(l) for l in out)
            res[k + "_sha"] = __import__("hashlib").sha1(b"".join(out)).hexdigest()[:12]
        if "SEARCH" in cm:
            sl = [l for l in out if l.startswith(b"* SEARCH")]
            res[k + "_hits"] = len(sl[0].split()) - 2 if sl else -1
            res[k + "_other"] = [l.decode(errors="replace").strip()[:100] for l in out if not l.startswith(b"* SEARCH")][:5]

wait_idle_fn = lambda: 0
if server == "posthorn":
    USER = "posthorn-bench"
    conf = f"{d}/config"; os.makedirs(conf)
    for f in os.listdir(f"{tree}/config"):
        if f.endswith(".cfg"): shutil.copy(f"{tree}/config/{f}", conf)
    def free_port():
        s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
    port = free_port()
    def setkey(f, k, v):
        p = f"{conf}/{f}"; t = open(p).read() if os.path.exists(p) else ""
        if re.search(rf"(?m)^{re.escape(k)}=.*$", t): t = re.sub(rf"(?m)^{re.escape(k)}=.*$", lambda m: f"{k}={v}", t)
        else: t += ("" if t.endswith("\n") or not t else "\n") + f"{k}={v}\n"
        open(p, "w").write(t)
    setkey("imapd.cfg", "port", str(port)); setkey("imapd.cfg", "tls.port", "0")
    setkey("imapd.cfg", "trusted.networks", "127.0.0.0/8"); setkey("imapd.cfg", "namespace.prefix", "INBOX.")
    setkey("auth.userdb.cfg", "file", f"{d}/userdb"); setkey("auth.userdb.cfg", "demo", "false")
    for k, v in env_extra.items():
        if k.startswith("CFG:"):
            f, key = k[4:].split(":"); setkey(f, key, v)
    pw = "probe-pw"
    h = subprocess.check_output(["openssl", "passwd", "-6", "-salt", "0123456789abcdef", pw], text=True).strip()
    open(f"{d}/userdb", "w").write(f"bench\thome={home}|mail={home}/Maildir|systempw={h}\n")
    os.makedirs(f"{d}/var")
    subprocess.check_call(["chown", "-R", f"{USER}:{USER}", d]); os.chmod(f"{d}/userdb", 0o600)
    env = dict(os.environ); env.update({"POSTHORN_VAR": f"{d}/var", "HOME": W})
    env.update({k: v for k, v in env_extra.items() if not k.startswith("CFG:")})
    jopts = env.get("POSTHORN_JAVA_OPTS", "")
    if jfr: jopts += f" -XX:StartFlightRecording=filename={d}/rec.jfr,settings={jfr},dumponexit=true"
    env["POSTHORN_JAVA_OPTS"] = jopts.strip()
    logp = f"{d}/posthorn.log"; log = open(logp, "w")
    p = subprocess.Popen(["setpriv", f"--reuid={USER}", f"--regid={USER}", "--init-groups",
                          f"{tree}/posthorn", "run", "--config", conf], cwd=d, env=env, stdout=log, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL)
    def wait_idle():
        t0 = time.time()
        while time.time() - t0 < 1800:
            if "event=fts.idle" in open(logp, errors="replace").read(): return time.time() - t0
            time.sleep(0.5)
        return -1
    wait_idle_fn = wait_idle
    deadline = time.time() + 600
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port)); break
        except OSError:
            if time.time() > deadline or p.poll() is not None: sys.exit("server did not start; see " + d)
            time.sleep(0.3)
    time.sleep(1)
    f = s.makefile("rb")
    peer = Peer(lambda: s.recv(65536), s.sendall); peer.readline()
    try:
        run(peer, [p.pid], f"LOGIN bench {pw}")
        peer.cmd("LOGOUT")
    finally:
        p.terminate(); p.wait(60)
    res["log_fts"] = [l.strip()[:300] for l in open(logp, errors="replace") if "event=fts.search" in l or "event=fts.idle" in l][:6]
else:
    subprocess.check_call(["chown", "-R", "65534:65534", d])
    conf = f"{d}/dovecot.conf"
    open(conf, "w").write(f"""base_dir = {d}/dovecot-run
state_dir = {d}/dovecot-state
log_path = /dev/stderr
protocols = imap
ssl = no
mail_fsync = never
namespace inbox {{
  inbox = yes
  separator = .
  prefix = INBOX.
}}
""")
    subprocess.check_call(["chown", "65534:65534", conf])
    env = {"PATH": "/usr/bin:/bin", "USER": "nobody", "HOME": home, "TZ": "UTC"}
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/lib/dovecot/imap", "-c", conf,
            "-o", f"mail_location=maildir:{home}/Maildir:LAYOUT=maildir++"]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    fd = proc.stdout.fileno()
    def send(b): proc.stdin.write(b); proc.stdin.flush()
    peer = Peer(lambda: os.read(fd, 65536), send)
    peer.readline()
    run(peer, [proc.pid], None)
    proc.stdin.close(); proc.wait(30)
json.dump(res, open(f"{d}/result.json", "w"), indent=1)
print(json.dumps(res, indent=1))
