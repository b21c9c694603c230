#!/usr/bin/env python3
"""./posthorn shell: the admin console of a running Posthorn server.

Talks to the server's console socket ($POSTHORN_VAR/admin.sock, owner-only) in the console's framed
protocol (bundles/posthorn.console, Frames.java): the server sends HELLO (or REFUSED and a reason),
then for each COMMAND frame the client sends, OUT and ERR frames with the command's output and an EXIT
frame with its status.

usage: posthorn-shell.py [--var DIR | --socket PATH] [-c COMMAND]
  -c COMMAND  run one command, print its output (errors on stderr) and exit with its status
  without -c  an interactive console on a terminal (line editing and history through readline);
              with standard input not a terminal, one command a line, exiting with the last status

Exit statuses: 0 the command succeeded; 1 it failed; 127 no such command; 2 bad usage;
3 no console to talk to (no server running, permission denied, refused).

Python rather than Java: it starts in tens of milliseconds where a JVM (and ./posthorn's search for
a JDK) takes most of a second per cron job or script call, needs no build, and its readline module
gives the interactive console line editing and history.
"""
import os
import socket
import struct
import sys

HELLO, REFUSED, OUT, ERR, EXIT, COMMAND = b"H", b"R", b"O", b"E", b"X", b"C"
GREETING = b"posthorn-console 1"
NO_CONSOLE = 3
USAGE = 2
FRAME_MAX = 64 << 20


def die(message, status):
    sys.stderr.write("posthorn shell: %s\n" % message)
    sys.exit(status)


def usage(message):
    die("%s\nusage: ./posthorn shell [--var DIR | --socket PATH] [-c COMMAND]" % message, USAGE)


class Console:
    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.connect(path)
        except FileNotFoundError:
            die("no server is running: %s does not exist (start one with ./posthorn run, or give its "
                "state directory with POSTHORN_VAR or --var)" % path, NO_CONSOLE)
        except ConnectionRefusedError:
            die("no server is running: nothing answers on %s (left by a server that stopped)" % path, NO_CONSOLE)
        except PermissionError:
            die("permission denied on %s: only the server's user and root may use its console" % path, NO_CONSOLE)
        except OSError as e:
            die("cannot connect to %s: %s" % (path, e.strerror or e), NO_CONSOLE)
        self.rfile = self.sock.makefile("rb")
        kind, payload = self.frame()
        if kind == REFUSED:
            die("the server refused the console: %s" % payload.decode(errors="replace"), NO_CONSOLE)
        if kind != HELLO or payload != GREETING:
            die("%s does not speak the console protocol (%r)" % (path, payload[:40]), NO_CONSOLE)

    def frame(self):
        head = self.rfile.read(5)
        if len(head) < 5:
            return None, b""
        kind, length = head[:1], struct.unpack(">I", head[1:])[0]
        if length > FRAME_MAX:
            die("frame of %d bytes from the server" % length, NO_CONSOLE)
        payload = self.rfile.read(length)
        if len(payload) < length:
            return None, b""
        return kind, payload

    def run(self, line):
        """Runs one command line; its output goes to our stdout and stderr; returns its status."""
        data = line.encode("utf-8")
        try:
            self.sock.sendall(COMMAND + struct.pack(">I", len(data)) + data)
        except OSError as e:
            die("the server closed the console (%s)" % (e.strerror or e), NO_CONSOLE)
        while True:
            kind, payload = self.frame()
            if kind == OUT:
                sys.stdout.buffer.write(payload)
                sys.stdout.flush()
            elif kind == ERR:
                sys.stdout.flush()
                sys.stderr.buffer.write(payload)
                sys.stderr.flush()
            elif kind == EXIT:
                return struct.unpack(">i", payload)[0]
            elif kind is None:
                die("the server closed the console before the command ended", NO_CONSOLE)
            else:
                die("unexpected frame %r from the server" % kind, NO_CONSOLE)


def interactive(console):
    try:
        import readline  # noqa: F401  (line editing and history for input())
    except ImportError:
        pass
    print("Posthorn console on %s: Gogo commands ('help' lists them, 'lb' the bundles); Ctrl-D leaves."
          % console.path)
    while True:
        try:
            line = input("g! ")
        except EOFError:
            print()
            return 0
        except KeyboardInterrupt:
            print()
            continue
        if line.strip() in ("exit", "quit", "logout"):
            return 0
        if line.strip():
            console.run(line)


def main(argv):
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    var = os.environ.get("POSTHORN_VAR") or os.path.join(top, "var")
    path = None
    command = None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--var", "--socket", "-c"):
            if i + 1 >= len(argv):
                usage("%s needs a value" % a)
            value = argv[i + 1]
            i += 2
        elif a.startswith("--var=") or a.startswith("--socket="):
            a, value = a.split("=", 1)
            i += 1
        elif a in ("-h", "--help"):
            print(__doc__.split("\n\n")[1])
            return 0
        else:
            usage("unknown argument %r" % a)
        if a == "--var":
            var = value
        elif a == "--socket":
            path = value
        else:
            command = value
    if path is None:
        path = os.path.join(var, "admin.sock")
    console = Console(os.path.abspath(path))
    if command is not None:
        return console.run(command)
    if sys.stdin.isatty():
        return interactive(console)
    status = 0
    for line in sys.stdin:
        if line.strip():
            status = console.run(line.rstrip("\n"))
    return status


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
