package posthorn.imap.server.internal.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.SequenceSet;

/** Search-key grammar (RFC 3501 6.4.4, 9), table-driven, and base subjects (RFC 5256 2.1). */
class SearchParserTest {

    static SearchKey parse(String text) throws ProtocolException {
        ArgReader r = new ArgReader(text.getBytes(StandardCharsets.UTF_8));
        SearchKey k = new SearchParser(r, StandardCharsets.UTF_8).keys();
        r.end();
        return k;
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "ALL", "ANSWERED", "BCC x", "BEFORE 1-Feb-1994", "BODY \"a b\"", "CC x", "DELETED", "DRAFT", "FLAGGED",
        "FROM \"Smith\"", "HEADER X-Foo bar", "HEADER X-Foo \"\"", "KEYWORD $Junk", "LARGER 10", "NEW", "NOT SEEN",
        "OLD", "ON 1-Feb-1994", "OR SEEN FLAGGED", "RECENT", "SEEN", "SENTBEFORE \"1-Feb-1994\"", "SENTON 1-Feb-1994",
        "SENTSINCE 1-Feb-1994", "SINCE 1-Feb-1994", "SMALLER 5", "SUBJECT hi", "TEXT {3}\r\nabc", "TO x", "UID 1:*",
        "UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED", "UNKEYWORD foo", "UNSEEN", "1,3:5", "*",
        "FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"", "(OR (SEEN) DRAFT) (ALL)", "OR (FROM a TO b) NOT (1:2 UID 5)",
        "seen not deleted", "$", "UID $", "NOT $ UID $"})
    void acceptsEveryKey(String text) throws ProtocolException {
        parse(text);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "FROBNICATE|Unknown search key FROBNICATE",
        "FROM|Missing argument",
        "BEFORE 31-Foo-2020|Invalid month",
        "OR SEEN|Missing argument",
        "(SEEN|Missing )",
        "LARGER x|Expected number",
        "UID $:3|Invalid sequence set $:3",
        "NOT|Missing argument",
        "0|Invalid sequence number 0 in 0",
        // RFC 5032 4: OLDER/YOUNGER take an interval, 1*DIGIT
        "OLDER x|Expected number",
        "YOUNGER|Missing argument"})
    void refusesMalformedKeysWithAReason(String text, String reason) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> parse(text));
        assertTrue(e.getMessage().startsWith(reason.substring(0, Math.min(reason.length(), 12))), e.getMessage());
    }

    @Test
    void savedResultIsASetKey() throws ProtocolException {
        // RFC 5182: "$" alone, with or without UID, names the saved result
        assertEquals(new SearchKey.Set(SequenceSet.saved(), false), parse("$"));
        assertEquals(new SearchKey.Set(SequenceSet.saved(), true), parse("UID $"));
    }

    @Test
    void withinKeysAreSecondsAgainstTheInternalDate() throws ProtocolException {
        // RFC 5032 3: YOUNGER n, OLDER n in seconds (259200: the last three days)
        assertEquals(new SearchKey.Within(259200, false), parse("YOUNGER 259200"));
        assertEquals(new SearchKey.And(List.of(new SearchKey.Within(3600, true), new SearchKey.Flag("\\Seen", false))),
                parse("older 3600 UNSEEN"));
    }

    @Test
    void buildsTheRfcExample() throws ProtocolException {
        // RFC 3501 6.4.4: SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"
        SearchKey k = parse("FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"");
        assertEquals(new SearchKey.And(List.of(new SearchKey.Flag("\\Flagged", true),
                new SearchKey.Date(SearchKey.DateOp.SINCE, LocalDate.of(1994, 2, 1), false),
                new SearchKey.Not(new SearchKey.Address("FROM", "Smith")))), k);
    }

    @Test
    void decodesStringsInTheNamedCharset() throws ProtocolException {
        byte[] line = "SUBJECT {4}\r\nK\u00f6ln".getBytes(StandardCharsets.ISO_8859_1);
        ArgReader r = new ArgReader(line);
        SearchKey k = new SearchParser(r, StandardCharsets.ISO_8859_1).keys();
        assertEquals(new SearchKey.Header(List.of("SUBJECT"), "K\u00f6ln"), k);
    }

    @Test
    void sequenceSetsAreSequenceKeys() throws ProtocolException {
        assertEquals(new SearchKey.Set(SequenceSet.parse("2:4"), false), parse("2:4"));
        assertEquals(new SearchKey.Set(SequenceSet.parse("7"), true), parse("UID 7"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "Re: hello|hello", "RE: Re: [list] hello (fwd)|hello", "Fwd: [x] Re: hi|hi", "[fwd: Re: hello]|hello",
        "[list] [tag]|[tag]", "=?UTF-8?Q?Re=3A_K=C3=B6ln?=|k\u00f6ln", "  many   spaces  |many spaces",
        "Re [blob]: x|x", "Real subject|real subject"})
    void baseSubject(String raw, String base) {
        assertEquals(base, BaseSubject.of(raw, null));
    }
}
