package posthorn.imap.server.internal.mime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.FetchAttribute;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.server.internal.MemoryStore;
import posthorn.imap.server.internal.fetch.FetchRenderer;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * ENVELOPE, BODY, BODYSTRUCTURE, RFC822.SIZE and body sections of the messages in
 * src/test/resources/mime, as the server's FETCH writes them for a message in a store, compared byte
 * for byte with what Dovecot 2.3 answered for them (tools/dovecot-mime-fixtures makes the .expected
 * files).
 */
class DovecotFixturesTest {
    static final String[] NAMES = {"addresses", "alternative", "eightbit", "emptybody", "garbage", "groupempty",
        "headeronly", "nested", "nobound", "oddaddr", "rfc2231", "rfc822top", "simple", "unterminated", "more",
        "badtypes", "deepnest", "deeprfc822"};

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (String name : NAMES) {
            byte[] expected = resource(name + ".expected");
            if (expected == null) {
                continue;
            }
            String text = new String(expected, StandardCharsets.ISO_8859_1);
            if (text.endsWith("\r\n")) {
                text = text.substring(0, text.length() - 2);
            }
            for (String record : text.split("(?:^|\r\n)>>> ")) {
                if (record.isEmpty()) {
                    continue;
                }
                int nl = record.indexOf("\r\n");
                String item = record.substring(0, nl);
                String data = record.substring(nl + 2);
                out.add(Arguments.of(name, item, data));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesDovecot(String name, String item, String expected) throws Exception {
        List<FetchAttribute> atts = new ArgReader(item.getBytes(StandardCharsets.US_ASCII)).fetchAttributes();
        MemoryStore store = new MemoryStore();
        store.deliver("fixture", resource(name + ".eml"));
        try (UserMail mail = store.open(new StoreUser("fixture", null, null, null));
             Mailbox box = mail.open("INBOX", true)) {
            box.sync();
            MessageMeta meta = box.messages().get(0);
            // The first response derives ENVELOPE and BODYSTRUCTURE from the text, the second has them
            // from the store's cache.
            assertEquals(expected, fetch(box, meta, atts), "parsed");
            assertEquals(expected, fetch(box, meta, atts), "cached");
        }
    }

    /** The production FETCH response for the message, without "* 1 FETCH (" and ")" CRLF. */
    private static String fetch(Mailbox box, MessageMeta meta, List<FetchAttribute> atts) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ResponseWriter w = new ResponseWriter(bytes);
        assertTrue(FetchRenderer.write(w, box, 1, meta, false, atts, new MimeCuts(MimeLimits.DEFAULTS)));
        w.flush();
        String response = bytes.toString(StandardCharsets.ISO_8859_1);
        String head = "* 1 FETCH (";
        String tail = ")\r\n";
        assertTrue(response.startsWith(head) && response.endsWith(tail), response);
        return response.substring(head.length(), response.length() - tail.length());
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = DovecotFixturesTest.class.getResourceAsStream("/mime/" + name)) {
            return in == null ? null : in.readAllBytes();
        }
    }
}
