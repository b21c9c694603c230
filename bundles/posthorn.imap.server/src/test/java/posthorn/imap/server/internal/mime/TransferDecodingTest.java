package posthorn.imap.server.internal.mime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TransferDecodingTest {

    static Stream<Arguments> decodings() {
        return Stream.of(
                // identity encodings keep every byte, CR, LF and NUL included
                Arguments.of("7bit", "a\r\nb", "a\r\nb"),
                Arguments.of("8bit", "caf\u00e9\r\n", "caf\u00e9\r\n"),
                Arguments.of("binary", "x\0y", "x\0y"),
                // base64: line breaks and characters outside the alphabet are skipped
                Arguments.of("base64", "aGkAdGhl\r\ncmU=\r\n", "hi\0there"),
                Arguments.of("base64", "aGkA*dGhl!cmU=", "hi\0there"),
                Arguments.of("base64", "", ""),
                // a broken tail: what decodes is kept
                Arguments.of("base64", "aGVsbG8=garbage===", "hello"),
                // quoted-printable: escapes, soft line breaks, hard line breaks as CRLF
                Arguments.of("quoted-printable", "caf=C3=A9 =3D soft=\r\nbreak\r\nnext", "caf\u00c3\u00a9 = softbreak\r\nnext"),
                Arguments.of("quoted-printable", "=00=FF", "\0\u00ff"),
                // a broken escape is kept as written
                Arguments.of("quoted-printable", "50=% off", "50=% off"));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("decodings")
    void decodes(String encoding, String body, String expected) throws Exception {
        byte[] got = TransferDecoding.decode(body.getBytes(StandardCharsets.ISO_8859_1), encoding);
        assertEquals(expected, new String(got, StandardCharsets.ISO_8859_1));
    }

    @Test
    void unknownEncodingsAreRefused() {
        for (String cte : List.of("x-uuencode", "uuencode", "7-bit", "base-64")) {
            TransferDecoding.UnknownCteException e = assertThrows(TransferDecoding.UnknownCteException.class,
                    () -> TransferDecoding.decode(new byte[] {'a'}, cte));
            assertEquals("Unknown Content-Transfer-Encoding " + cte, e.getMessage());
        }
    }

    private static final String MESSAGE = """
            Subject: parts\r
            MIME-Version: 1.0\r
            Content-Type: multipart/mixed; boundary=b\r
            \r
            --b\r
            Content-Transfer-Encoding: BASE64\r
            \r
            AAEC\r
            --b\r
            Content-Type: message/rfc822\r
            \r
            Subject: inner\r
            Content-Transfer-Encoding: quoted-printable (comment)\r
            \r
            a=3Db\r
            --b\r
            Content-Type: text/plain\r
            \r
            plain\r
            --b--\r
            """;

    @Test
    void binarySectionsOfAMultipart() throws Exception {
        byte[] m = MESSAGE.getBytes(StandardCharsets.ISO_8859_1);
        MimePart root = MimePart.parse(m);
        assertEquals("base64", TransferDecoding.encoding(root.find(List.of(1))));
        assertArrayEquals(new byte[] {0, 1, 2}, TransferDecoding.binarySection(m, root, List.of(1)));
        assertEquals("a=b", text(TransferDecoding.binarySection(m, root, List.of(2, 1))));
        assertEquals("plain", text(TransferDecoding.binarySection(m, root, List.of(3))));
        assertNull(TransferDecoding.binarySection(m, root, List.of(4)));
        // the whole message: every leaf part decoded, its Content-Transfer-Encoding field moved to the
        // end of its header as binary (Dovecot 2.3); multipart and message headers and 7bit parts as they are
        assertEquals(MESSAGE.replace("Content-Transfer-Encoding: BASE64\r\n\r\nAAEC\r\n",
                        "Content-Transfer-Encoding: binary\r\n\r\n\0\1\2\r\n")
                .replace("Subject: inner\r\nContent-Transfer-Encoding: quoted-printable (comment)\r\n\r\na=3Db\r\n",
                        "Subject: inner\r\nContent-Transfer-Encoding: binary\r\n\r\na=b\r\n"),
                text(TransferDecoding.binarySection(m, root, List.of())));
        assertEquals(TransferDecoding.binarySection(m, root, List.of()).length,
                TransferDecoding.binarySize(m, root, List.of()));
        assertEquals(3, TransferDecoding.binarySize(m, root, List.of(1)));
        assertEquals(-1, TransferDecoding.binarySize(m, root, List.of(4)));
        assertEquals("7bit", TransferDecoding.encoding(root.find(List.of(3))));
    }

    @Test
    void binaryOfAWholeSinglePartMessageDecodesItsBody() throws Exception {
        String header = "Subject: x\r\nContent-Transfer-Encoding: base64\r\n\r\n";
        byte[] m = (header + "AGE=\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] got = TransferDecoding.binarySection(m, MimePart.parse(m), List.of());
        assertEquals("Subject: x\r\nContent-Transfer-Encoding: binary\r\n\r\n\0a", text(got));
        assertEquals(got.length, TransferDecoding.binarySize(m, MimePart.parse(m), List.of()));
        assertArrayEquals(new byte[] {0, 'a'}, TransferDecoding.binarySection(m, MimePart.parse(m), List.of(1)));
    }

    @Test
    void wholeMessageRewritesTheFieldWhereverItIsAndKeepsLineEnds() throws Exception {
        // folded field first, LF line ends (as an MDA stores it): the field goes, the new one ends in LF
        String m = "Content-Transfer-Encoding:\n quoted-printable\nSubject: q\n\nx=3Dy=\nz\n";
        byte[] b = m.getBytes(StandardCharsets.ISO_8859_1);
        // (a hard line break of quoted-printable decodes to CRLF, the canonical line end: RFC 2045 6.7)
        assertEquals("Subject: q\nContent-Transfer-Encoding: binary\n\nx=yz\r\n",
                text(TransferDecoding.binarySection(b, MimePart.parse(b), List.of())));
        // a header that ends without its line end (no body): the field still goes, nothing is glued
        byte[] h = "Subject: h\r\nContent-Transfer-Encoding: base64".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals("Subject: h\r\nContent-Transfer-Encoding: binary\r\n",
                text(TransferDecoding.binarySection(h, MimePart.parse(h), List.of())));
        // identity encodings: the message as it is
        String seven = "Subject: s\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\u00e9\r\n";
        byte[] s = seven.getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(seven, text(TransferDecoding.binarySection(s, MimePart.parse(s), List.of())));
    }

    @Test
    void wholeMessageWithAPartOfUnknownEncodingIsRefused() throws Exception {
        String m = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + "aGk=\r\n--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 a\r\nend\r\n--b--\r\n";
        byte[] b = m.getBytes(StandardCharsets.ISO_8859_1);
        MimePart root = MimePart.parse(b);
        assertThrows(TransferDecoding.UnknownCteException.class, () -> TransferDecoding.binarySection(b, root, List.of()));
        assertThrows(TransferDecoding.UnknownCteException.class, () -> TransferDecoding.binarySize(b, root, List.of()));
        assertThrows(TransferDecoding.UnknownCteException.class, () -> TransferDecoding.binarySection(b, root, List.of(2)));
        // the sibling that can be decoded still is (Dovecot 2.3.19 refuses its BINARY.SIZE too: a bug)
        assertEquals("hi", text(TransferDecoding.binarySection(b, root, List.of(1))));
        assertEquals(2L, TransferDecoding.binarySize(b, root, List.of(1)));
    }

    @Test
    void aMultipartOrMessagePartIsConvertedInside() throws Exception {
        String m = "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n"
                + "--i\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n--i--\r\n"
                + "--o\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=41\r\n"
                + "--o--\r\n";
        byte[] b = m.getBytes(StandardCharsets.ISO_8859_1);
        MimePart root = MimePart.parse(b);
        // BINARY[1]: the multipart's body (not its header), its leaf decoded
        // (up to the CRLF before the outer delimiter, which is the delimiter's: RFC 2046 5.1.1)
        assertEquals("--i\r\nContent-Transfer-Encoding: binary\r\n\r\nhi\r\n--i--",
                text(TransferDecoding.binarySection(b, root, List.of(1))));
        // BINARY[2]: the encapsulated message, converted as a whole message is
        assertEquals("Subject: in\r\nContent-Transfer-Encoding: binary\r\n\r\nA",
                text(TransferDecoding.binarySection(b, root, List.of(2))));
        assertEquals(TransferDecoding.binarySection(b, root, List.of(2)).length,
                TransferDecoding.binarySize(b, root, List.of(2)));
    }

    @Test
    void partialKeepsOnlyItsWindowOfTheDecodedData() throws Exception {
        byte[] m = MESSAGE.getBytes(StandardCharsets.ISO_8859_1);
        MimePart root = MimePart.parse(m);
        for (List<Integer> path : List.of(List.<Integer>of(), List.of(1), List.of(2), List.of(2, 1))) {
            byte[] whole = TransferDecoding.binarySection(m, root, path);
            for (long[] w : new long[][] {{0, 1}, {0, whole.length}, {2, 5}, {whole.length - 1, 10},
                    {whole.length, 3}, {whole.length + 7, 3}, {1, Long.MAX_VALUE}}) {
                int from = (int) Math.min(w[0], whole.length);
                int to = (int) Math.min(from + Math.min(w[1], Integer.MAX_VALUE), whole.length);
                assertArrayEquals(java.util.Arrays.copyOfRange(whole, from, to),
                        TransferDecoding.binaryPartial(m, root, path, w[0], w[1]), path + " " + w[0] + "." + w[1]);
            }
        }
        assertNull(TransferDecoding.binaryPartial(m, root, List.of(9), 0, 4));
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }
}
