package posthorn.auth.sql.internal;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** A missing server binary fails the real-server tests with what to install; it never skips them. */
class ServerProcessTest {

    @Test
    void aMissingBinaryFailsWithThePackageToInstall() {
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> ServerProcess.find("mariadb-server", "no-such-mariadbd", "/no/such/mariadbd"));
        assertTrue(e.getMessage().contains("install the Debian package mariadb-server"), e.getMessage());
        assertTrue(e.getMessage().contains("no-such-mariadbd"), e.getMessage());
    }
}
