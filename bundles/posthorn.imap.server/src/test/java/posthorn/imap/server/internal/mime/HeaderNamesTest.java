package posthorn.imap.server.internal.mime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Header finds fields by name on the bytes (the strings are made only when asked for): the answers
 * are those of the names as strings, {@code name.strip().equalsIgnoreCase(asked)}.
 */
class HeaderNamesTest {

    private static Header parse(String s) {
        byte[] m = s.getBytes(StandardCharsets.ISO_8859_1);
        return Header.parse(m, 0, m.length);
    }

    @Test
    void namesMatchInAnyCaseWithWhitespaceAroundThemRemoved() {
        Header h = parse("SUBJECT: one\r\nsubject\t: two\r\nsubJect :three\r\n folded\r\n\r\nbody");
        assertEquals("one", h.value("Subject"));
        assertEquals("three folded", h.lastValue("subject"));
        assertEquals(List.of("SUBJECT", "subject", "subJect"), h.fields().stream().map(Header.Field::name).toList());
        assertEquals("three\r\n folded", h.fields().get(2).value());
        assertEquals(List.of(0, 14, 29), h.fields().stream().map(Header.Field::start).toList());
    }

    @Test
    void namesThatOnlyLookAlikeDoNotMatch() {
        // Latin-1 letters, a name one character longer or shorter, '@' and '`' (0x40 and 0x60 differ by
        // the case bit but are no letters), a line without a colon (no name)
        Header h = parse("Subj\u00e9ct: a\r\nSubjects: b\r\nSubjec: c\r\nX-@: d\r\nno colon here\r\n\r\n");
        assertNull(h.value("Subject"));
        assertNull(h.value("X-`"));
        assertEquals("d", h.value("X-@"));
        assertEquals("", h.fields().get(4).name());
        assertEquals("no colon here", h.fields().get(4).value());
        assertEquals("no colon here", h.value("")); // as before: the line without a colon has the name ""
        assertEquals("a", h.value("SUBJ\u00c9CT")); // a non-ASCII name asked for: String's case folding
    }

    @Test
    void everyLatin1ByteMatchesAsEqualsIgnoreCaseSays() {
        for (int b = 0; b < 256; b++) {
            if (b == ':' || b == '\n' || b == '\r') {
                continue;
            }
            String name = "X" + (char) b;
            Header h = parse(name + ": v\r\n\r\n");
            for (int c = 0x21; c < 0x7F; c++) {
                String asked = "X" + (char) c;
                boolean expected = name.strip().equalsIgnoreCase(asked);
                assertEquals(expected, h.value(asked) != null, name + " asked as " + asked);
            }
        }
    }
}
