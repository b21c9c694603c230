package posthorn.store.fts.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** What of a message is indexed, and decoded how: the text SEARCH would compare, folded. */
class MessageTextTest {
    static final MessageText.Limits LIMITS = new MessageText.Limits(4_000_000, 1000, 50);

    static MessageText read(String message) throws IOException {
        return MessageText.read(new ByteArrayInputStream(message.replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1)),
                LIMITS);
    }

    /** Whether a body holds the text as a lookup normalises it (Fold.fold: i;unicode-casemap). */
    static boolean bodyHas(MessageText t, String s) {
        String folded = Fold.fold(s);
        return t.bodies.stream().anyMatch(b -> b.contains(folded));
    }

    static boolean headHas(MessageText t, String s) {
        String folded = Fold.fold(s);
        return t.heads.stream().anyMatch(h -> h.contains(folded));
    }

    @Test
    void quotedPrintableAndLatin1AreDecoded() throws IOException {
        MessageText t = read("Subject: x\nContent-Type: text/plain; charset=iso-8859-1\n"
                + "Content-Transfer-Encoding: quoted-printable\n\nGr=FC=DFe aus K=F6ln=\n, Stra=DFe\n");
        assertTrue(bodyHas(t, "grüße aus köln, straße"), t.bodies.toString());
        assertFalse(t.partial);
    }

    @Test
    void base64TextAttachmentIsIndexedAndImagesAreNot() throws IOException {
        String text = java.util.Base64.getMimeEncoder().encodeToString("Attached quuxfrobnicator notes".getBytes());
        String image = java.util.Base64.getMimeEncoder().encodeToString("imagebytesxyzzy".getBytes());
        MessageText t = read("Subject: att\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
                + "Content-Type: text/plain\n\nHello\n--b\nContent-Type: text/plain; name=notes.txt\n"
                + "Content-Disposition: attachment\nContent-Transfer-Encoding: base64\n\n" + text + "\n--b\n"
                + "Content-Type: image/png\nContent-Transfer-Encoding: base64\n\n" + image + "\n--b--\n");
        assertTrue(bodyHas(t, "attached quuxfrobnicator notes"), t.bodies.toString());
        assertFalse(bodyHas(t, "xyzzy"), "an image is not text, as the server's SEARCH does not read it");
    }

    @Test
    void encodedWordsInHeadersAreDecodedAsTheServerDoes() throws IOException {
        MessageText t = read("From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.org>\n"
                + "Subject: =?iso-8859-1?q?Caf=E9_cr=E8me?=\n\nbody\n");
        assertTrue(headHas(t, "subject: café crème"), t.heads.toString());
        assertTrue(headHas(t, "jürgen"), t.heads.toString());
    }

    @Test
    void anUnknownCharsetIsReadAsUtf8LikeTheServer() throws IOException {
        MessageText t = MessageText.read(new ByteArrayInputStream(("Subject: x\r\nContent-Type: text/plain;"
                + " charset=x-no-such-charset\r\n\r\nna\u00efve text\r\n").getBytes(StandardCharsets.UTF_8)), LIMITS);
        assertTrue(bodyHas(t, "naïve text"), t.bodies.toString());
    }

    @Test
    void caseIsFoldedWithFinalSigmaAsSigma() throws IOException {
        MessageText t = read("Subject: x\nContent-Type: text/plain; charset=utf-8\n\nQUUX ΟΔΟΣ\n".replace("\n", "\n"));
        // The source is Latin-1 bytes of a Java string here; use UTF-8 for the Greek.
        t = MessageText.read(new ByteArrayInputStream("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nQUUX ΟΔΟΣ\r\n"
                .getBytes(StandardCharsets.UTF_8)), LIMITS);
        assertTrue(bodyHas(t, "quux οδοσ"), t.bodies.toString());
        assertTrue(bodyHas(t, "quux οδος"), "final sigma in the needle: " + t.bodies);
    }

    @Test
    void squeezedHeaderJoinsWhatEnvelopeJoins() throws IOException {
        MessageText t = read("From: \"Smith, \\\"J\" <jo (comment) hn@exa mple.org>\n\nx\n");
        assertTrue(headHas(t, "john@example.org"), t.heads.toString());
    }

    @Test
    void tenThousandPartsAreCutShortAndMarkedPartial() throws IOException {
        StringBuilder m = new StringBuilder("Subject: many\nContent-Type: multipart/mixed; boundary=b\n\n");
        for (int i = 0; i < 10_000; i++) {
            m.append("--b\nContent-Type: text/plain\n\npart ").append(i).append('\n');
        }
        m.append("--b--\n");
        MessageText t = read(m.toString());
        assertTrue(t.partial);
        assertTrue(t.cut.contains("parts"), t.cut);
        assertTrue(t.bodies.size() <= 1000);
    }

    @Test
    void deepNestingIsCutShortWithoutOverflowingTheStack() throws IOException {
        StringBuilder m = new StringBuilder("Subject: deep\n");
        for (int i = 0; i < 20_000; i++) {
            m.append("Content-Type: multipart/mixed; boundary=b").append(i).append("\n\n--b").append(i).append('\n');
        }
        m.append("Content-Type: text/plain\n\ninnermost\n");
        MessageText t = read(m.toString());
        assertTrue(t.partial);
        assertTrue(t.cut.contains("levels"), t.cut);
    }

    @Test
    void aHugeMessageIsIndexedUpToTheBoundAndMarkedPartial() throws IOException {
        StringBuilder m = new StringBuilder("Subject: huge\n\n");
        String line = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor\n";
        while (m.length() < 6_000_000) {
            m.append(line);
        }
        m.append("needleattheend\n");
        MessageText t = read(m.toString());
        assertTrue(t.partial);
        assertFalse(bodyHas(t, "needleattheend"));
        assertEquals(1, t.bodies.size());
    }
}
