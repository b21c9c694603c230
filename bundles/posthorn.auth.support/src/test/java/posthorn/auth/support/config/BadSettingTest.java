package posthorn.auth.support.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class BadSettingTest {

    @Test
    void theRefusalIsOneLineNamingFileKeyAndReason() {
        BadSetting e = new BadSetting("password.query", "never names the login");
        assertEquals("auth.sql.cfg refused: password.query: never names the login; the previous settings stay in force",
                e.refusal("auth.sql.cfg", true));
        assertEquals("auth.sql.cfg refused: password.query: never names the login; the backend is unavailable until"
                + " the file is fixed", e.refusal("auth.sql.cfg", false));
        assertEquals(0, e.getStackTrace().length, "an operator's mistake carries no stack trace");
    }

    @Test
    void aPathIsRequiredAndValid() {
        assertEquals(java.nio.file.Path.of("/etc/passwd"), BadSetting.path("passwd.file", " /etc/passwd "));
        assertEquals("required", assertThrows(BadSetting.class, () -> BadSetting.path("file", " ")).reason());
        assertEquals("required", assertThrows(BadSetting.class, () -> BadSetting.path("file", null)).reason());
        assertEquals("not a valid path", assertThrows(BadSetting.class, () -> BadSetting.path("file", "a\0b")).reason());
    }

    @Test
    void aValueDsCannotConvertNamesItsKey() {
        BadSetting e = assertThrows(BadSetting.class, () -> BadSetting.read("pool.size", () -> Integer.parseInt("lots")));
        assertEquals("pool.size", e.key());
        assertEquals(4, (int) BadSetting.read("pool.size", () -> 4));
        BadSetting inner = new BadSetting("url", "required");
        assertEquals(inner, assertThrows(BadSetting.class, () -> BadSetting.read("x", () -> {
            throw inner;
        })));
    }
}
