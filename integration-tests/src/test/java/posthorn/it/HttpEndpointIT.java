package posthorn.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.inject.Inject;

import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The HTTP endpoint in the framework, with the real server bundle, Felix HTTP's Jetty and real HTTP
 * requests: off until http.cfg turns it on; nginx's auth_http answered as nginx expects (OK with the
 * node's address and port, the same node for a user every time; refusals with Auth-Wait; 403 for a
 * caller outside auth.clients; 400 for a request nginx would never send); a node whose health check
 * fails gets no users, and only its users move; /metrics counts a real IMAP session's commands and
 * logins; /health says 503 once the server is stopped; a bad http.cfg value is refused and the
 * settings in force stay.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HttpEndpointIT {
    /** alice and bob, and 30 users (u00/pw-00 ...) whose routes the node test follows. */
    static final String[] USERS = users();

    private static String[] users() {
        String[] u = new String[4 + 60];
        u[0] = "alice";
        u[1] = "correct horse";
        u[2] = "bob";
        u[3] = "battery staple";
        for (int i = 0; i < 30; i++) {
            u[4 + 2 * i] = String.format("u%02d", i);
            u[5 + 2 * i] = String.format("pw-%02d", i);
        }
        return u;
    }

    private static ServerFixture server;
    private static int httpPort;
    private static int deadPort;

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The bundles this test installs itself, once the server runs: the servlet API, Jetty, the endpoint. */
    static final String[] HTTP_BUNDLES = {"org.apache.felix.http.servlet-api", "org.apache.felix.http.jetty12",
            "posthorn.http"};

    @Configuration
    public Option[] config() {
        // Runs outside the framework: the jars' locations reach the test inside as system properties.
        Map<String, String> jars = PosthornFramework.bundlesOnClassPath();
        java.util.List<Option> options = new java.util.ArrayList<>(java.util.List.of(PosthornFramework.options()));
        for (String bsn : HTTP_BUNDLES) {
            options.add(CoreOptions.systemProperty("posthorn.it.location." + bsn).value(jars.get(bsn)));
        }
        // as runtime/posthorn.bndrun: Jetty stays off until http.cfg turns it on
        options.add(frameworkProperty("org.apache.felix.http.enable").value("false"));
        options.add(frameworkProperty("org.apache.felix.https.enable").value("false"));
        return options.toArray(Option[]::new);
    }

    @Before
    public void startServerAndEndpoint() throws Exception {
        synchronized (HttpEndpointIT.class) {
            if (server != null) {
                return;
            }
            server = ServerFixture.start(context, configAdmin, USERS);
            for (String bsn : HTTP_BUNDLES) {
                Bundle b = context.installBundle(System.getProperty("posthorn.it.location." + bsn));
                b.start();
            }
            ServerFixture.await(context, "(objectClass=posthorn.http.internal.HttpEndpoint)");
            httpPort = freePort();
            deadPort = freePort(); // nothing listens there: a node whose health check fails
            // Off by default: nothing listens on the port before http.cfg says enabled=true.
            assertRefused(httpPort);
            ServerFixture.update(configAdmin, "http", settings(Map.of()));
            awaitStatus("/health", 200);
        }
    }

    private static Map<String, Object> settings(Map<String, Object> changes) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("enabled", "true");
        m.put("bind", ServerFixture.HOST);
        m.put("port", Integer.toString(httpPort));
        // n1 is this server; n2 and n3 stand for nodes elsewhere, always up (no health URL)
        m.put("nodes", "n1 127.0.0.1:" + server.port + " http://127.0.0.1:" + httpPort + "/health, "
                + "n2 127.0.0.2:1143, n3 127.0.0.3:1143");
        m.put("health.interval", "1");
        m.put("health.timeout", "1");
        m.putAll(changes);
        return m;
    }

    @Test
    public void authHttpAnswersAsNginxExpectsAndKeepsEachUserOnOneNode() throws Exception {
        HttpResponse<String> ok = auth("alice", "correct horse", "192.0.2.10");
        assertEquals(200, ok.statusCode());
        assertEquals("OK", header(ok, "Auth-Status"));
        String node = header(ok, "Auth-Server") + ":" + header(ok, "Auth-Port");
        assertTrue(node, Set.of("127.0.0.1:" + server.port, "127.0.0.2:1143", "127.0.0.3:1143").contains(node));
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> again = auth("alice", "correct horse", "192.0.2.10");
            assertEquals(node, header(again, "Auth-Server") + ":" + header(again, "Auth-Port"));
        }
        // nginx escapes space and % in Auth-Pass; a + stays a +
        HttpResponse<String> escaped = auth("bob", "battery%20staple", "192.0.2.10");
        assertEquals("OK", header(escaped, "Auth-Status"));

        HttpResponse<String> wrong = auth("alice", "wrong", "192.0.2.11");
        assertEquals(200, wrong.statusCode());
        assertEquals("Invalid login or password", header(wrong, "Auth-Status"));
        assertNotNull("a refusal carries Auth-Wait", header(wrong, "Auth-Wait"));
        assertEquals(null, header(wrong, "Auth-Server"));
        HttpResponse<String> unknown = auth("mallory", "x", "192.0.2.12");
        assertEquals("Invalid login or password", header(unknown, "Auth-Status"));
        assertNotNull(header(unknown, "Auth-Wait"));

        HttpResponse<String> partial = http.send(HttpRequest.newBuilder(url("/auth")).header("Auth-User", "alice").GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("a request without nginx's headers", 400, partial.statusCode());
    }

    @Test
    public void failedLoginsEarnTheBruteForceDelayOfTheClientAddress() throws Exception {
        String client = "198.51.100.77";
        int lastWait = 0;
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = auth("bob", "not it " + i, client);
            assertEquals("Invalid login or password", header(r, "Auth-Status"));
            lastWait = Integer.parseInt(header(r, "Auth-Wait"));
        }
        // auth.delay.base 500 ms doubling: the fourth failure in a row earns 4 s
        assertTrue("Auth-Wait after four failures: " + lastWait, lastWait >= 2);
        // The delay is the address's: another address is answered at once.
        long t0 = System.nanoTime();
        HttpResponse<String> other = auth("alice", "correct horse", "198.51.100.78");
        assertEquals("OK", header(other, "Auth-Status"));
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L);
    }

    @Test
    public void aNodeThatFailsItsHealthCheckGetsNoUsersAndOnlyItsUsersMove() throws Exception {
        Map<String, String> before = routes();
        assertEquals("every node gets some of 30 users: " + before, 3, new HashSet<>(before.values()).size());
        // n2's health check now fails (nothing listens on deadPort)
        ServerFixture.update(configAdmin, "http", settings(Map.of("nodes", "n1 127.0.0.1:" + server.port + " http://127.0.0.1:"
                + httpPort + "/health, n2 127.0.0.2:1143 http://127.0.0.1:" + deadPort + "/health, n3 127.0.0.3:1143")));
        long deadline = System.nanoTime() + 20_000_000_000L;
        Map<String, String> after = routes();
        while (after.containsValue("127.0.0.2:1143") && System.nanoTime() < deadline) {
            Thread.sleep(200);
            after = routes();
        }
        assertTrue("n2 still gets users: " + after, !after.containsValue("127.0.0.2:1143"));
        for (Map.Entry<String, String> e : before.entrySet()) {
            if (!e.getValue().equals("127.0.0.2:1143")) {
                assertEquals("user " + e.getKey() + " moved though its node is up", e.getValue(), after.get(e.getKey()));
            }
        }
        ServerFixture.update(configAdmin, "http", settings(Map.of()));
        deadline = System.nanoTime() + 20_000_000_000L;
        while (!routes().equals(before) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertEquals("users come back to n2 once it is up", before, routes());
    }

    @Test
    public void metricsCountARealSessionsCommandsLoginsAndBytes() throws Exception {
        Map<String, Double> before = metrics();
        try (Socket s = new Socket(ServerFixture.HOST, server.port)) {
            s.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            assertTrue(in.readLine().startsWith("* OK"));
            // a wrong password reaches the backend (a right one may be answered by the chain's cache)
            out.write("a0 LOGIN bob wrong\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String no;
            do {
                no = in.readLine();
            } while (no != null && !no.startsWith("a0 "));
            assertTrue(no, no != null && no.startsWith("a0 NO"));
            command(in, out, "a1 LOGIN alice \"correct horse\"");
            command(in, out, "a2 SELECT INBOX");
            command(in, out, "a3 NOOP");
            command(in, out, "a4 NOOP");
            Map<String, Double> during = metrics();
            assertEquals(1.0, during.get("posthorn_sessions") - before.getOrDefault("posthorn_sessions", 0.0), 0.0);
            command(in, out, "a5 LOGOUT");
        }
        Map<String, Double> after = metrics();
        assertTrue("NOOP counted twice: " + after, delta(before, after, "posthorn_commands_seconds_count{command=\"NOOP\"}") >= 2);
        assertEquals(1.0, delta(before, after, "posthorn_commands_seconds_count{command=\"SELECT\"}"), 0.0);
        assertTrue(delta(before, after, "posthorn_commands_seconds_bucket{command=\"NOOP\",le=\"+Inf\"}") >= 2);
        assertTrue(delta(before, after, "posthorn_logins_total{result=\"ok\"}") >= 1);
        assertTrue(delta(before, after, "posthorn_auth_backend_answers_total{answer=\"wrong_password\",backend=\"userdb\"}") >= 1);
        assertTrue(delta(before, after, "posthorn_logins_total{result=\"failed\"}") >= 1);
        assertEquals(1.0, after.get("posthorn_auth_backend_up{backend=\"userdb\"}"), 0.0);
        assertTrue("received " + before.get("posthorn_received_bytes_total") + " -> " + after.get("posthorn_received_bytes_total"),
                delta(before, after, "posthorn_received_bytes_total") > 40);
        assertTrue("sent " + before.get("posthorn_sent_bytes_total") + " -> " + after.get("posthorn_sent_bytes_total"),
                delta(before, after, "posthorn_sent_bytes_total") > 100);
        assertTrue(delta(before, after, "posthorn_store_operations_seconds_count{operation=\"open\",result=\"ok\"}") >= 1);
        assertTrue(after.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes{")));
    }

    @Test
    public void aCallerOutsideAuthClientsIsForbiddenAndABadValueIsRefused() throws Exception {
        ServerFixture.update(configAdmin, "http", settings(Map.of("auth.clients", "10.0.0.0/8")));
        long deadline = System.nanoTime() + 20_000_000_000L;
        int status = 0;
        while (System.nanoTime() < deadline && (status = auth("alice", "correct horse", "192.0.2.40").statusCode()) != 403) {
            Thread.sleep(100);
        }
        assertEquals(403, status);
        // A public bind address is refused whole: the port in the same file is not taken either.
        int other = freePort();
        ServerFixture.update(configAdmin, "http", settings(Map.of("bind", "8.8.8.8", "port", Integer.toString(other))));
        Thread.sleep(1500);
        assertRefused(other);
        assertEquals("the settings in force stay", 403, auth("alice", "correct horse", "192.0.2.40").statusCode());
        ServerFixture.update(configAdmin, "http", settings(Map.of("health.interval", "often")));
        Thread.sleep(500);
        ServerFixture.update(configAdmin, "http", settings(Map.of()));
        deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline && auth("alice", "correct horse", "192.0.2.40").statusCode() != 200) {
            Thread.sleep(100);
        }
        assertEquals("OK", header(auth("alice", "correct horse", "192.0.2.40"), "Auth-Status"));
    }

    @Test
    public void healthIs503WhileTheServerIsStoppedAndAuthIsATemporaryFailure() throws Exception {
        awaitStatus("/health", 200);
        Bundle imap = null;
        for (Bundle b : context.getBundles()) {
            if (b.getSymbolicName().equals(PosthornFramework.IMAP_SERVER)) {
                imap = b;
            }
        }
        assertNotNull(imap);
        imap.stop();
        try {
            awaitStatus("/health", 503);
            HttpResponse<String> r = auth("alice", "correct horse", "192.0.2.50");
            assertEquals("Temporary server problem, try again later", header(r, "Auth-Status"));
            assertEquals("1", header(r, "Auth-Wait"));
        } finally {
            imap.start();
        }
        awaitStatus("/health", 200);
    }

    private static void command(BufferedReader in, OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String tag = line.substring(0, line.indexOf(' '));
        for (String l = in.readLine(); l != null; l = in.readLine()) {
            if (l.startsWith(tag + " ")) {
                assertTrue(l, l.startsWith(tag + " OK"));
                return;
            }
        }
        throw new IOException("connection closed before " + tag + " was answered");
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*\\})?) (\\S+)$");

    /** /metrics as series name (with labels, as written) to value. */
    private Map<String, Double> metrics() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url("/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertTrue(header(r, "Content-Type"), header(r, "Content-Type").startsWith("text/plain; version=0.0.4"));
        Map<String, Double> m = new HashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            Matcher x = SAMPLE.matcher(line);
            assertTrue("not a Prometheus sample line: " + line, x.matches());
            m.put(x.group(1), Double.parseDouble(x.group(2)));
        }
        return m;
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String series) {
        Double a = after.get(series);
        assertNotNull("no series " + series + " in " + after.keySet(), a);
        return a - before.getOrDefault(series, 0.0);
    }

    /** The node auth_http sends each of u00..u29 to now. */
    private Map<String, String> routes() throws Exception {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> r = auth(String.format("u%02d", i), String.format("pw-%02d", i), "192.0.2.30");
            assertEquals("OK", header(r, "Auth-Status"));
            m.put(String.format("u%02d", i), header(r, "Auth-Server") + ":" + header(r, "Auth-Port"));
        }
        return m;
    }

    private HttpResponse<String> auth(String user, String escapedPassword, String clientIp) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(url("/auth")).timeout(Duration.ofSeconds(30))
                .header("Auth-Method", "plain").header("Auth-User", user.replace(" ", "%20"))
                .header("Auth-Pass", escapedPassword.replace(" ", "%20")).header("Auth-Protocol", "imap")
                .header("Auth-Login-Attempt", "1").header("Client-IP", clientIp).header("Client-Host", "[UNAVAILABLE]")
                .GET().build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    private static URI url(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    private void awaitStatus(String path, int status) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        String last = "nothing";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(5)).GET()
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == status) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(200);
        }
        throw new AssertionError(path + " did not answer " + status + " within 30 s; last: " + last);
    }

    private static void assertRefused(int port) throws IOException {
        try (Socket s = new Socket(ServerFixture.HOST, port)) {
            throw new AssertionError("something listens on " + port + " before http.cfg enabled the endpoint");
        } catch (ConnectException expected) {
            // off by default
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
