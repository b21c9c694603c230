package posthorn.console.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.io.nio2.Nio2ServiceFactoryFactory;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.PublickeyAuthenticator;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.server.config.keys.AuthorizedKeysAuthenticator;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SSH console (console.cfg {@code ssh.port}, off by default), as Apache Karaf operators know it:
 * Apache MINA SSHD on loopback unless {@code ssh.bind} names another address, public keys from an
 * OpenSSH authorized_keys file (re-read when it changes), no passwords, no keyboard-interactive, no
 * forwarding. A shell channel is a line-by-line console, an exec channel runs one command and returns
 * its exit status (as {@code ./posthorn shell -c} does). Each gets its own Gogo command session.
 *
 * <p>Logs one line per login attempt (user, key fingerprint, result, remote address), never a key
 * itself, and one per command (its name only, as the socket console does).
 */
final class SshConsole {
    private static final Logger LOG = LoggerFactory.getLogger(SshConsole.class);
    /** The fingerprint of the key a session was let in with, for the login line. */
    private static final AttributeKey<String> ACCEPTED = new AttributeKey<>();

    private final SshServer server;
    private final ConsoleSettings.Ssh settings;

    private SshConsole(SshServer server, ConsoleSettings.Ssh settings) {
        this.server = server;
        this.settings = settings;
    }

    /**
     * Generates the host key if it is absent (owner-only), then listens.
     *
     * @param current the console's settings now (max.sessions and line.max may change while it runs)
     */
    static SshConsole start(ConsoleSettings.Ssh s, CommandProcessor processor, Supplier<ConsoleSettings> current) throws IOException {
        SshServer server = SshServer.setUpDefaultServer();
        server.setIoServiceFactoryFactory(new Nio2ServiceFactoryFactory());
        server.setHost(s.bind().getHostAddress());
        server.setPort(s.port());
        server.setKeyPairProvider(hostKey(s.hostKey()));
        // Public keys only: the other methods are unset, and the list of methods offered says so.
        server.setPasswordAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setGSSAuthenticator(null);
        server.setHostBasedAuthenticator(null);
        server.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        server.setPublickeyAuthenticator(new Keys(s.authorizedKeys()));
        server.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
        server.setAgentFactory(null);
        server.setSubsystemFactories(List.of());
        AtomicInteger ids = new AtomicInteger();
        AtomicInteger open = new AtomicInteger();
        server.setShellFactory(channel -> new SshCommand("s" + ids.incrementAndGet(), null, processor, open, current));
        server.setCommandFactory((channel, line) -> new SshCommand("s" + ids.incrementAndGet(), line, processor, open, current));
        server.addSessionListener(new SessionListener() {
            @Override
            public void sessionEvent(Session session, Event event) {
                if (event == Event.Authenticated && session instanceof ServerSession ss) {
                    LOG.info("ssh login user={} key={} result=accepted remote={}", ss.getUsername(),
                            ss.getAttribute(ACCEPTED), ss.getClientAddress());
                }
            }
        });
        server.start();
        return new SshConsole(server, s);
    }

    ConsoleSettings.Ssh settings() {
        return settings;
    }

    /** The port it listens on (the configured one). */
    int port() {
        return server.getPort();
    }

    void stop() {
        try {
            server.stop(true);
        } catch (IOException e) {
            LOG.warn("ssh console: stopping: {}", e.toString());
        }
    }

    /** The host key pair: read if present, else generated once and written owner-only. */
    private static SimpleGeneratorHostKeyProvider hostKey(Path file) throws IOException {
        Path dir = file.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        boolean fresh = !Files.exists(file);
        SimpleGeneratorHostKeyProvider p = new SimpleGeneratorHostKeyProvider(file);
        p.setAlgorithm(KeyUtils.EC_ALGORITHM);
        p.setKeySize(256);
        p.loadKeys(null); // generate now, not on the first login
        // Owner-only whatever the umask (the directory made above is, too).
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        if (fresh) {
            LOG.info("ssh console: generated host key {} ({})", file,
                    KeyUtils.getFingerPrint(p.loadKeys(null).iterator().next().getPublic()));
        }
        return p;
    }

    /** The keys of the authorized_keys file, with a log line for each key refused. */
    private static final class Keys implements PublickeyAuthenticator {
        private final AuthorizedKeysAuthenticator file;

        Keys(Path authorizedKeys) {
            this.file = new AuthorizedKeysAuthenticator(authorizedKeys);
        }

        @Override
        public boolean authenticate(String username, PublicKey key, ServerSession session) {
            String fingerprint = KeyUtils.getFingerPrint(key);
            boolean ok;
            try {
                ok = file.authenticate(username, key, session);
            } catch (RuntimeException e) {
                LOG.warn("ssh login user={} key={} result=refused remote={} reason=\"{}\"", username, fingerprint,
                        session.getClientAddress(), e.toString());
                return false;
            }
            if (ok) {
                // The client may only be asking whether the key would do; the login line comes once
                // the signature is checked (the session's Authenticated event).
                session.setAttribute(ACCEPTED, fingerprint);
            } else {
                LOG.warn("ssh login user={} key={} result=refused remote={} reason=\"key not in {}\"", username,
                        fingerprint, session.getClientAddress(), file.getPath());
            }
            return ok;
        }
    }
}
