package posthorn.auth.userdb.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The userdb backend for the tools' tests, which check that it reads what the tools write. It sits
 * in the backend's package (on the plain test class path, no OSGi) because its plain activation is
 * package-private: the bundle exports nothing and the tools do not use it.
 */
public final class UserdbBackends {

    private UserdbBackends() {
    }

    /** A backend over the given file, looking for changes on every lookup. */
    public static UserdbBackend reading(Path file) throws IOException {
        UserdbBackend b = new UserdbBackend();
        b.activate(file, false, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                Duration.ZERO);
        return b;
    }
}
