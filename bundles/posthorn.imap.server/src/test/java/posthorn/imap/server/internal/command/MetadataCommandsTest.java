package posthorn.imap.server.internal.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;

/** Entry names (RFC 5464 3.2.1), GETMETADATA's DEPTH selection (4.2.2) and value encoding (4.4.1). */
class MetadataCommandsTest {

    @ParameterizedTest
    @CsvSource({
            "/private/comment, /private/comment",
            "/shared/Comment, /shared/comment",               // case-insensitive: kept in lower case
            "/shared/vendor/vendor.example/x, /shared/vendor/vendor.example/x",
            "/PRIVATE/Vendor/A-b_c, /private/vendor/a-b_c",
    })
    void acceptedNames(String raw, String kept) throws ProtocolException {
        assertEquals(kept, MetadataCommands.entryName(raw, 1024));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/private", "/shared", "/private/", "/other/x", "private/x", "/private//x",
            "/private/x/", "/private/../x", "/private/./x", "/shared/a/../../b", "/private/a*", "/private/%",
            "/private/caf\u00e9", "/private/tab\tx", "/private/nul\u0000", ""})
    void refusedNames(String raw) {
        assertThrows(ProtocolException.class, () -> MetadataCommands.entryName(raw, 1024));
    }

    @Test
    void nameLengthIsBounded() throws ProtocolException {
        String ok = "/private/" + "a".repeat(1024 - 9);
        assertEquals(ok, MetadataCommands.entryName(ok, 1024));
        assertThrows(ProtocolException.class, () -> MetadataCommands.entryName(ok + "b", 1024));
    }

    /**
     * GETMETADATA takes the two roots, {@code /private} and {@code /shared}, so that DEPTH 1 or infinity
     * lists every entry of one kind (RFC 5464's entry is an astring; Dovecot takes them: conformance
     * h2-metadata-roots). SETMETADATA still refuses them: a root holds no value of its own.
     */
    @ParameterizedTest
    @CsvSource({"/private, /private", "/SHARED, /shared", "/private/x, /private/x"})
    void getMetadataTakesTheRoots(String raw, String kept) throws ProtocolException {
        assertEquals(kept, MetadataCommands.getEntryName(raw, 1024));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/private/", "/", "/other", "/privatex", "/private//x", "/shared/..", ""})
    void getMetadataRefusesWhatIsNoRoot(String raw) {
        assertThrows(ProtocolException.class, () -> MetadataCommands.getEntryName(raw, 1024));
    }

    /** DEPTH under a root; another user's /private entries stay hidden when the root is asked for. */
    @Test
    void rootsSelectTheirKindOnly() {
        TreeMap<String, byte[]> stored = new TreeMap<>(Map.of(
                "/private/a", b("1"), "/private/a/b", b("2"), "/shared/c", b("3")));
        assertEquals(List.of("/private/a"),
                List.copyOf(MetadataCommands.select(stored, List.of("/private"), 1, true).keySet()));
        assertEquals(List.of("/private/a", "/private/a/b"),
                List.copyOf(MetadataCommands.select(stored, List.of("/private"), Integer.MAX_VALUE, true).keySet()));
        assertEquals(List.of("/shared/c"),
                List.copyOf(MetadataCommands.select(stored, List.of("/shared"), Integer.MAX_VALUE, false).keySet()));
        assertEquals(List.of(),
                List.copyOf(MetadataCommands.select(stored, List.of("/private"), Integer.MAX_VALUE, false).keySet()));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** RFC 5464 4.2.2: DEPTH 0 the entry, 1 its children too, infinity every descendant. */
    @Test
    void depthSelectsDescendants() {
        TreeMap<String, byte[]> stored = new TreeMap<>(Map.of(
                "/private/filters/values", b("a"),
                "/private/filters/values/small", b("b"),
                "/private/filters/values/big", b("c"),
                "/private/filters/values/big/deeper", b("d"),
                "/private/filters/valuesx", b("not a child")));
        List<String> asked = List.of("/private/filters/values");
        assertEquals(List.of("/private/filters/values"),
                List.copyOf(MetadataCommands.select(stored, asked, 0, true).keySet()));
        assertEquals(List.of("/private/filters/values", "/private/filters/values/big", "/private/filters/values/small"),
                List.copyOf(MetadataCommands.select(stored, asked, 1, true).keySet()));
        // DEPTH 1 of an entry without a value: only its children (as Dovecot answers)
        assertEquals(List.of("/private/filters/values", "/private/filters/valuesx"),
                List.copyOf(MetadataCommands.select(stored, List.of("/private/filters"), 1, true).keySet()));
        assertEquals(List.of("/private/filters"),
                List.copyOf(MetadataCommands.select(stored, List.of("/private/filters"), 0, true).keySet()));
        assertEquals(List.of("/private/filters/values", "/private/filters/values/big",
                        "/private/filters/values/big/deeper", "/private/filters/values/small"),
                List.copyOf(MetadataCommands.select(stored, asked, Integer.MAX_VALUE, true).keySet()));
    }

    /** An entry asked for that has no value is NIL; another user's /private entries read as absent. */
    @Test
    void missingAndForeignPrivateEntriesAreNil() {
        TreeMap<String, byte[]> stored = new TreeMap<>(Map.of("/private/comment", b("mine"), "/shared/comment", b("ours")));
        Map<String, byte[]> own = MetadataCommands.select(stored, List.of("/private/comment", "/private/none"), 0, true);
        assertArrayEquals(b("mine"), own.get("/private/comment"));
        assertEquals(null, own.get("/private/none"));
        Map<String, byte[]> foreign = MetadataCommands.select(stored,
                List.of("/private/comment", "/shared/comment"), Integer.MAX_VALUE, false);
        assertEquals(null, foreign.get("/private/comment"));
        assertArrayEquals(b("ours"), foreign.get("/shared/comment"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "My comment|\"My comment\"",
            "a \"quoted\" one|\"a \\\"quoted\\\" one\"",
    })
    void valuesAsStrings(String value, String wire) throws Exception {
        assertEquals(wire, write(b(value)));
    }

    @Test
    void valuesAsLiteralsAndLiteral8() throws Exception {
        // RFC 5464 4.3's example value spans two lines: a literal
        assertEquals("{33}\r\nMy new comment across\r\ntwo lines.", write(b("My new comment across\r\ntwo lines.")));
        assertEquals("~{3}\r\na\u0000b", write(new byte[] {'a', 0, 'b'}));
        assertEquals("NIL", write(null));
    }

    private static String write(byte[] v) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ResponseWriter out = new ResponseWriter(bytes);
        MetadataCommands.value(out, v);
        out.flush();
        return bytes.toString(StandardCharsets.ISO_8859_1);
    }
}
