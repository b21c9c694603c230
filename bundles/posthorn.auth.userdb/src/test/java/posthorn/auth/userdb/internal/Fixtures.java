package posthorn.auth.userdb.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.stream.Stream;

/** Copies the fixtures made by Courier's tools (see make-fixtures.sh) into a test's directory. */
final class Fixtures {

    private Fixtures() {
    }

    static Path source(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Copies fixtures/{name} (a file or a directory tree) to dir/{name}, mode 0600/0700. */
    static Path copy(String name, Path dir) throws IOException {
        Path from = source(name);
        Path to = dir.resolve(name);
        try (Stream<Path> walk = Files.walk(from)) {
            walk.forEach(p -> {
                Path t = to.resolve(from.relativize(p).toString());
                try {
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(t);
                        Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rwx------"));
                    } else {
                        Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                        Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rw-------"));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return to;
    }

    /** A backend over the given file, checking for changes on every lookup. */
    static UserdbBackend backend(Path file) throws IOException {
        UserdbBackend b = new UserdbBackend();
        b.activate(file, false, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                Duration.ZERO);
        return b;
    }
}
