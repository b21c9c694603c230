package posthorn.imap.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImapDatesTest {

    static Stream<Arguments> dateTimes() {
        return Stream.of(
                Arguments.of("17-Jul-1996 02:44:25 -0700", zdt(1996, 7, 17, 2, 44, 25, -7, 0)),
                Arguments.of("01-Jan-2020 00:00:00 +0000", zdt(2020, 1, 1, 0, 0, 0, 0, 0)),
                Arguments.of("09-Dec-2024 23:59:59 +0530", zdt(2024, 12, 9, 23, 59, 59, 5, 30)),
                Arguments.of("29-Feb-2024 12:00:00 -0930", zdt(2024, 2, 29, 12, 0, 0, -9, -30)));
    }

    private static ZonedDateTime zdt(int y, int mo, int d, int h, int mi, int s, int zh, int zm) {
        return ZonedDateTime.of(y, mo, d, h, mi, s, 0, ZoneOffset.ofHoursMinutes(zh, zm));
    }

    @ParameterizedTest
    @MethodSource("dateTimes")
    void formatsAndParses(String text, ZonedDateTime t) throws ProtocolException {
        assertEquals(text, ImapDates.formatDateTime(t));
        assertEquals(t, ImapDates.parseDateTime(text));
    }

    @Test
    void formatIgnoresDefaultLocaleAndNanos() {
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY);
            assertEquals("03-Mar-2021 10:11:12 +0100",
                    ImapDates.formatDateTime(ZonedDateTime.of(2021, 3, 3, 10, 11, 12, 999_000_000, ZoneOffset.ofHours(1))));
        } finally {
            Locale.setDefault(saved);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {" 1-Feb-1994 21:52:25 -0800", "01-Feb-1994 21:52:25 -0800", "1-feb-1994 21:52:25 -0800",
            "01-FEB-1994 21:52:25 -0800"})
    void parsesDayForms(String text) throws ProtocolException {
        assertEquals(zdt(1994, 2, 1, 21, 52, 25, -8, 0), ImapDates.parseDateTime(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "17-Jul-1996", "17-Jul-1996 02:44:25", "17-Jul-96 02:44:25 -0700",
            "17-Jly-1996 02:44:25 -0700", "32-Jul-1996 02:44:25 -0700", "17-Jul-1996 24:00:00 -0700",
            "17-Jul-1996 02:60:25 -0700", "17-Jul-1996 02:44:25 0700", "17-Jul-1996 02:44:25 +2500",
            "17-Jul-1996 02:44:25 +0060", "17-Jul-1996  02:44:25 -0700", "\"17-Jul-1996 02:44:25 -0700\"",
            "  1-Jul-1996 02:44:25 -0700", "17-Jul-1996 02:44:25 -0700 ", "\u0661\u0667-Jul-1996 02:44:25 -0700"})
    void rejectsDateTime(String text) {
        assertThrows(ProtocolException.class, () -> ImapDates.parseDateTime(text));
    }

    static Stream<Arguments> dates() {
        return Stream.of(
                Arguments.of("1-Feb-1994", LocalDate.of(1994, 2, 1)),
                Arguments.of("01-Feb-1994", LocalDate.of(1994, 2, 1)),
                Arguments.of("1-FEB-1994", LocalDate.of(1994, 2, 1)),
                Arguments.of("31-dec-2025", LocalDate.of(2025, 12, 31)),
                Arguments.of("29-Feb-2000", LocalDate.of(2000, 2, 29)));
    }

    @ParameterizedTest
    @MethodSource("dates")
    void parsesDate(String text, LocalDate expected) throws ProtocolException {
        assertEquals(expected, ImapDates.parseDate(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Feb-1994", "001-Feb-1994", "1-Feb-94", "1-Febr-1994", "29-Feb-1900", "0-Jan-2000",
            " 1-Feb-1994", "1 Feb 1994"})
    void rejectsDate(String text) {
        assertThrows(ProtocolException.class, () -> ImapDates.parseDate(text));
    }
}
