package posthorn.logging.internal;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The event's message on one line ({@code %msg} would let a line break in a value, a client's
 * string or an exception's message, start what a reader takes for a second event).
 */
public final class OneLineMessageConverter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return OneLine.escape(event.getFormattedMessage());
    }
}
