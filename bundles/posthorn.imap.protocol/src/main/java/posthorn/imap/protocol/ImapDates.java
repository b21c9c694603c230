package posthorn.imap.protocol;

import java.time.LocalDate;
import java.time.ZonedDateTime;

/**
 * IMAP's date formats: date-time ({@code "17-Jul-1996 02:44:25 -0700"}, RFC 3501 9) and date
 * ({@code 1-Feb-1994}) for SEARCH.
 */
public final class ImapDates {
    private ImapDates() {
    }

    /** A date-time as INTERNALDATE shows it, without the quotes. */
    public static String formatDateTime(ZonedDateTime t) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Parses a date-time (without quotes; a day of one digit may have a leading space). */
    public static ZonedDateTime parseDateTime(String s) throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }

    /** Parses a SEARCH date. */
    public static LocalDate parseDate(String s) throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }
}
