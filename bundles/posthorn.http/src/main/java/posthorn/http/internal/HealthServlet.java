package posthorn.http.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

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

import posthorn.imap.server.admin.Health;
import posthorn.imap.server.admin.ImapAdmin;

/**
 * /health, for nginx's operators and for the other nodes' health checks: 200 {@code ok} while the
 * server takes logins (ImapAdmin.health: listening, configured, a store and a backend), 503 with the
 * reason otherwise, also while the server component is not running at all (no store bound, stopping).
 * Asks no backend: cheap enough to be polled every second by every node.
 */
@Component(service = Servlet.class, enabled = false)
@HttpWhiteboardServletPattern("/health")
public final class HealthServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    transient volatile ImapAdmin admin;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
        ImapAdmin a = admin;
        Health h = a == null ? new Health(false, "the IMAP server is not running") : a.health();
        res.setStatus(h.acceptingLogins() ? 200 : 503);
        res.setContentType("text/plain; charset=utf-8");
        res.setHeader("Cache-Control", "no-store");
        byte[] body = (h.acceptingLogins() ? "ok\n" : "unavailable: " + h.reason() + "\n").getBytes(StandardCharsets.UTF_8);
        res.setContentLength(body.length);
        res.getOutputStream().write(body);
    }
}
