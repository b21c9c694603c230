package posthorn.console.internal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * A listening Unix domain socket that only the server's own user (and root) may use: the socket file
 * is mode 0600 whatever the umask, and every peer's user is checked with SO_PEERCRED besides, so a
 * socket made readable by mistake still refuses strangers.
 *
 * <p>The mode is right from the moment the file has its name: the socket is bound inside a fresh
 * directory of mode 0700 next to it, set to 0600, then renamed into place (a rename keeps the socket
 * bound). A socket file left by a server that died is replaced; one that a running server answers on
 * is not taken over.
 */
final class OwnerOnlySocket implements AutoCloseable {

    /** The server's socket path is taken by a server that answers on it. */
    static final class InUse extends IOException {
        private static final long serialVersionUID = 1L;

        InUse(String message) {
            super(message);
        }
    }

    private final Path path;
    private final ServerSocketChannel channel;
    private final UserPrincipal self;
    private final UserPrincipal root;
    private final Object fileKey;

    private OwnerOnlySocket(Path path, ServerSocketChannel channel, UserPrincipal self, UserPrincipal root,
            Object fileKey) {
        this.path = path;
        this.channel = channel;
        this.self = self;
        this.root = root;
        this.fileKey = fileKey;
    }

    /** Binds {@code path} (creating its directory, 0700, if missing). */
    static OwnerOnlySocket bind(Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        refuseIfServed(path);
        String name = "." + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
        Path privateDir = dir.resolve(name);
        Path bound = privateDir.resolve("s");
        boolean direct = bound.toString().length() > ConsoleSettings.SOCKET_PATH_MAX;
        if (direct) {
            bound = path; // no room for the detour: bind in place; the peer check covers the moment until chmod
        } else {
            Files.createDirectory(privateDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            if (direct) {
                Files.deleteIfExists(path);
            }
            ch.bind(UnixDomainSocketAddress.of(bound));
            Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
            if (!direct) {
                Files.move(bound, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            UserPrincipal self = Files.getOwner(path, LinkOption.NOFOLLOW_LINKS);
            UserPrincipal root;
            try {
                root = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root");
            } catch (UserPrincipalNotFoundException e) {
                root = null;
            }
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return new OwnerOnlySocket(path, ch, self, root, key);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        } finally {
            if (!direct) {
                Files.deleteIfExists(bound);
                Files.deleteIfExists(privateDir);
            }
        }
    }

    /** Refuses a path that is not a socket, or a socket a running server answers on. */
    private static void refuseIfServed(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isOther()) {
            throw new FileAlreadyExistsException(path.toString(), null, "exists and is not a socket");
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            throw new InUse(path + " is in use by another running server (same POSTHORN_VAR?)");
        } catch (InUse e) {
            throw e;
        } catch (IOException e) {
            // connection refused: left behind by a server that died; replaced below
        }
    }

    Path path() {
        return path;
    }

    /** The next connection; blocks. Throws once closed. */
    SocketChannel accept() throws IOException {
        return channel.accept();
    }

    /** The user of the process at the other end. */
    static UserPrincipal peer(SocketChannel ch) throws IOException {
        UnixDomainPrincipal p = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
        return p.user();
    }

    /** Whether that user may use the console: the server's own user, or root. */
    boolean allowed(UserPrincipal user) {
        return self.equals(user) || Objects.equals(root, user);
    }

    UserPrincipal owner() {
        return self;
    }

    /** Stops listening and removes the socket file, if it is still this one. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing anyway
        }
        try {
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (key != null && key.equals(fileKey)) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // gone already
        }
    }
}
