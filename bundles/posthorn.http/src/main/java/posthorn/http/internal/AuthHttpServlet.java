package posthorn.http.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.imap.server.admin.ProxyAuth;

/**
 * nginx's auth_http (ngx_mail_auth_http_module): nginx asks with the login in request headers
 * (Auth-Method, Auth-User, Auth-Pass, Auth-Protocol, Auth-Login-Attempt, Client-IP, Client-Host) and
 * reads the answer from the response headers: {@code Auth-Status: OK} with {@code Auth-Server} (an IP
 * address) and {@code Auth-Port} of the node to proxy to, or a refusal ({@code Auth-Status: text} for
 * the client, {@code Auth-Wait: seconds} before nginx answers it and lets it try again). The login is
 * checked by the server (admin.ProxyAuth: the auth chain, the brute-force delay of Client-IP, the
 * same counters and log lines as LOGIN); the node is chosen by rendezvous hashing of the canonical
 * user name over the nodes that pass their health checks.
 *
 * <p>Only the addresses of auth.clients may ask (403 otherwise); a request that is not nginx's shape
 * is answered 400, which nginx reports as an invalid auth server answer. Runs on Jetty's threads;
 * a check waits the client's brute-force delay on the request's thread, as a session would.
 */
@Component(service = Servlet.class, enabled = false)
@HttpWhiteboardServletPattern("/auth")
public final class AuthHttpServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(AuthHttpServlet.class);

    static final String INVALID = "Invalid login or password";
    static final String TEMPORARY = "Temporary server problem, try again later";

    @Reference
    transient HttpEndpoint endpoint;

    /** The server's login check; absent while the server is not running (then every login is a temporary failure). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    transient volatile ProxyAuth auth;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
        HttpSettings s = endpoint.settings();
        InetAddress caller = Addresses.literal(req.getRemoteAddr());
        if (!s.authClient(caller)) {
            LOG.warn("http: /auth from {} refused: not in auth.clients", caller.getHostAddress());
            res.sendError(HttpServletResponse.SC_FORBIDDEN);
            return;
        }
        String method = header(req, "Auth-Method");
        String protocol = header(req, "Auth-Protocol");
        String clientIp = header(req, "Client-IP");
        String userText = header(req, "Auth-User");
        String passText = header(req, "Auth-Pass");
        if (method == null || protocol == null || clientIp == null || userText == null || passText == null) {
            LOG.warn("http: /auth from {}: not an nginx auth_http request (Auth-Method, Auth-User, Auth-Pass, "
                    + "Auth-Protocol and Client-IP are required)", caller.getHostAddress());
            res.sendError(HttpServletResponse.SC_BAD_REQUEST);
            return;
        }
        InetAddress client;
        String user;
        String password;
        try {
            client = Addresses.literal(clientIp);
            user = unescape(userText);
            password = unescape(passText);
        } catch (IllegalArgumentException e) {
            LOG.warn("http: /auth from {}: malformed request: {}", caller.getHostAddress(), e.getMessage());
            res.sendError(HttpServletResponse.SC_BAD_REQUEST);
            return;
        }
        res.setStatus(HttpServletResponse.SC_OK);
        res.setContentLength(0);
        if (!"plain".equalsIgnoreCase(method)) {
            // apop and cram-md5 need the password in the clear on this side; the chain keeps hashes
            LOG.info("http: /auth for user {} from {}: method {} not supported (plain only)", printable(user),
                    client.getHostAddress(), printable(method));
            res.setHeader("Auth-Status", "Unsupported authentication method");
            return;
        }
        if (!"imap".equals(protocol.toLowerCase(Locale.ROOT))) {
            LOG.info("http: /auth for user {} from {}: protocol {} not served (imap only)", printable(user),
                    client.getHostAddress(), printable(protocol));
            res.setHeader("Auth-Status", "Protocol not supported");
            return;
        }
        ProxyAuth check = auth;
        if (check == null) {
            LOG.warn("http: /auth for user {} from {}: the IMAP server is not running", printable(user),
                    client.getHostAddress());
            temporary(res);
            return;
        }
        ProxyAuth.Result r = check.check(user, password, "imap", client);
        switch (r.outcome()) {
            case OK -> {
                Node node = Rendezvous.choose(r.user(), s.nodes(), endpoint::up);
                if (node == null) {
                    LOG.warn("http: /auth for user {}: no node is up ({} configured)", printable(r.user()),
                            s.nodes().size());
                    temporary(res);
                    return;
                }
                res.setHeader("Auth-Status", "OK");
                res.setHeader("Auth-Server", node.address().getHostAddress());
                res.setHeader("Auth-Port", Integer.toString(node.port()));
                LOG.info("http: /auth user={} from {} -> node {} {}:{}", printable(r.user()), client.getHostAddress(),
                        node.name(), node.address().getHostAddress(), node.port());
            }
            case FAILED -> {
                res.setHeader("Auth-Status", INVALID);
                res.setHeader("Auth-Wait", Long.toString((r.waitMillis() + 999) / 1000));
            }
            case UNAVAILABLE -> temporary(res);
        }
    }

    private static void temporary(HttpServletResponse res) {
        res.setHeader("Auth-Status", TEMPORARY);
        res.setHeader("Auth-Wait", "1");
    }

    private static String header(HttpServletRequest req, String name) {
        return req.getHeader(name);
    }

    /**
     * nginx's escaping of Auth-User and Auth-Pass (ngx_escape_uri, NGX_ESCAPE_MAIL_AUTH): space, ", #,
     * %, control and non-ASCII bytes as %XX; everything else, {@code +} included, as it is. So only
     * %XX is decoded ({@link java.net.URLDecoder} would turn a {@code +} in a password into a space),
     * and the bytes must be UTF-8.
     */
    static String unescape(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%') {
                if (i + 2 >= text.length()) {
                    throw new IllegalArgumentException("a % without two hex digits");
                }
                int hi = Character.digit(text.charAt(i + 1), 16);
                int lo = Character.digit(text.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException("a % without two hex digits");
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c > 0x7e || c < 0x20) {
                throw new IllegalArgumentException("an unescaped control or non-ASCII character");
            } else {
                out.write(c);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(out.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("not UTF-8 once unescaped");
        }
    }

    /** A client-supplied text fit for one log line. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(100).forEach(c -> b.appendCodePoint(c < 0x20 || c == 0x7f ? '?' : c));
        return b.toString();
    }
}
