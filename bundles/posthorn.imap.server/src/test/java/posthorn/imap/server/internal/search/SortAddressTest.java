package posthorn.imap.server.internal.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Set;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import posthorn.imap.server.internal.mime.MimePart;
import posthorn.store.api.MessageMeta;

/**
 * SORT FROM/TO/CC keys (RFC 5256 3: the addr-mailbox of the first address as ENVELOPE gives it): for
 * group syntax that is the group name, as Dovecot 2.3 sorts (issue 11, item 6); comments and display
 * names do not count.
 */
class SortAddressTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "user2: blah@domain1.org;|user2",
        "user1: ;, b@x.org|user1",
        "undisclosed-recipients:;|undisclosed-recipients",
        "\"Z Name\" <Alpha@x.org>|alpha",
        "<user-from (comment)@ (comment) domain.org>|user-from",
        "(c) Bob (d) <bob@x.org>, a@x.org|bob",
        "group: (c) a (d) @ x.org, b@y.org; c@z.org|group",
    })
    void ccKeyIsFirstAddressMailbox(String cc, String key) {
        byte[] b = ("From: f@x.org\r\nTo: t@x.org\r\nCc: " + cc + "\r\nSubject: s\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        SortKeys d = SortKeys.of(new MessageMeta(1, Set.of(), b.length, Instant.ofEpochSecond(1), false),
                MimePart.parseHeader(b, b.length));
        assertEquals(key, d.cc());
    }
}
