package posthorn.text.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class SearchTextTest {
    @Test
    void headersAreUnfoldedRawUtf8AndEncodedWordsDecoded() {
        assertEquals("Grüße aus Köln", SearchText.decodeHeader("=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?="));
        assertEquals("a b", SearchText.decodeHeader("a\r\n b"));
        String rawUtf8 = new String("café".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        assertEquals("café", SearchText.decodeHeader(rawUtf8));
        assertEquals("caf\u00e9", SearchText.decodeHeader("caf\u00e9"), "not UTF-8: kept as Latin-1");
        assertEquals("=?bogus", SearchText.decodeHeader("=?bogus"));
    }

    @Test
    void partsAreReadInTheirCharsetOrUtf8() throws IOException {
        assertEquals("café", read("caf\u00e9".getBytes(StandardCharsets.ISO_8859_1), "iso-8859-1"));
        assertEquals("café", read("café".getBytes(StandardCharsets.UTF_8), "x-no-such-charset"));
        assertEquals("café", read("café".getBytes(StandardCharsets.UTF_8), null));
        assertEquals("a\ufffdb", read(new byte[] {'a', (byte) 0xff, 'b'}, "utf-8"));
    }

    @Test
    void repeatedZeroReadsEndThePart() throws IOException {
        InputStream zeros = new InputStream() {
            @Override
            public int read() {
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return 0;
            }
        };
        try (Reader r = SearchText.partReader(zeros, "utf-8")) {
            assertEquals(-1, r.read());
        }
    }

    private static String read(byte[] bytes, String charset) throws IOException {
        try (Reader r = SearchText.partReader(new ByteArrayInputStream(bytes), charset)) {
            StringBuilder b = new StringBuilder();
            char[] c = new char[64];
            for (int n; (n = r.read(c)) > 0;) {
                b.append(c, 0, n);
            }
            return b.toString();
        }
    }
}
