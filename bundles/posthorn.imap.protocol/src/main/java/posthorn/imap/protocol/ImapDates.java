package posthorn.imap.protocol;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * IMAP's date formats: date-time ({@code "17-Jul-1996 02:44:25 -0700"}, RFC 3501 9) and date
 * ({@code 1-Feb-1994}) for SEARCH. Month names are English whatever the default locale.
 */
public final class ImapDates {
    private ImapDates() {
    }

    /** date-day-fixed as 2DIGIT (RFC 3501 allows SP DIGIT too; both are read). */
    private static final DateTimeFormatter DATE_TIME =
            DateTimeFormatter.ofPattern("dd-MMM-uuuu HH:mm:ss xx", Locale.ENGLISH);

    private static final String[] MONTHS =
            {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

    private static final Pattern DATE_TIME_PATTERN = Pattern.compile(
            "( ?\\d|\\d\\d)-([A-Za-z]{3})-(\\d{4}) (\\d\\d):(\\d\\d):(\\d\\d) ([+-])(\\d\\d)(\\d\\d)");
    private static final Pattern DATE_PATTERN = Pattern.compile("(\\d{1,2})-([A-Za-z]{3})-(\\d{4})");

    /** A date-time as INTERNALDATE shows it, without the quotes. */
    public static String formatDateTime(ZonedDateTime t) {
        return DATE_TIME.format(t);
    }

    /** Parses a date-time (without quotes; a day of one digit may have a leading space). */
    public static ZonedDateTime parseDateTime(String s) throws ProtocolException {
        Matcher m = DATE_TIME_PATTERN.matcher(s);
        if (!m.matches()) {
            throw new ProtocolException("Invalid date-time " + s);
        }
        try {
            int sign = m.group(7).equals("-") ? -1 : 1;
            int zh = Integer.parseInt(m.group(8));
            int zm = Integer.parseInt(m.group(9));
            if (zm > 59) {
                throw new DateTimeException("zone minutes");
            }
            LocalDateTime local = LocalDateTime.of(Integer.parseInt(m.group(3)), month(m.group(2), s),
                    Integer.parseInt(m.group(1).trim()), Integer.parseInt(m.group(4)),
                    Integer.parseInt(m.group(5)), Integer.parseInt(m.group(6)));
            return ZonedDateTime.of(local, ZoneOffset.ofHoursMinutes(sign * zh, sign * zm));
        } catch (DateTimeException e) {
            throw new ProtocolException("Invalid date-time " + s);
        }
    }

    /** Parses a SEARCH date. */
    public static LocalDate parseDate(String s) throws ProtocolException {
        Matcher m = DATE_PATTERN.matcher(s);
        if (!m.matches()) {
            throw new ProtocolException("Invalid date " + s);
        }
        try {
            return LocalDate.of(Integer.parseInt(m.group(3)), month(m.group(2), s), Integer.parseInt(m.group(1)));
        } catch (DateTimeException e) {
            throw new ProtocolException("Invalid date " + s);
        }
    }

    private static int month(String name, String whole) throws ProtocolException {
        String upper = name.toUpperCase(Locale.ROOT);
        for (int i = 0; i < MONTHS.length; i++) {
            if (MONTHS[i].equals(upper)) {
                return i + 1;
            }
        }
        throw new ProtocolException("Invalid month in " + whole);
    }
}
