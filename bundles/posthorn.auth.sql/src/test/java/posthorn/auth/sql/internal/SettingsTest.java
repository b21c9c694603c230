package posthorn.auth.sql.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import posthorn.auth.support.config.BadSetting;

class SettingsTest {

    private static Settings of(String driver, String url, String password, int pool, long connect, int query,
                               String userQuery) {
        return Settings.of(driver, url, "mail", password, pool, connect, query, SqlBackend.DEFAULT_PASSWORD_QUERY,
                userQuery, "", 5);
    }

    @Test
    void shortDriverNamesAndUrlsPickTheDriverClass() {
        assertEquals(Settings.POSTGRESQL, Settings.driverClass("postgresql", "jdbc:whatever:"));
        assertEquals(Settings.MARIADB, Settings.driverClass("MariaDB", "x"));
        assertEquals(Settings.MARIADB, Settings.driverClass("mysql", "x"));
        assertEquals(Settings.H2, Settings.driverClass(" h2 ", "x"));
        assertEquals("com.example.Driver", Settings.driverClass("com.example.Driver", "x"));
        assertEquals(Settings.POSTGRESQL, Settings.driverClass("", "jdbc:postgresql://db/mail"));
        assertEquals(Settings.MARIADB, Settings.driverClass(null, "jdbc:mariadb://db/mail"));
        assertEquals(Settings.H2, Settings.driverClass("", "jdbc:h2:mem:x"));
        assertThrows(IllegalArgumentException.class, () -> Settings.driverClass("", "jdbc:oracle:thin:@db"));
    }

    @Test
    void badValuesNameTheirKey() {
        assertEquals("url", assertThrows(BadSetting.class, () -> of("", " ", "", 4, 5000, 5, "")).key());
        assertEquals("pool.size", assertThrows(BadSetting.class, () -> of("", "jdbc:h2:mem:x", "", 0, 5000, 5, "")).key());
        assertEquals("connect.timeout",
                assertThrows(BadSetting.class, () -> of("", "jdbc:h2:mem:x", "", 4, 10, 5, "")).key());
        assertEquals("query.timeout", assertThrows(BadSetting.class, () -> of("", "jdbc:h2:mem:x", "", 4, 5000, 0, "")).key());
        assertEquals("user.query", assertThrows(BadSetting.class,
                () -> of("", "jdbc:h2:mem:x", "", 4, 5000, 5, "SELECT home FROM users")).key());
        assertEquals("driver", assertThrows(BadSetting.class, () -> of("", "jdbc:oracle:thin:@db", "", 4, 5000, 5, "")).key());
        assertEquals("down.retry", assertThrows(BadSetting.class, () -> Settings.of("", "jdbc:h2:mem:x", "", "", 4, 5000, 5,
                SqlBackend.DEFAULT_PASSWORD_QUERY, "", "", -1)).key());
        assertNull(of("", "jdbc:h2:mem:x", "", 4, 5000, 5, "  ").userQuery());
    }

    @Test
    void logLinesShowNoPassword() {
        Settings s = of("", "jdbc:postgresql://db/mail?user=mail&password=url-secret", "cfg-secret", 4, 5000, 5, "");
        assertEquals("jdbc:postgresql://db/mail", s.safeUrl());
        assertFalse(s.toString().contains("secret"), s.toString());
        Settings h2 = of("", "jdbc:h2:mem:x;PASSWORD=h2-secret", "cfg-secret", 4, 5000, 5, "");
        assertEquals("jdbc:h2:mem:x", h2.safeUrl());
        assertFalse(h2.toString().contains("secret"), h2.toString());
    }
}
