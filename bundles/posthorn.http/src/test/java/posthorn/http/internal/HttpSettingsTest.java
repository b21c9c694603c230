package posthorn.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class HttpSettingsTest {

    @Test
    void theDefaultsAreOffOnLoopback() throws Exception {
        HttpSettings s = HttpSettings.read(Map.of());
        assertFalse(s.enabled());
        assertEquals("127.0.0.1", s.bind().getHostAddress());
        assertEquals(8143, s.port());
        assertTrue(s.nodes().isEmpty());
        assertEquals(2000, s.healthMillis());
        assertTrue(s.authClient(InetAddress.getByName("127.0.0.1")));
        assertTrue(s.authClient(InetAddress.getByName("::1")));
        assertFalse(s.authClient(InetAddress.getByName("10.1.2.3")));
    }

    @Test
    void aFullFileIsRead() throws Exception {
        HttpSettings s = HttpSettings.read(Map.of("enabled", "true", "bind", "10.0.0.2", "port", "9000", "nodes",
                "n1 10.0.0.2:143 http://10.0.0.2:9000/health, n2 [fd00::3]:1143", "health.interval", "5",
                "health.timeout", "2", "auth.clients", "10.0.0.0/24, fd00::/8"));
        assertTrue(s.enabled());
        assertEquals(2, s.nodes().size());
        assertEquals("n2", s.nodes().get(1).name());
        assertEquals(1143, s.nodes().get(1).port());
        assertEquals(null, s.nodes().get(1).health());
        assertTrue(s.authClient(InetAddress.getByName("10.0.0.200")));
        assertFalse(s.authClient(InetAddress.getByName("10.0.1.1")));
        assertTrue(s.authClient(InetAddress.getByName("fd12::1")));
    }

    /** Each bad value refuses the file and names its key. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "enabled|yes",
            "bind|8.8.8.8",
            "bind|0.0.0.0",
            "bind|localhost",
            "bind|300.1.1.1",
            "port|0",
            "port|65536",
            "port|http",
            "nodes|n1",
            "nodes|n1 localhost:143",
            "nodes|n1 127.0.0.2",
            "nodes|n1 127.0.0.2:99999",
            "nodes|n1 127.0.0.2:143 ftp://x/health",
            "nodes|n1 127.0.0.2:143, n1 127.0.0.3:143",
            "nodes|bad/name 127.0.0.2:143",
            "health.interval|0",
            "health.interval|often",
            "health.timeout|61",
            "auth.clients|10.0.0.0/33",
            "auth.clients|nginx.example.org",
            "enabeld|true",
    })
    void aBadValueIsRefusedNamingItsKey(String key, String value) {
        Map<String, Object> p = new HashMap<>();
        p.put(key, value);
        HttpSettings.BadValue e = assertThrows(HttpSettings.BadValue.class, () -> HttpSettings.read(p));
        assertEquals(key, e.key, e.getMessage());
        assertTrue(e.getMessage().startsWith(key + ": "), e.getMessage());
    }

    @Test
    void aTimeoutLongerThanTheIntervalIsRefused() {
        HttpSettings.BadValue e = assertThrows(HttpSettings.BadValue.class,
                () -> HttpSettings.read(Map.of("health.interval", "2", "health.timeout", "3")));
        assertEquals("health.timeout", e.key);
    }

    @Test
    void anUnknownKeyFarFromAnyIsNoRefusal() throws Exception {
        assertFalse(HttpSettings.read(Map.of("completely.different", "x")).enabled());
    }
}
