package posthorn.auth.userdb.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import posthorn.auth.api.UserRecord;

class UserdbParserTest {

    @Test
    void commentsBlankLinesAndUidMapsAreNotAccounts() {
        var r = UserdbParser.parse("t", """
                # a comment

                alice\tuid=1|gid=2
                1=\talice
                   \t
                """);
        assertEquals(List.of("alice"), List.copyOf(r.entries().keySet()));
        assertEquals(List.of(), r.badLines());
    }

    @Test
    void valuesMayHoldEqualsAndTabsButPipesSeparate() {
        // userdb(8) accepts '=' and tabs in values and refuses '|': a line splits at its first tab,
        // a field at its first '='
        var e = UserdbParser.parse("t", "frank\thome=/srv/a=b|gecos=tab\there|options=x=1,y=2\n")
                .entries().get("frank");
        assertEquals(Path.of("/srv/a=b"), e.record().home());
        assertEquals(Map.of("gecos", "tab\there", "options", "x=1,y=2"), e.record().options());
    }

    @Test
    void mapsCourierFieldsToTheRecordAndKeepsPasswordsOutOfOptions() {
        var e = UserdbParser.parse("t", "a@example.com\tuid=1000|gid=100|home=/h|mail=/h/Md|quota=5S|"
                + "shell=/bin/false|systempw=$1$x$y|imappw=z|pop3pw=w|hmac-md5pw=" + "ab".repeat(32) + "\n")
                .entries().get("a@example.com");
        assertEquals(new UserRecord("a@example.com", Path.of("/h"), Path.of("/h/Md"), 1000, 100, "5S",
                Map.of("shell", "/bin/false")), e.record());
        assertEquals("z", e.imapPasswordHash());
    }

    @Test
    void missingNumbersAndPathsAreAbsentNotZero() {
        var rec = UserdbParser.parse("t", "x\tshell=/bin/sh\n").entries().get("x").record();
        assertEquals(-1, rec.uid());
        assertEquals(-1, rec.gid());
        assertNull(rec.home());
        assertNull(rec.maildir());
        assertNull(rec.quota());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "nobody uid=1;no tab after the name",
            "\\tuid=1;empty name",
            "bad\\tuid=one;uid is not a number",
            "bad\\tgid=-4;gid is negative",
            "bad\\t=x|uid=1;a field has no name",
            "bad\\thmac-md5pw=abc;hmac-md5pw is not 32 hex bytes",
    })
    void malformedLinesAreReportedByNumberAndReason(String line, String reason) {
        var r = UserdbParser.parse("f", "# first\nok\tuid=1\n" + line.replace("\\t", "\t") + "\nok2\tuid=2\n");
        assertEquals(List.of("ok", "ok2"), List.copyOf(r.entries().keySet()));
        assertEquals(1, r.badLines().size());
        assertEquals(3, r.badLines().get(0).line());
        assertEquals(reason, r.badLines().get(0).reason());
        assertEquals("f:3 (" + reason + ")", r.badLines().get(0).toString());
    }

    @Test
    void aReportNeverQuotesTheLine() {
        var r = UserdbParser.parse("f", "bad\tuid=x|systempw=$6$secretsalt$secrethash\n");
        String report = r.badLines().toString();
        assertTrue(!report.contains("secret") && !report.contains("$6$"), report);
        assertEquals("bad", r.badLines().get(0).name());
    }

    @Test
    void theFirstLineForANameWins() {
        var r = UserdbParser.parse("f", "a\tuid=1\na\tuid=2\n");
        assertEquals(1, r.entries().get("a").record().uid());
        assertEquals("duplicate account name", r.badLines().get(0).reason());
    }

    @Test
    void invalidUtf8SpoilsOnlyItsLine() {
        byte[] bytes = "a\tuid=1\nb\thome=/\u00e9\nc\tuid=3\n".getBytes(StandardCharsets.ISO_8859_1);
        var r = UserdbParser.parse(List.of(new UserdbParser.Source("f", bytes)));
        assertEquals(List.of("a", "c"), List.copyOf(r.entries().keySet()));
        assertEquals("not UTF-8", r.badLines().get(0).reason());
        assertEquals(2, r.badLines().get(0).line());
    }

    @Test
    void crlfLineEndsDoNotLeakIntoValues() {
        var r = UserdbParser.parse("f", "a\thome=/h\r\n");
        assertEquals(Path.of("/h"), r.entries().get("a").record().home());
    }

    @Test
    void unicodeNamesAsUserdbWritesThem() {
        var r = UserdbParser.parse("f", "postmaster@test.\u0438\u0441\u043f\u044b\u0442\u0430\u043d\u0438\u0435\tuid=999\n");
        assertEquals(999, r.entries().get("postmaster@test.\u0438\u0441\u043f\u044b\u0442\u0430\u043d\u0438\u0435")
                .record().uid());
    }
}
