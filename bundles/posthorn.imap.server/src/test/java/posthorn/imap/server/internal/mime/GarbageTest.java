package posthorn.imap.server.internal.mime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import posthorn.imap.protocol.Section;
import posthorn.imap.server.internal.fetch.MessageSections;
import posthorn.imap.server.internal.search.TextScanner;

/** No bytes, however broken, make FETCH structure, sections or the SEARCH scanner throw. */
class GarbageTest {
    private static final String[] PIECES = {"\r\n", "\n", "--b\r\n", "--b--\r\n", "Content-Type: multipart/mixed; boundary=b\r\n",
        "Content-Type: message/rfc822\r\n", "Content-Type: text/plain; charset=\"x\r\n", "From: \"unterminated\r\n",
        "To: a:b:c;;,,<<>>@@\r\n", "Subject: =?utf-8?q?broken\r\n", " folded\r\n", "\u0000\u00ff", "(((((", "\"\\",
        "Content-Transfer-Encoding: base64\r\n", "=ZZ==\r\n", "[", "Date: 99 Foo 1\r\n", ":", "\r\n\r\n"};

    @Test
    void randomMessagesNeverBreakAnything() throws IOException {
        Random r = new Random(42);
        for (int i = 0; i < 3000; i++) {
            byte[] m = message(r);
            MimePart root = MimePart.parse(m);
            byte[] bs = Structure.bodyStructure(m, root, true);
            byte[] env = Structure.envelope(root.header());
            assertTrue(bs.length > 0 && bs[0] == '(' && env[0] == '(');
            for (List<Integer> path : List.of(List.<Integer>of(), List.of(1), List.of(1, 1), List.of(2, 1, 3))) {
                for (Section.Kind kind : Section.Kind.values()) {
                    if (kind == Section.Kind.MIME && path.isEmpty()) {
                        continue;
                    }
                    MessageSections.extract(m, root, new Section(path, kind, kind.name().startsWith("HEADER_")
                            ? List.of("From") : List.of()));
                }
            }
            TextScanner.scan(new ByteArrayInputStream(m), MimeLimits.DEFAULTS, List.of(TextScanner.fold("zz")), new boolean[1], List.of(TextScanner.fold("from")), new boolean[1]);
        }
    }

    /** Up to 40 pieces of MIME and header syntax, and random bytes, in random order. */
    static byte[] message(Random r) {
        StringBuilder b = new StringBuilder();
        int n = r.nextInt(40);
        for (int k = 0; k < n; k++) {
            b.append(r.nextInt(4) == 0 ? String.valueOf((char) r.nextInt(256)) : PIECES[r.nextInt(PIECES.length)]);
        }
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void deepNestingIsCut() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            b.append("Content-Type: message/rfc822\r\n\r\n");
        }
        byte[] m = b.toString().getBytes(StandardCharsets.ISO_8859_1);
        assertTrue(Structure.bodyStructure(m, MimePart.parse(m), true).length > 0);
    }
}
