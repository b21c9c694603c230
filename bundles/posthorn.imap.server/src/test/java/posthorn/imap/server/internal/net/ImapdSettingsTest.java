package posthorn.imap.server.internal.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** imapd.cfg's values are checked when read: type, range, the files named. */
class ImapdSettingsTest {

    /**
     * Values that no key of this type accepts: for numbers a word and a negative number (no setting
     * is negative), for switches a word, for text a control character. Every key of ImapdConfig is
     * one of these types (checked here), so a key added later is covered without a change here.
     */
    static List<Object> badValues(Class<?> type) {
        if (type == int.class || type == long.class) {
            return List.of("lots", "-1", "1.5", "", "99999999999999999999");
        }
        if (type == boolean.class) {
            return List.of("maybe", "yes", "1");
        }
        if (type == String.class || type == String[].class) {
            return List.of("bad\u0001value", "line\nbreak", "trailing\u0001");
        }
        throw new AssertionError("a setting of a type the checks do not know: " + type);
    }

    static List<Method> settings() {
        return Arrays.stream(ImapdConfig.class.getDeclaredMethods()).filter(m -> m.getDefaultValue() != null).toList();
    }

    @Test
    void theDefaultsAreGood() throws Exception {
        ImapdConfig c = ImapdSettings.read(Map.of());
        assertEquals("127.0.0.1", c.bind());
        assertEquals(1143, c.port());
        assertEquals(20, c.max_bad_commands());
        assertEquals(TrustedNetworks.DEFAULT, c.trusted_networks());
        assertEquals(settings().size(), ImapdSettings.keys().size());
    }

    @Test
    void aBadValueForEveryKeyIsRefusedNamingTheKey() {
        List<String> checked = new ArrayList<>();
        for (Method m : settings()) {
            String key = m.getName().replace('_', '.');
            for (Object bad : badValues(m.getReturnType())) {
                ImapdSettings.BadValue e = assertThrows(ImapdSettings.BadValue.class,
                        () -> ImapdSettings.read(Map.of(key, bad)), key + "=" + bad);
                assertEquals(key, e.key());
                assertTrue(e.getMessage().startsWith(key + "="), e.getMessage());
                assertTrue(!e.getMessage().contains("\n") && !e.getMessage().contains("\u0001"), "one printable line: " + e.getMessage());
            }
            checked.add(key);
        }
        assertTrue(checked.containsAll(List.of("bind", "port", "max.per.ip", "tls.cert", "allow.plaintext",
                "trusted.networks", "max.bad.commands")), checked.toString());
    }

    @Test
    void valuesOutOfRangeAreRefused() {
        for (Map<String, Object> bad : List.<Map<String, Object>>of(Map.of("port", "70000"), Map.of("tls.port", 65536),
                Map.of("max.per.ip", "0"), Map.of("max.connections", 0), Map.of("login.timeout", "0"),
                Map.of("idle.timeout", "3000000"), Map.of("line.max", "100"), Map.of("nesting.max", "0"),
                Map.of("max.bad.logins", "0"), Map.of("log.repeat.window", "0"), Map.of("port", 1143, "tls.port", "1143"),
                Map.of("bind", ""), Map.of("bind", "no.such.host.invalid"), Map.of("hostname", "two words"),
                Map.of("trusted.networks", "everyone"), Map.of("literal.max", -5L),
                Map.of("literal.nonsync", "LITERAL"), Map.of("literal.nonsync", "literal-"),
                Map.of("compress.level", "0"), Map.of("compress.level", 10))) {
            assertThrows(ImapdSettings.BadValue.class, () -> ImapdSettings.read(bad), bad.toString());
        }
    }

    /**
     * The keys session 5 added (NOTIFY, INPROGRESS, URLs, CATENATE, METADATA, COMPRESS, CONTEXT), each
     * just outside its range and as text that is no number: refused, the message naming the key.
     */
    @Test
    void session5KeysRefuseValuesOutOfRangeNamingTheKey() {
        Map<String, List<Object>> bad = new java.util.LinkedHashMap<>();
        bad.put("notify.max.mailboxes", List.of("0", 100_001, "-1", "lots"));
        bad.put("inprogress.interval", List.of("99", 3_600_001, "10s"));
        bad.put("url.max.length", List.of("63", 65_537, "4294967296"));
        bad.put("catenate.max.parts", List.of("0", 10_001, "1e3"));
        bad.put("metadata.max.size", List.of("0", 16_777_217, "32k"));
        bad.put("metadata.max.entries", List.of("0", 100_001, " "));
        bad.put("metadata.max.name", List.of("15", 65_537, "9223372036854775808"));
        bad.put("compress.level", List.of("0", 10, "best"));
        bad.put("search.update.max", List.of("-1", 1001, "many"));
        bad.put("metadata", List.of("yes", "1", "on"));
        bad.put("urlauth.submit", List.of("smtp\u0001", "a\nb"));
        bad.put("urlauth.keys.max", List.of("0", 100_001, "-5", "many"));
        for (Map.Entry<String, List<Object>> e : bad.entrySet()) {
            for (Object v : e.getValue()) {
                Object value = v;
                ImapdSettings.BadValue x = assertThrows(ImapdSettings.BadValue.class,
                        () -> ImapdSettings.read(Map.of(e.getKey(), value)), e.getKey() + "=" + value);
                assertEquals(e.getKey(), x.key(), x.getMessage());
                assertTrue(!x.getMessage().contains("\n"), "one line: " + x.getMessage());
            }
        }
    }

    /** Issue 15's keys: the message names the key and what it must be. */
    @Test
    void wireKeysRefuseBadValuesNamingTheKey() throws Exception {
        ImapdSettings.BadValue e = assertThrows(ImapdSettings.BadValue.class,
                () -> ImapdSettings.read(Map.of("literal.nonsync", "LITERAL*")));
        assertEquals("literal.nonsync=LITERAL*: must be LITERAL+ or LITERAL-", e.getMessage());
        assertEquals("LITERAL-", ImapdSettings.read(Map.of("literal.nonsync", "LITERAL-")).literal_nonsync());
        assertEquals(6, ImapdSettings.read(Map.of()).compress_level());
    }

    @Test
    void valuesComeAsTextOrTyped() throws Exception {
        Map<String, Object> text = new HashMap<>(Map.of("port", " 143 ", "max.per.ip", "5", "allow.plaintext", "TRUE",
                "literal.max", "1048576", "bind", "0.0.0.0", "trusted.networks", "10.0.0.0/8, ::1"));
        ImapdConfig c = ImapdSettings.read(text);
        assertEquals(143, c.port());
        assertEquals(5, c.max_per_ip());
        assertTrue(c.allow_plaintext());
        assertEquals(1_048_576L, c.literal_max());
        assertEquals("0.0.0.0", c.bind());
        ImapdConfig typed = ImapdSettings.read(Map.of("port", 143, "literal.max", 1024, "allow.plaintext", true,
                "max.per.ip", new String[] {"7"}));
        assertEquals(143, typed.port());
        assertEquals(1024L, typed.literal_max());
        assertEquals(7, typed.max_per_ip());
        assertTrue(typed.allow_plaintext());
        assertThrows(ImapdSettings.BadValue.class, () -> ImapdSettings.read(Map.of("port", 1.5)));
        assertThrows(ImapdSettings.BadValue.class, () -> ImapdSettings.read(Map.of("port", new String[] {"1", "2"})));
    }

    @Test
    void tlsFilesMustBeThereUnlessTheServerMakesThem(@TempDir Path dir) throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        ImapdSettings.BadValue missing = assertThrows(ImapdSettings.BadValue.class, () -> ImapdSettings.read(
                Map.of("tls.cert", cert.toString(), "tls.key", key.toString())));
        assertEquals("tls.cert", missing.key());
        assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
        ImapdSettings.read(Map.of("tls.cert", cert.toString(), "tls.key", key.toString(), "tls.selfsigned", "true"));
        Files.writeString(cert, "x");
        Files.writeString(key, "x");
        ImapdSettings.read(Map.of("tls.cert", cert.toString(), "tls.key", key.toString()));
    }

    @Test
    void theRulesFileMustBeThereAndParse(@TempDir Path dir) throws Exception {
        Path rules = dir.resolve("rules");
        ImapdSettings.BadValue missing = assertThrows(ImapdSettings.BadValue.class,
                () -> ImapdSettings.read(Map.of("rules", rules.toString())));
        assertEquals("rules", missing.key());
        assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
        Files.writeString(rules, "127.:allow\n192.168.1.:allow,max.per.ip=\"lots\"\n:deny\n");
        ImapdSettings.BadValue bad = assertThrows(ImapdSettings.BadValue.class,
                () -> ImapdSettings.read(Map.of("rules", rules.toString())));
        assertTrue(bad.getMessage().contains(rules + " line 2: max.per.ip=\"lots\""), bad.getMessage());
        Files.writeString(rules, "127.:allow\n:deny\n");
        assertEquals(rules.toString(), ImapdSettings.read(Map.of("rules", rules.toString())).rules());
        Path cdb = dir.resolve("rules.cdb");
        Files.writeString(cdb, "127.:allow\n");
        ImapdSettings.BadValue notCdb = assertThrows(ImapdSettings.BadValue.class,
                () -> ImapdSettings.read(Map.of("rules", cdb.toString())));
        assertTrue(notCdb.getMessage().contains("not a cdb tcprules wrote: truncated"), notCdb.getMessage());
        assertThrows(ImapdSettings.BadValue.class, () -> ImapdSettings.read(Map.of("rules.dns.timeout", "60001")));
    }

    @Test
    void keysThatAreNotSettingsAreIgnored() throws Exception {
        Map<String, String> props = Map.of("service.pid", "imapd", "felix.fileinstall.filename",
                "file:/etc/posthorn/imapd.cfg", "colour", "blue");
        ImapdSettings.read(props);
        assertEquals(List.of("colour"), ImapdSettings.ignoredKeys(props), "logged by the server, not refused");
    }

    /**
     * Issue 13: a key within a slip of a setting's refuses the file (it used to be ignored, so that
     * max.per.pi=5 silently left the default in force), naming the setting it was probably meant to be.
     */
    @ParameterizedTest
    @CsvSource({"max.per.pi, max.per.ip", "max_per_ip, max.per.ip", "idle.timout, idle.timeout",
        "Literal.Max, literal.max", "tls.prot, tls.port"})
    void aNearMissKeyRefusesTheFile(String typo, String meant) {
        ImapdSettings.BadValue e = assertThrows(ImapdSettings.BadValue.class,
                () -> ImapdSettings.read(Map.of(typo, "5")));
        assertEquals(typo, e.key());
        assertTrue(e.getMessage().contains("did you mean " + meant + "?"), e.getMessage());
    }

    @Test
    void theCheckedConfigurationAnswersWithoutConverting() throws Exception {
        ImapdConfig c = ImapdSettings.read(Map.of("max.per.ip", "9"));
        assertEquals(9, c.max_per_ip());
        assertEquals(ImapdConfig.class, c.annotationType());
        assertTrue(c.toString().contains("max.per.ip=9"), c.toString());
        assertArrayEquals(new int[] {9, 9}, new int[] {c.max_per_ip(), c.max_per_ip()});
    }
}
