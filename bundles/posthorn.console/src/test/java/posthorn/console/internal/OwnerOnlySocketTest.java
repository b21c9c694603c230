package posthorn.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnerOnlySocketTest {

    @TempDir
    Path dir;

    @Test
    void theSocketIsOwnerOnlyAndItsPeerIsItsOwnUser() throws IOException {
        Path path = dir.resolve("admin.sock");
        try (OwnerOnlySocket s = OwnerOnlySocket.bind(path)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS)));
            try (Stream ls = new Stream(dir)) {
                assertEquals(1, ls.count(), "the private directory it was bound in is gone");
            }
            try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path)); SocketChannel peer = s.accept()) {
                assertTrue(s.allowed(OwnerOnlySocket.peer(peer)));
            }
        }
        assertFalse(Files.exists(path, LinkOption.NOFOLLOW_LINKS), "removed when closed");
    }

    @Test
    void aSocketLeftByADeadServerIsReplacedALiveOneIsNot() throws IOException {
        Path path = dir.resolve("admin.sock");
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(path));
            assertThrows(OwnerOnlySocket.InUse.class, () -> OwnerOnlySocket.bind(path));
        }
        assertTrue(Files.exists(path, LinkOption.NOFOLLOW_LINKS), "a closed channel leaves its file behind");
        try (OwnerOnlySocket s = OwnerOnlySocket.bind(path)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
        }
    }

    @Test
    void aFileThatIsNotASocketIsLeftAlone() throws IOException {
        Path path = Files.writeString(dir.resolve("admin.sock"), "mine");
        assertThrows(FileAlreadyExistsException.class, () -> OwnerOnlySocket.bind(path));
        assertEquals("mine", Files.readString(path));
    }

    /** The entries of a directory. */
    private static final class Stream implements AutoCloseable {
        private final java.util.stream.Stream<Path> s;

        Stream(Path dir) throws IOException {
            s = Files.list(dir);
        }

        long count() {
            return s.count();
        }

        @Override
        public void close() {
            s.close();
        }
    }
}
