package posthorn.imap.server.internal.mime;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The date-time of a Date header (RFC 5322 3.3), read leniently: the first "day month year" in the
 * value, comments taken out, the day of the week and any text before it passed over, the seconds
 * optional, two- and three-digit years and the obsolete zone names read as RFC 5322 4.3 says. SEARCH
 * SENTON and friends use only the day as written (RFC 3501 6.4.4); SORT DATE uses the moment, and
 * only when a valid time of day is there, since a value without one is no RFC 5322 date-time and
 * RFC 5256 then falls back to the internal date.
 *
 * @param day  the day as written, in the sender's zone
 * @param time the time of day, or null if the value has none or an impossible one
 * @param zone the zone; UTC where it is missing or unknown ("-0000", RFC 5322 4.3)
 */
public record MessageDate(LocalDate day, LocalTime time, ZoneOffset zone) {

    private static final Pattern DATE = Pattern.compile(
            "(\\d{1,2})\\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\.?\\s+(\\d{2,4})"
                    + "(?:\\s+(\\d{1,2}):(\\d{2})(?::(\\d{2}))?(?:\\s*([+-]\\d{4}|[a-z]+\\b))?)?",
            Pattern.CASE_INSENSITIVE);
    private static final List<String> MONTHS = List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
            "sep", "oct", "nov", "dec");
    /** RFC 5322 4.3 obs-zone with a meaning; the military letters and any other name mean -0000. */
    private static final Map<String, Integer> NAMED_ZONES = Map.of("ut", 0, "gmt", 0, "edt", -4, "est", -5,
            "cdt", -5, "cst", -6, "mdt", -6, "mst", -7, "pdt", -7, "pst", -8);
    private static final int MAX_OFFSET = 18 * 3600;

    /** The date of a Date header value, or null if no valid day can be read from it. */
    public static MessageDate parse(String value) {
        if (value == null) {
            return null;
        }
        Matcher m = DATE.matcher(withoutComments(value));
        if (!m.find()) {
            return null;
        }
        int year = Integer.parseInt(m.group(3));
        if (m.group(3).length() <= 2) {
            year += year < 50 ? 2000 : 1900;
        } else if (m.group(3).length() == 3) {
            year += 1900;
        }
        LocalDate day;
        try {
            day = LocalDate.of(year, MONTHS.indexOf(m.group(2).substring(0, 3).toLowerCase(Locale.ROOT)) + 1,
                    Integer.parseInt(m.group(1)));
        } catch (DateTimeException e) {
            return null;
        }
        LocalTime time = null;
        if (m.group(4) != null) {
            try {
                time = LocalTime.of(Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)),
                        m.group(6) == null ? 0 : Integer.parseInt(m.group(6)));
            } catch (DateTimeException e) {
                time = null;
            }
        }
        return new MessageDate(day, time, zone(m.group(7)));
    }

    /** The moment the date names, or null without a valid time of day. */
    public OffsetDateTime dateTime() {
        return time == null ? null : OffsetDateTime.of(day, time, zone);
    }

    private static ZoneOffset zone(String z) {
        if (z == null) {
            return ZoneOffset.UTC;
        }
        if (z.charAt(0) == '+' || z.charAt(0) == '-') {
            int n = Integer.parseInt(z.substring(1));
            int secs = (n / 100 * 3600 + n % 100 * 60) * (z.charAt(0) == '-' ? -1 : 1);
            return ZoneOffset.ofTotalSeconds(Math.max(-MAX_OFFSET, Math.min(MAX_OFFSET, secs)));
        }
        Integer hours = NAMED_ZONES.get(z.toLowerCase(Locale.ROOT));
        return hours == null ? ZoneOffset.UTC : ZoneOffset.ofHours(hours);
    }

    /** The value with its comments (RFC 5322 3.2.2: parentheses, nested, with quoted-pairs) made spaces. */
    private static String withoutComments(String value) {
        if (value.indexOf('(') < 0) {
            return value;
        }
        StringBuilder b = new StringBuilder(value.length());
        int depth = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (depth > 0 && c == '\\') {
                i++;
            } else if (c == '(') {
                depth++;
            } else if (c == ')' && depth > 0) {
                depth--;
                if (depth == 0) {
                    b.append(' ');
                }
            } else if (depth == 0) {
                b.append(c);
            }
        }
        return b.toString();
    }
}
