package posthorn.imap.server.internal.mime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** PREVIEW text (RFC 8970 3.1) from the first text part, decoded. */
class PreviewTest {

    private static String preview(String message) {
        byte[] m = message.getBytes(StandardCharsets.ISO_8859_1);
        return Preview.of(m, MimePart.parse(m));
    }

    static Stream<Arguments> messages() {
        return Stream.of(
                // RFC 8970 5's example answer, from a plain message
                Arguments.of("Subject: x\r\n\r\nPreview text!\r\n", "Preview text!"),
                Arguments.of("Subject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
                        + "Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe,=\r\n Welt\r\n", "Grüße, Welt"),
                Arguments.of("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                        + "R3LDvMOfZSBhdXMgQmVybGlu\r\n", "Grüße aus Berlin"),
                Arguments.of("Subject: x\r\nContent-Type: text/html\r\n\r\n<html><head><title>T</title><style>p{}</style></head>"
                        + "<body><p>One&nbsp;&amp;&#32;two</p><script>x()</script><div>three &lt;4&gt;</div></body></html>\r\n",
                        "One & two three <4>"),
                Arguments.of("Subject: x\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
                        + "Content-Type: text/html\r\n\r\n<b>rich</b>\r\n--b\r\nContent-Type: text/plain\r\n\r\nplain\r\n--b--\r\n", "plain"),
                Arguments.of("Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                        + "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nattached\r\n--b\r\n"
                        + "Content-Type: text/plain\r\n\r\nthe text\r\n--b--\r\n", "the text"),
                Arguments.of("Subject: x\r\n\r\nOn Monday Bob wrote:\r\n> quoted\r\n>> more\r\nMy answer\r\n",
                        "On Monday Bob wrote: My answer"),
                Arguments.of("Subject: x\r\nContent-Type: image/png\r\n\r\n\u0089PNG\r\n", ""),
                Arguments.of("Subject: x\r\nContent-Type: text/plain; charset=no-such-charset\r\n\r\nplain ascii\r\n", "plain ascii"),
                Arguments.of("Subject: x\r\nContent-Transfer-Encoding: x-unknown\r\n\r\nabc\r\n", ""));
    }

    @ParameterizedTest
    @MethodSource("messages")
    void previews(String message, String expected) {
        assertEquals(expected, preview(message));
    }

    /** At most 200 characters (RFC 8970 3.1's SHOULD), counted in code points, never a surrogate half. */
    @Test
    void cutAt200Characters() {
        String emoji = "\uD83D\uDE00";
        String body = "a".repeat(199) + emoji + "tail";
        byte[] m = ("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
                .getBytes(StandardCharsets.UTF_8);
        String p = Preview.of(m, MimePart.parse(m));
        assertEquals(200, p.codePointCount(0, p.length()));
        assertTrue(p.endsWith(emoji), p);
        assertEquals("a".repeat(200), preview("Subject: x\r\n\r\n" + "a".repeat(5000) + "\r\n"));
    }

    /** Hostile: deep nesting and a huge part stay bounded (the parse's MimeLimits, the 64 KB read). */
    @Test
    void hostileMessagesStayBounded() {
        StringBuilder deep = new StringBuilder("Subject: x\r\n");
        for (int i = 0; i < 500; i++) {
            deep.append("Content-Type: multipart/mixed; boundary=b").append(i).append("\r\n\r\n--b").append(i).append("\r\n");
        }
        deep.append("Content-Type: text/plain\r\n\r\ndeep\r\n");
        String p = preview(deep.toString());
        assertTrue(p.length() <= 200, p);
        String huge = "Subject: x\r\nContent-Type: text/html\r\n\r\n<" + "x".repeat(2_000_000) + "\r\n";
        assertEquals("", preview(huge).replace("<", "").replace("x", "").strip());
    }
}
