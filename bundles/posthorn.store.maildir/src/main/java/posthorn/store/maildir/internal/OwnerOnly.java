package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * Every file and directory the store creates in a Maildir is its owner's alone: directories 0700,
 * files 0600, whatever the process's umask (mail, its index of subjects and addresses and its
 * keywords are private; a umask of 022 would make them 0644, one of 000 world-writable). The mode is
 * given to the creating system call itself, so there is no moment at which another user could open
 * the file; the umask can only take bits away from it. Files made by a hard link or a rename keep
 * their inode's mode; messages another program delivered keep the mode that program gave them.
 *
 * <p>On a file system without POSIX permissions the platform's defaults apply. Stateless.
 */
final class OwnerOnly {
    private static final FileAttribute<?> DIRECTORY = PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<?> FILE = PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<?>[] NONE = new FileAttribute<?>[0];

    private OwnerOnly() {
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    private static FileAttribute<?>[] directoryMode(Path p) {
        return posix(p) ? new FileAttribute<?>[] {DIRECTORY} : NONE;
    }

    private static FileAttribute<?>[] fileMode(Path p) {
        return posix(p) ? new FileAttribute<?>[] {FILE} : NONE;
    }

    /** mkdir with mode 0700; fails if {@code dir} exists, as {@link Files#createDirectory} does. */
    static void createDirectory(Path dir) throws IOException {
        Files.createDirectory(dir, directoryMode(dir));
    }

    /**
     * mkdir -p with mode 0700 for each directory it creates; existing ones are left as they are. A
     * directory made meanwhile by another process counts as existing.
     */
    static void createDirectories(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath();
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = abs; p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.push(p);
        }
        while (!missing.isEmpty()) {
            Path p = missing.pop();
            try {
                createDirectory(p);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(p)) {
                    throw e;
                }
            }
        }
    }

    /**
     * A new file (O_CREAT|O_EXCL, mode 0600) open for writing: it never follows a symbolic link and
     * never reuses a file that is there already.
     */
    static FileChannel createFile(Path file) throws IOException {
        Set<OpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return FileChannel.open(file, options, fileMode(file));
    }

    /** A new file (mode 0600) holding {@code bytes}; not synced. */
    static void write(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = createFile(file)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
    }

    /**
     * Copies a file to a new one (mode 0600, not the source's mode, which another program may have
     * made readable to others), with the source's modification time (a message's INTERNALDATE), synced
     * to disk.
     */
    static void copy(Path source, Path target) throws IOException {
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ); FileChannel out = createFile(target)) {
            long size = in.size();
            long done = 0;
            while (done < size) {
                long n = in.transferTo(done, size - done, out);
                if (n <= 0) {
                    break; // the source shrank meanwhile; what was there is copied
                }
                done += n;
            }
            out.force(true);
        }
        Files.setLastModifiedTime(target, Files.getLastModifiedTime(source, LinkOption.NOFOLLOW_LINKS));
    }
}
