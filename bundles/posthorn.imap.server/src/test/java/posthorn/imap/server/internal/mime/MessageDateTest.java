package posthorn.imap.server.internal.mime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.LocalDate;
import java.time.OffsetDateTime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Date header values as SEARCH SENT* (the day) and SORT DATE (the moment) read them: each row is a
 * value, the day it gives (empty: none, so SEARCH uses the internal date) and the moment (empty: none,
 * so SORT uses the internal date).
 */
class MessageDateTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        // RFC 5322 3.3 as written
        "Mon, 7 Feb 1994 21:52:25 -0800|1994-02-07|1994-02-07T21:52:25-08:00",
        "7 February 1994 10:00:00 +0200|1994-02-07|1994-02-07T10:00+02:00",
        "  7 feb. 1994 10:00:00 +0200|1994-02-07|1994-02-07T10:00+02:00",
        // seconds missing; two-digit years (RFC 5322 4.3: 00-49 are 20xx, 50-99 19xx); three-digit years
        "01 Dec 26 10:00 +0100 (CET)|2026-12-01|2026-12-01T10:00+01:00",
        "Fri, 21 Nov 97 09:55:06 -0600|1997-11-21|1997-11-21T09:55:06-06:00",
        "3 Mar 103 10:00:00 +0000|2003-03-03|2003-03-03T10:00Z",
        // obsolete zones (RFC 5322 4.3); military letters and unknown names are -0000
        "Fri, 21 Nov 1997 09:55:06 GMT|1997-11-21|1997-11-21T09:55:06Z",
        "Fri, 21 Nov 1997 09:55:06 UT|1997-11-21|1997-11-21T09:55:06Z",
        "Sat, 1 Jan 2000 00:00:00 EST|2000-01-01|2000-01-01T00:00-05:00",
        "Sat, 1 Jul 2000 12:00 PDT|2000-07-01|2000-07-01T12:00-07:00",
        "Sat, 1 Jul 2000 12:00 cdt|2000-07-01|2000-07-01T12:00-05:00",
        "Tue, 1 Jul 2003 10:52:37 Z|2003-07-01|2003-07-01T10:52:37Z",
        "Tue, 1 Jul 2003 10:52:37 XYZ|2003-07-01|2003-07-01T10:52:37Z",
        "Tue, 1 Jul 2003 10:52:37|2003-07-01|2003-07-01T10:52:37Z",
        // comments anywhere, nested, and the whitespace an unfolded header keeps (RFC 5322 A.5)
        "Thu,      13        Feb          1969      23:32               -0330 (Newfoundland Time)|1969-02-13|1969-02-13T23:32-03:30",
        "Thu, 13 (the day) Feb 1969 23:32 (a (nested) comment \\) here) -0330|1969-02-13|1969-02-13T23:32-03:30",
        // an offset beyond what a zone can be is clamped
        "1 Jan 2000 00:00 +9999|2000-01-01|2000-01-01T00:00+18:00",
        // a day without a valid time: SEARCH has its day, SORT none
        "7 Feb 1994|1994-02-07|",
        "7 Feb 1994 25:61:00 -0800|1994-02-07|",
        // garbage
        "yesterday||",
        "''||",
        "Feb 1994 10:00 +0000||",
        "31 Feb 1994 10:00 +0000||",
        "7 Foo 1994 10:00 +0000||",
    })
    void readsDateHeaders(String value, LocalDate day, OffsetDateTime moment) {
        MessageDate d = MessageDate.parse(value);
        assertEquals(day, d == null ? null : d.day());
        assertEquals(moment, d == null ? null : d.dateTime());
    }

    @Test
    void noHeaderNoDate() {
        assertNull(MessageDate.parse(null));
    }

    @Test
    void momentIsTheInstantSortCompares() {
        assertEquals(760686745L, MessageDate.parse("Mon, 7 Feb 1994 21:52:25 -0800").dateTime().toEpochSecond());
    }
}
