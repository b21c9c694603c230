package posthorn.imap.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImapUrlTest {

    private static ImapUrl parse(String s) throws ProtocolException {
        return ImapUrl.parse(s, ImapUrl.DEFAULT_MAX_LENGTH, 100);
    }

    /** URL text, then: form, user, host, mailbox, uidvalidity, uid, section spec (null: none), offset, length. */
    static Stream<Arguments> good() {
        return Stream.of(
                // RFC 4469 section 6, CATENATE's example (absolute paths)
                Arguments.of("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER", ImapUrl.Form.PATH, null, null,
                        "Drafts", 385759045L, 20L, "HEADER", -1L, -1L),
                Arguments.of("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME", ImapUrl.Form.PATH, null, null,
                        "Drafts", 385759045L, 20L, "1.MIME", -1L, -1L),
                Arguments.of("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1", ImapUrl.Form.PATH, null, null,
                        "Drafts", 385759045L, 20L, "1", -1L, -1L),
                Arguments.of("/Drafts;UIDVALIDITY=385759045/;UID=30", ImapUrl.Form.PATH, null, null,
                        "Drafts", 385759045L, 30L, null, -1L, -1L),
                // RFC 5092 section 7 (and 6: PARTIAL)
                Arguments.of("imap://minbari.example.org/gray-council;UIDVALIDITY=385759045/;UID=20/;PARTIAL=0.1024",
                        ImapUrl.Form.ABSOLUTE, null, "minbari.example.org", "gray-council", 385759045L, 20L, null, 0L, 1024L),
                // RFC 5550 section 4's kind: a part, then a range of it
                Arguments.of("imap://joe@example.com/INBOX/;uid=20/;section=1.2/;partial=100.50",
                        ImapUrl.Form.ABSOLUTE, "joe", "example.com", "INBOX", 0L, 20L, "1.2", 100L, 50L),
                Arguments.of("imap://joe@example.com:143/INBOX/;UID=7/;PARTIAL=10", ImapUrl.Form.ABSOLUTE, "joe",
                        "example.com", "INBOX", 0L, 7L, null, 10L, -1L),
                // UTF-8 in the URL (RFC 5092 section 3.2), a space and a hierarchy
                Arguments.of("/%E6%97%A5%E6%9C%AC/gray%20council/;UID=1", ImapUrl.Form.PATH, null, null,
                        "日本/gray council", 0L, 1L, null, -1L, -1L),
                Arguments.of("imap://fred;AUTH=*@[::1]/INBOX/;UID=4294967295", ImapUrl.Form.ABSOLUTE, "fred", "[::1]",
                        "INBOX", 0L, 4294967295L, null, -1L, -1L),
                Arguments.of(";UID=5/;SECTION=HEADER.FIELDS%20(From%20To)", ImapUrl.Form.MESSAGE, null, null, null,
                        0L, 5L, "HEADER.FIELDS (From To)", -1L, -1L),
                Arguments.of(";uid=5/;section=2.TEXT/;partial=0.1", ImapUrl.Form.MESSAGE, null, null, null,
                        0L, 5L, "2.TEXT", 0L, 1L));
    }

    @ParameterizedTest
    @MethodSource("good")
    void reads(String text, ImapUrl.Form form, String user, String host, String mailbox, long uidValidity, long uid,
               String section, long offset, long length) throws ProtocolException {
        ImapUrl u = parse(text);
        assertEquals(form, u.form());
        assertEquals(user, u.user());
        assertEquals(host, u.host());
        assertEquals(mailbox, u.mailbox());
        assertEquals(uidValidity, u.uidValidity());
        assertEquals(uid, u.uid());
        assertEquals(section, u.section() == null ? null : u.section().spec());
        assertEquals(offset, u.partialOffset());
        assertEquals(length, u.partialLength());
        assertNull(u.access());
    }

    /** RFC 4467 section 10: GENURLAUTH's rump, then URLFETCH's full URL. */
    @Test
    void urlauthExample() throws ProtocolException {
        ImapUrl rump = parse("imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred");
        assertEquals("submit+fred", rump.access());
        assertNull(rump.mechanism());
        assertEquals("imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred", rump.rump());
        ImapUrl full = parse("imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred:internal:"
                + "91354a473744909de610943775f92038");
        assertEquals("INTERNAL", full.mechanism());
        assertEquals("91354a473744909de610943775f92038", full.token());
        assertEquals(rump.rump(), full.rump());
        assertEquals(List.of(1, 2), full.section().part());
        ImapUrl expiring = parse("imap://joe@example.com/INBOX/;uid=20;expire=2030-01-02T03:04:05Z;urlauth=anonymous");
        assertEquals(Instant.parse("2030-01-02T03:04:05Z"), expiring.expire());
        assertEquals("anonymous", expiring.access());
        assertEquals("user+j%C3%B6", parse("imap://a@b/INBOX/;UID=1;URLAUTH=user+j%C3%B6").rump()
                .substring("imap://a@b/INBOX/;UID=1;URLAUTH=".length()));
        assertEquals("user+jö", parse("imap://a@b/INBOX/;UID=1;URLAUTH=user+j%C3%B6").access());
    }

    /** Hostile and malformed text: every one is refused, none throws anything but ProtocolException. */
    @ParameterizedTest
    @ValueSource(strings = {
            "", "http://example.com/INBOX/;UID=1", "imap://example.com", "imap://example.com/INBOX",
            "imap://example.com/INBOX;UID=1", "/INBOX/;UID=0", "/INBOX/;UID=4294967296", "/INBOX/;UID=01",
            "/INBOX/;UID=99999999999999999999", "/INBOX/;UID=1/;PARTIAL=4294967296.1", "/INBOX/;UID=1/;PARTIAL=0.0",
            "/INBOX/;UID=1/;PARTIAL=0.4294967296", "/INBOX/;UID=1/;PARTIAL=.5",
            "/IN%ZZBOX/;UID=1", "/INBOX%/;UID=1", "/INBOX%4/;UID=1", "/%C3%28/;UID=1", "/IN%00BOX/;UID=1",
            "/IN%0D%0ABOX/;UID=1", "/IN BOX/;UID=1", "/IN\"BOX/;UID=1", "/INBOX/;UID=1 ", "/;UID=1",
            "/INBOX/;UID=1/;SECTION=", "/INBOX/;UID=1/;SECTION=BOGUS", "/INBOX/;UID=1/;SECTION=0",
            "/INBOX/;UID=1/;SECTION=1.MIME/", "/INBOX/;UID=1/;SECTION=HEADER.FIELDS%20(From", "/INBOX/;UID=1;junk",
            "/INBOX/;UID=1;URLAUTH=anonymous", ";UID=1;URLAUTH=authuser", "imap://a@b/INBOX/;UID=1;URLAUTH=root",
            "imap://a@b/INBOX/;UID=1;URLAUTH=user+", "imap://a@b/INBOX/;UID=1;URLAUTH=authuser:INTERNAL:abc",
            "imap://a@b/INBOX/;UID=1;URLAUTH=authuser:INTERNAL", "imap://a@b/INBOX/;UID=1;EXPIRE=tomorrow;URLAUTH=authuser",
            "imap://a@b/INBOX/;UID=1;EXPIRE=2030-01-02T03:04:05Z", "imap://a@b:99999/INBOX/;UID=1",
            "imap://a@b_c/INBOX/;UID=1", "imap://a@/INBOX/;UID=1", "imap://;AUTH=@host/INBOX/;UID=1",
            "imap://a@b/INBOX/;UID=1/;SECTION=1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24.25.26."
                    + "27.28.29.30.31.32.33.34.35.36.37.38.39.40.41.42.43.44.45.46.47.48.49.50.51.52.53.54.55.56.57.58."
                    + "59.60.61.62.63.64.65.66.67.68.69.70.71.72.73.74.75.76.77.78.79.80.81.82.83.84.85.86.87.88.89.90."
                    + "91.92.93.94.95.96.97.98.99.100.101"})
    void refuses(String text) {
        assertThrows(ProtocolException.class, () -> parse(text), text);
    }

    @Test
    void lengthIsBounded() throws ProtocolException {
        String name = "a".repeat(ImapUrl.DEFAULT_MAX_LENGTH);
        ProtocolException e = assertThrows(ProtocolException.class, () -> parse("/" + name + "/;UID=1"));
        assertTrue(e.getMessage().contains("longer than"), e.getMessage());
        assertEquals("a".repeat(100), ImapUrl.parse("/" + "a".repeat(100) + "/;UID=1", 108, 1).mailbox());
    }

    @Test
    void sectionDepthIsBounded() throws ProtocolException {
        assertEquals(List.of(1, 2, 3), ImapUrl.parse("/A/;UID=1/;SECTION=1.2.3", 100, 3).section().part());
        assertThrows(ProtocolException.class, () -> ImapUrl.parse("/A/;UID=1/;SECTION=1.2.3.4", 100, 3));
    }

    @Test
    void encodesMailboxesAsUtf8() throws ProtocolException {
        String name = "日本/gray council;x%";
        String enc = ImapUrl.encodeMailbox(name);
        assertEquals("%E6%97%A5%E6%9C%AC/gray%20council%3Bx%25", enc);
        assertEquals(name, parse("/" + enc + "/;UID=1").mailbox());
    }
}
