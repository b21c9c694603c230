package posthorn.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class AuthHttpServletTest {

    @Test
    void onlyPercentEscapesAreDecodedAsNginxWritesThem() {
        assertEquals("correct horse", AuthHttpServlet.unescape("correct%20horse"));
        assertEquals("a+b", AuthHttpServlet.unescape("a+b")); // nginx leaves + alone: no form decoding
        assertEquals("100%", AuthHttpServlet.unescape("100%25"));
        assertEquals("\"#", AuthHttpServlet.unescape("%22%23"));
        assertEquals("gr\u00fc\u00dfe", AuthHttpServlet.unescape("gr%C3%BC%C3%9Fe"));
    }

    @Test
    void malformedEscapesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> AuthHttpServlet.unescape("50%"));
        assertThrows(IllegalArgumentException.class, () -> AuthHttpServlet.unescape("%zz"));
        assertThrows(IllegalArgumentException.class, () -> AuthHttpServlet.unescape("%ff%fe")); // not UTF-8
        assertThrows(IllegalArgumentException.class, () -> AuthHttpServlet.unescape("a\u0001b"));
    }

    @Test
    void cidrMatchesItsPrefixOnly() {
        Cidr c = Cidr.parse("192.168.4.0/22");
        assertEquals(true, c.contains("192.168.7.255"));
        assertEquals(false, c.contains("192.168.8.0"));
        assertEquals(false, c.contains("::1"));
        assertEquals(true, Cidr.parse("::1").contains("0:0:0:0:0:0:0:1"));
        assertEquals(false, Cidr.parse("::1").contains("::2"));
    }
}
