package posthorn.logging.internal;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The event's time in ISO 8601 with milliseconds and offset, followed by a space; or nothing.
 * Whether there is one is decided once, at start: the system property {@code posthorn.log.timestamps}
 * (the launcher sets it: on when stderr is a terminal, else off, since multilog and the journal
 * stamp lines themselves; {@code POSTHORN_LOG_TIMESTAMPS=yes|no} overrides it), else the environment
 * variable {@code POSTHORN_LOG_TIMESTAMPS}, else on (a JVM started some other way).
 */
public final class TimestampConverter extends ClassicConverter {
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
            .withZone(ZoneId.systemDefault());
    private boolean on = true;

    @Override
    public void start() {
        on = enabled(System.getProperty("posthorn.log.timestamps"), System.getenv("POSTHORN_LOG_TIMESTAMPS"));
        super.start();
    }

    static boolean enabled(String property, String env) {
        String v = property != null && !property.isBlank() ? property : env;
        if (v == null || v.isBlank()) {
            return true;
        }
        return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "no", "off", "false", "0" -> false;
            default -> true;
        };
    }

    @Override
    public String convert(ILoggingEvent event) {
        return on ? ISO.format(Instant.ofEpochMilli(event.getTimeStamp())) + " " : "";
    }
}
