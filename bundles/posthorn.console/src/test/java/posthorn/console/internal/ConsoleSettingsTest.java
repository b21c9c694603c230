package posthorn.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleSettingsTest {

    @Test
    void defaultsTakeTheSocketFromTheVarDirectory() {
        ConsoleSettings s = ConsoleSettings.from(Map.of(), "/var/lib/posthorn");
        assertEquals(Path.of("/var/lib/posthorn/admin.sock"), s.socket());
        assertEquals(8, s.maxSessions());
        assertEquals(65536, s.lineMax());
        assertNull(ConsoleSettings.from(Map.of(), null).socket(), "no POSTHORN_VAR, no socket");
        assertNull(ConsoleSettings.from(Map.of("socket", " "), "/v").socket(), "empty: off");
    }

    @Test
    void everyBadValueNamesItsKey() {
        assertBad("socket: not an absolute path", Map.of("socket", "var/admin.sock"));
        assertBad("socket: longer than the 107 bytes", Map.of("socket", "/" + "x".repeat(120)));
        assertBad("max.sessions: not a whole number", Map.of("max.sessions", "lots"));
        assertBad("max.sessions: 0 is not between 1 and 1000", Map.of("max.sessions", "0"));
        assertBad("line.max: 100 is not between 256", Map.of("line.max", "100"));
        assertBad("line.max: not a whole number", Map.of("line.max", "1e9"));
    }

    @Test
    void sshIsOffByDefaultAndOnLoopbackWhenOn(@TempDir Path var) throws Exception {
        assertNull(ConsoleSettings.from(Map.of(), var.toString()).ssh(), "off by default");
        assertNull(ConsoleSettings.from(Map.of("ssh.port", "0"), var.toString()).ssh(), "0 is off");
        assertNull(ConsoleSettings.from(Map.of(), null).ssh(), "off needs no POSTHORN_VAR");
        Files.createDirectories(var.resolve("ssh"));
        Files.writeString(var.resolve("ssh/authorized_keys"), "");
        ConsoleSettings.Ssh ssh = ConsoleSettings.from(Map.of("ssh.port", "8101"), var.toString()).ssh();
        assertEquals(8101, ssh.port());
        assertEquals(InetAddress.getByName("127.0.0.1"), ssh.bind());
        assertEquals(var.resolve("ssh/authorized_keys"), ssh.authorizedKeys());
        assertEquals(var.resolve("ssh/host_key"), ssh.hostKey());
        assertEquals(InetAddress.getByName("::1"),
                ConsoleSettings.from(Map.of("ssh.port", "8101", "ssh.bind", "[::1]"), var.toString()).ssh().bind());
        assertEquals(InetAddress.getByName("192.0.2.7"), ConsoleSettings.from(
                Map.of("ssh.port", "8101", "ssh.bind", "192.0.2.7"), var.toString()).ssh().bind(), "set explicitly: taken");
    }

    @Test
    void everyBadSshValueNamesItsKey(@TempDir Path var) throws Exception {
        Files.createDirectories(var.resolve("ssh"));
        Files.writeString(var.resolve("ssh/authorized_keys"), "");
        String v = var.toString();
        assertBad("ssh.port: not a whole number", Map.of("ssh.port", "ssh"), v);
        assertBad("ssh.port: -1 is not between 0 and 65535", Map.of("ssh.port", "-1"), v);
        assertBad("ssh.port: 65536 is not between 0 and 65535", Map.of("ssh.port", "65536"), v);
        assertBad("ssh.bind: 'localhost' is not an IP address", Map.of("ssh.port", "8101", "ssh.bind", "localhost"), v);
        assertBad("ssh.bind: '256.0.0.1' is not an IP address", Map.of("ssh.port", "8101", "ssh.bind", "256.0.0.1"), v);
        assertBad("ssh.bind: 'example.org' is not an IP address", Map.of("ssh.bind", "example.org"), v);
        assertBad("ssh.bind: ':::::' is not an IP address", Map.of("ssh.bind", ":::::"), v);
        assertBad("ssh.authorized.keys: " + var.resolve("nope") + " is not a file",
                Map.of("ssh.port", "8101", "ssh.authorized.keys", var.resolve("nope").toString()), v);
        assertBad("ssh.authorized.keys: " + var.resolve("ssh") + " is not a file",
                Map.of("ssh.port", "8101", "ssh.authorized.keys", var.resolve("ssh").toString()), v);
        assertBad("ssh.authorized.keys: not an absolute path", Map.of("ssh.authorized.keys", "keys"), v);
        assertBad("ssh.host.key: " + var.resolve("ssh") + " is a directory",
                Map.of("ssh.port", "8101", "ssh.host.key", var.resolve("ssh").toString()), v);
        assertBad("ssh.authorized.keys: not set, and POSTHORN_VAR is not set", Map.of("ssh.port", "8101"), null);
    }

    @Test
    void aBadSshValueLeavesTheConsoleAsItWas(@TempDir Path var) throws Exception {
        // The component logs one line (e2e_ssh.py counts it) and keeps the settings in force.
        UnixConsole console = new UnixConsole();
        console.configure(Map.of("socket", "", "max.sessions", "3"));
        ConsoleSettings good = console.settings();
        assertEquals(3, good.maxSessions());
        console.configure(Map.of("socket", "", "max.sessions", "5", "ssh.port", "22x"));
        assertSame(good, console.settings());
        console.configure(Map.of("socket", "", "max.sessions", "5", "ssh.port", "8101",
                "ssh.authorized.keys", var.resolve("none").toString()));
        assertSame(good, console.settings());
        console.configure(Map.of("socket", "", "max.sessions", "5", "ssh.bind", "loopback"));
        assertSame(good, console.settings());
        console.configure(Map.of("socket", "", "max.sessions", "5"));
        assertEquals(5, console.settings().maxSessions(), "a good file again is taken");
        console.deactivate();
    }

    private static void assertBad(String start, Map<String, ?> props, String var) {
        ConsoleSettings.BadValue e = assertThrows(ConsoleSettings.BadValue.class, () -> ConsoleSettings.from(props, var));
        assertEquals(true, e.getMessage().startsWith(start), e.getMessage());
    }

    private static void assertBad(String start, Map<String, ?> props) {
        ConsoleSettings.BadValue e = assertThrows(ConsoleSettings.BadValue.class, () -> ConsoleSettings.from(props, "/v"));
        assertEquals(true, e.getMessage().startsWith(start), e.getMessage());
    }
}
