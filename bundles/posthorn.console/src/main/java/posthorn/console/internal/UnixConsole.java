package posthorn.console.internal;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.file.attribute.UserPrincipal;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.felix.service.command.CommandProcessor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The remote console ({@code ./posthorn shell}): a Gogo command session for each connection to an
 * owner-only Unix domain socket, by default {@code $POSTHORN_VAR/admin.sock}. Configured by
 * console.cfg (optional); a file with a bad value is refused whole, in one log line, and the settings
 * in force stay. A changed socket path moves the listener; open sessions stay.
 *
 * <p>Threads: one accepts, one per connection runs its commands. Connections beyond
 * {@code max.sessions} are refused with a reason.
 */
@Component(configurationPid = "console", configurationPolicy = ConfigurationPolicy.OPTIONAL, service = {})
public final class UnixConsole {
    private static final Logger LOG = LoggerFactory.getLogger(UnixConsole.class);

    @Reference
    CommandProcessor processor;

    private final Map<SocketChannel, ConsoleConnection> open = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private volatile ConsoleSettings settings;
    private OwnerOnlySocket socket;
    private Thread acceptor;
    private SshConsole ssh;

    @Activate
    @Modified
    synchronized void configure(Map<String, Object> props) {
        ConsoleSettings next;
        try {
            next = ConsoleSettings.from(props, System.getenv("POSTHORN_VAR"));
        } catch (ConsoleSettings.BadValue e) {
            LOG.error("{} refused: {}; {}", ConsoleSettings.FILE, e.getMessage(),
                    settings == null ? "the console is off until the file is fixed" : "the previous settings stay in force");
            return;
        }
        ConsoleSettings before = settings;
        settings = next;
        configureSsh(next.ssh());
        if (before != null && java.util.Objects.equals(before.socket(), next.socket()) && socket != null) {
            return; // limits apply from the next connection on
        }
        stopListening();
        if (next.socket() == null) {
            LOG.info("console: no socket (console.cfg socket is empty, or POSTHORN_VAR is not set)");
            return;
        }
        try {
            OwnerOnlySocket s = OwnerOnlySocket.bind(next.socket());
            socket = s;
            acceptor = Thread.ofPlatform().name("console-accept").daemon().start(() -> accept(s));
            LOG.info("console listening on {} (mode 0600, user {} and root)", s.path(), s.owner().getName());
        } catch (IOException | RuntimeException e) {
            LOG.error("console: cannot listen on {}: {}; the console is off", next.socket(), e.getMessage() == null
                    ? e.toString() : e.getMessage());
        }
    }

    /** The settings in force (null before the first good file). */
    ConsoleSettings settings() {
        return settings;
    }

    /** Starts, moves or stops the SSH console; a console that cannot listen is logged and off. */
    private void configureSsh(ConsoleSettings.Ssh next) {
        if (ssh != null && ssh.settings().equals(next)) {
            return;
        }
        if (ssh != null) {
            ssh.stop();
            ssh = null;
            LOG.info("ssh console stopped");
        }
        if (next == null) {
            return; // off, the default (ssh.port=0)
        }
        try {
            ssh = SshConsole.start(next, processor, () -> settings);
            LOG.info("ssh console listening on {} port {} (public keys from {}; no passwords){}",
                    next.bind().getHostAddress(), next.port(), next.authorizedKeys(),
                    next.bind().isLoopbackAddress() ? "" : " NOT loopback: set by ssh.bind");
        } catch (IOException | RuntimeException e) {
            LOG.error("ssh console: cannot listen on {} port {}: {}; the ssh console is off", next.bind().getHostAddress(),
                    next.port(), e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    @Deactivate
    synchronized void deactivate() {
        stopListening();
        if (ssh != null) {
            ssh.stop();
            ssh = null;
        }
        open.values().forEach(ConsoleConnection::stop);
    }

    private void stopListening() {
        if (socket != null) {
            socket.close();
            socket = null;
        }
        if (acceptor != null) {
            acceptor.interrupt();
            acceptor = null;
        }
    }

    private void accept(OwnerOnlySocket s) {
        while (true) {
            SocketChannel ch;
            try {
                ch = s.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("console: accept failed: {}", e.toString());
                return;
            }
            String id = "c" + ids.incrementAndGet();
            Thread.ofPlatform().name("console-" + id).daemon().start(() -> serve(s, id, ch));
        }
    }

    private void serve(OwnerOnlySocket s, String id, SocketChannel ch) {
        ConsoleSettings now = settings;
        ConsoleConnection c = new ConsoleConnection(id, ch, processor, now.lineMax());
        open.put(ch, c);
        try (ch) {
            UserPrincipal peer = OwnerOnlySocket.peer(ch);
            if (!s.allowed(peer)) {
                LOG.warn("console {} refused: user {} is not the server's user {} nor root", id, peer.getName(),
                        s.owner().getName());
                Frames.write(java.nio.channels.Channels.newOutputStream(ch), Frames.REFUSED,
                        "user " + peer.getName() + " may not use this console (only " + s.owner().getName() + " and root)");
                return;
            }
            if (open.size() > now.maxSessions()) {
                LOG.warn("console {} refused: {} sessions open (max.sessions={})", id, open.size() - 1, now.maxSessions());
                Frames.write(java.nio.channels.Channels.newOutputStream(ch), Frames.REFUSED,
                        "too many console sessions (max.sessions=" + now.maxSessions() + ")");
                return;
            }
            LOG.info("console {} opened by {}", id, peer.getName());
            c.serve();
            LOG.info("console {} closed", id);
        } catch (Frames.BadFrame e) {
            LOG.warn("console {} ended: {}", id, e.getMessage());
        } catch (IOException e) {
            LOG.info("console {} closed: {}", id, e.toString());
        } finally {
            open.remove(ch);
        }
    }
}
