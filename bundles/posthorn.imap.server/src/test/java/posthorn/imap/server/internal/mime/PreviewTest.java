package posthorn.imap.server.internal.mime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
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

    /**
     * Hostile HTML (hostile2): 60 KB of unclosed openers made the regular expressions that reduced
     * HTML scan to the end from each one, so one message's FETCH PREVIEW took 6 to 18 s of CPU here
     * (and ~2*10^9 steps for "&&&..." in the entity decoder). The reduction is one pass now; the bound is
     * generous (a linear pass takes milliseconds), the quadratic one took far longer.
     */
    @Test
    void hostileHtmlIsReducedInLinearTime() {
        List<String> bodies = List.of("<".repeat(60_000), "<!--".repeat(15_000), "<script>".repeat(7_500),
                "<script ".repeat(7_500), "&".repeat(60_000), "<style>".repeat(8_000) + "</style",
                "<p".repeat(30_000));
        String[] out = new String[bodies.size()];
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (int i = 0; i < bodies.size(); i++) {
                out[i] = preview("Subject: x\r\nContent-Type: text/html\r\n\r\n" + bodies.get(i) + "\r\n");
            }
        });
        for (String p : out) {
            assertTrue(p.codePointCount(0, p.length()) <= 200, p);
        }
        assertEquals("&".repeat(200), out[4]);
    }

    /** What the one-pass reduction does with tags the expressions handled, in the same way. */
    @ParameterizedTest
    @MethodSource("htmlCases")
    void htmlReduction(String html, String expected) {
        assertEquals(expected, Preview.fold(Preview.html(html)));
    }

    static Stream<Arguments> htmlCases() {
        return Stream.of(
                Arguments.of("a<br>b<BR/>c< p >d</P>e", "a b c d e"),
                Arguments.of("a<pre>b</pre>c<span>d</span>", "abcd"),
                Arguments.of("x<!-- hidden -->y<!-- open", "x y<!-- open"),
                Arguments.of("x<!-- a -- b -->y", "x y"),
                Arguments.of("<SCRIPT type=x>bad()</script >ok<style>p{}</STYLE>!", "ok !"),
                Arguments.of("<scripts>kept</scripts>", "kept"),
                Arguments.of("<script>never closed <b>bold</b>", "never closed bold"),
                Arguments.of("<title>T</title><h1>Head</h1><h7>x</h7>", "Head x"),
                Arguments.of("1 &lt; 2 &amp;&amp; 3 &gt; 2 &#x41;&#66; &bogus; &", "1 < 2 && 3 > 2 AB &bogus; &"),
                Arguments.of("a < b and c > d", "a d"),
                // U+0130 lower-cases to two chars with String.toLowerCase: indexes must still agree
                Arguments.of("\u0130\u0130<SCRIPT>x</SCRIPT>\u0130<b>y</b>", "\u0130\u0130 \u0130y"));
    }
}
