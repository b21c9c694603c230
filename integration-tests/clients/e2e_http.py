#!/usr/bin/env python3
"""The HTTP endpoint (posthorn.http) end to end, against ./posthorn run with http.cfg turned on.

Asks /auth exactly as nginx's mail proxy does (ngx_mail_auth_http_module: a GET with Auth-Method,
Auth-User, Auth-Pass percent-escaped, Auth-Protocol, Auth-Login-Attempt, Client-IP, Client-Host) and
checks nginx's answers: Auth-Status OK with the Auth-Server/Auth-Port of the user's node (the same
node every time, the live node when another is down), Invalid login or password with Auth-Wait for a
wrong password and an unknown user, Auth-Wait that grows with the failures of one client address
while another address is answered at once (the brute-force delay of IMAP LOGIN), the log lines of a
login without the password. Reads /metrics with the Prometheus client library's own text parser
(prometheus_client.parser) and checks that its counters move while imaplib works; /health says 200;
a bad http.cfg value is refused with a line naming the key and the endpoint keeps serving; the
server still stops cleanly on SIGTERM.

Usage: e2e_http.py [-k NAME]   (prints 'e2e_http: N passed, N failed', exits non-zero on a failure)
"""
import imaplib
import os
import re
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import Server, free_port, run_suite  # noqa: E402

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    # tools/test-deps installs Debian's python3-prometheus-client (pure Python), which the system's
    # python3 finds; a python3 of its own (pyenv, a venv) is shown where Debian put it.
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        print("e2e_http: the Python prometheus_client library is missing: apt-get install python3-prometheus-client")
        sys.exit(2)


class HttpServer(Server):
    """A server with http.cfg enabled: itself as node n1 (health-checked), n2 a node elsewhere
    (127.0.0.2, health-checked on a port where nothing listens until the test says so)."""

    def __init__(self, work, port):
        super().__init__(work, port)
        self.http = free_port()
        self.n2_health = free_port()
        self.write_http()

    def write_http(self, **changes):
        settings = {
            "enabled": "true",
            "bind": "127.0.0.1",
            "port": str(self.http),
            "nodes": "n1 127.0.0.1:%d http://127.0.0.1:%d/health, n2 127.0.0.2:%d http://127.0.0.1:%d/health"
                     % (self.port, self.http, self.port, self.n2_health),
            "health.interval": "1",
            "health.timeout": "1",
        }
        settings.update(changes)
        with open(os.path.join(self.conf, "http.cfg"), "w") as f:
            f.write("".join("%s=%s\n" % kv for kv in settings.items()))

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.http, path)


def get(url, headers=None, timeout=30):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def nginx_escape(s):
    """ngx_escape_uri with NGX_ESCAPE_MAIL_AUTH: space, ", #, %, controls and non-ASCII as %XX."""
    out = []
    for b in s.encode():
        out.append("%%%02X" % b if b <= 0x20 or b >= 0x7f or chr(b) in '"#%' else chr(b))
    return "".join(out)


def auth(srv, user, password, client="192.0.2.1", attempt=1):
    return get(srv.url("/auth"), {
        "Host": "localhost", "Auth-Method": "plain", "Auth-User": nginx_escape(user),
        "Auth-Pass": nginx_escape(password), "Auth-Protocol": "imap", "Auth-Login-Attempt": str(attempt),
        "Client-IP": client, "Client-Host": "[UNAVAILABLE]"})


def wait_for(condition, what, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("waited %d s for %s" % (seconds, what))


def metrics(srv):
    status, headers, body = get(srv.url("/metrics"))
    assert status == 200, status
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers
    samples = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def prepare(srv):
    wait_for(lambda: get(srv.url("/health"))[0] == 200, "/health to answer 200")


def test_health_says_ok_while_logins_are_taken(srv):
    status, headers, body = get(srv.url("/health"))
    assert status == 200 and body == "ok\n", (status, body)


def test_a_good_login_goes_to_the_users_node_every_time(srv):
    # n1 (this server) must be up first: its first health checks, from a JVM just started on a busy
    # machine, may take longer than health.timeout and mark it down until a later round.
    wait_for(lambda: auth(srv, "demo", srv.password())[1].get("Auth-Status") == "OK",
             "n1 to pass its health check")
    answers = set()
    for i in range(3):
        status, h, _ = auth(srv, "demo", srv.password(), attempt=i + 1)
        assert status == 200, status
        assert h["Auth-Status"] == "OK", h
        answers.add((h["Auth-Server"], h["Auth-Port"]))
    assert len(answers) == 1, answers
    server, port = answers.pop()
    # n2's health check fails (nothing listens there): the user is on n1, this server
    assert (server, port) == ("127.0.0.1", str(srv.port)), (server, port)
    log = srv.stderr()
    assert "http login user=demo via auth_http imap from 192.0.2.1" in log, log[-2000:]
    assert srv.password() not in log


def test_a_user_moves_only_when_its_node_goes(srv):
    # Bring n2 up: a tiny HTTP server answering 200 on its health URL.
    import http.server
    import threading

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "3")
            self.end_headers()
            self.wfile.write(b"ok\n")

        def log_message(self, *args):
            pass

    health = http.server.HTTPServer(("127.0.0.1", srv.n2_health), Ok)
    thread = threading.Thread(target=health.serve_forever, daemon=True)
    thread.start()
    try:
        wait_for(lambda: "event=node.up node=n2" in srv.stderr(), "n2 to come up")
        status, h, _ = auth(srv, "demo", srv.password())
        node_up = (h["Auth-Server"], h["Auth-Port"])
        # Rendezvous: the user's node with both up is whichever weighs more; if it is n2 the user
        # moves there now and back when n2 goes; if n1, it stays on n1 throughout.
        assert node_up in (("127.0.0.1", str(srv.port)), ("127.0.0.2", str(srv.port))), node_up
        for _ in range(3):
            assert (auth(srv, "demo", srv.password())[1]["Auth-Server"], str(srv.port)) == (node_up[0], str(srv.port))
    finally:
        health.shutdown()
        health.server_close()
    wait_for(lambda: srv.stderr().count("event=node.down node=n2") >= 2, "n2 to be seen down again")
    status, h, _ = auth(srv, "demo", srv.password())
    assert (h["Auth-Server"], h["Auth-Port"]) == ("127.0.0.1", str(srv.port)), h


def test_wrong_password_and_unknown_user_are_refused_with_auth_wait(srv):
    status, h, body = auth(srv, "demo", "not the password", client="192.0.2.20")
    assert status == 200 and h["Auth-Status"] == "Invalid login or password", (status, h)
    assert int(h["Auth-Wait"]) >= 0 and "Auth-Server" not in h, h
    status, h, body = auth(srv, "nosuchuser", "whatever", client="192.0.2.21")
    assert h["Auth-Status"] == "Invalid login or password" and "Auth-Wait" in h, h
    log = srv.stderr()
    assert "http auth_http imap failed for user demo from 192.0.2.20: wrong password" in log, log[-2000:]
    assert "not the password" not in log


def test_failures_from_one_address_earn_a_growing_wait(srv):
    waits = []
    for i in range(4):
        start = time.time()
        status, h, _ = auth(srv, "throttled%d" % i, "x", client="203.0.113.9", attempt=i + 1)
        waits.append((int(h["Auth-Wait"]), time.time() - start))
    # auth.delay.base 500 ms, doubling: the 4th failure waits 2 s before its check and earns 4 s from
    # its start, so 2 s are left for nginx to wait (Auth-Wait: 2)
    assert [w for w, _ in waits] == sorted(w for w, _ in waits) and waits[-1][0] >= 2, waits
    assert waits[-1][1] >= 1.5, waits
    # another address is not slowed by them
    start = time.time()
    status, h, _ = auth(srv, "demo", srv.password(), client="203.0.113.10")
    assert h["Auth-Status"] == "OK" and time.time() - start < 1.5, (h, time.time() - start)


def test_a_request_not_shaped_as_nginxs_is_400(srv):
    status, _, _ = get(srv.url("/auth"), {"Auth-User": "demo"})
    assert status == 400, status
    status, _, _ = get(srv.url("/auth"), {"Auth-Method": "plain", "Auth-User": "demo", "Auth-Pass": "50%",
                                          "Auth-Protocol": "imap", "Client-IP": "192.0.2.1"})
    assert status == 400, status


def test_metrics_parse_and_move_while_a_client_works(srv):
    before = metrics(srv)
    m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=20)
    try:  # a wrong password reaches the backend (a right one may come from the chain's cache)
        m.login("demo", "wrong password")
        raise AssertionError("a wrong password was taken")
    except imaplib.IMAP4.error:
        pass
    m.login("demo", srv.password())
    m.select("INBOX")
    m.noop()
    m.noop()
    # A full-text SEARCH opens the user's index: its sizes reach the page through the fts bundle's
    # TextIndex sizes (posthorn_size{source="fts"}), the store's index as source="store_index".
    m.append("INBOX", None, None, b"Subject: metrics\r\n\r\nquuxfrobnicator\r\n")
    typ, data = m.uid("SEARCH", "TEXT", "frobnic")
    assert typ == "OK" and data[0].split(), data
    during = metrics(srv)
    assert value(during, "posthorn_size", source="fts", measure="users") >= 1, \
        sorted(k for k in during if k[0] == "posthorn_size")
    assert value(during, "posthorn_size", source="fts", measure="documents") >= 1
    assert value(during, "posthorn_size", source="fts", measure="bytes") > 0
    assert value(during, "posthorn_size", source="store_index", measure="folders_open") >= 1
    assert value(during, "posthorn_size", source="store_index", measure="messages") >= 1
    assert value(during, "posthorn_sessions") >= 1, value(during, "posthorn_sessions")
    m.logout()
    after = metrics(srv)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("posthorn_commands_seconds_count", command="NOOP") == 2, delta("posthorn_commands_seconds_count", command="NOOP")
    assert delta("posthorn_commands_seconds_count", command="SELECT") == 1
    assert delta("posthorn_commands_seconds_bucket", command="NOOP", le="+Inf") == 2
    assert delta("posthorn_logins_total", result="ok") >= 1
    assert delta("posthorn_auth_backend_answers_total", backend="userdb", answer="wrong_password") >= 1
    assert delta("posthorn_logins_total", result="failed") >= 1
    assert delta("posthorn_connections_total") >= 1
    assert delta("posthorn_received_bytes_total") > 30 and delta("posthorn_sent_bytes_total") > 100
    assert delta("posthorn_store_operations_seconds_count", operation="open", result="ok") >= 1
    assert delta("posthorn_store_operations_seconds_count", operation="sync", result="ok") >= 1
    assert value(after, "posthorn_auth_backend_up", backend="userdb") == 1
    assert any(name == "jvm_memory_used_bytes" for name, _ in after), "no JVM memory"


def test_a_bad_value_is_refused_naming_the_key_and_the_endpoint_keeps_serving(srv):
    other = free_port()
    srv.write_http(bind="8.8.8.8", port=str(other))
    wait_for(lambda: re.search(r"http: \S*http\.cfg refused: bind: 8\.8\.8\.8 is neither loopback nor private",
                               srv.stderr()), "the refusal line")
    assert get(srv.url("/health"))[0] == 200
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", other)) != 0, "the refused port was taken"
    srv.write_http()
    wait_for(lambda: srv.stderr().count("http: endpoint on 127.0.0.1:%d" % srv.http) >= 2, "the file taken again")
    assert auth(srv, "demo", srv.password())[1]["Auth-Status"] == "OK"


def test_sigterm_still_stops_the_server_cleanly(srv):
    code = srv.stop()
    assert code == 0, code


TESTS = [
    test_health_says_ok_while_logins_are_taken,
    test_a_good_login_goes_to_the_users_node_every_time,
    test_a_user_moves_only_when_its_node_goes,
    test_wrong_password_and_unknown_user_are_refused_with_auth_wait,
    test_failures_from_one_address_earn_a_growing_wait,
    test_a_request_not_shaped_as_nginxs_is_400,
    test_metrics_parse_and_move_while_a_client_works,
    test_a_bad_value_is_refused_naming_the_key_and_the_endpoint_keeps_serving,
    test_sigterm_still_stops_the_server_cleanly,
]


def main():
    work = tempfile.mkdtemp(prefix="posthorn-e2e-http-")
    return run_suite("e2e_http", work, lambda: HttpServer(work, free_port()), TESTS, prepare=prepare)


if __name__ == "__main__":
    sys.exit(main())
