package posthorn.logging.internal;

import java.util.IdentityHashMap;
import java.util.Map;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.pattern.ThrowableHandlingConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;

/**
 * An event's exception folded into its line, so that one event stays one line:
 * {@code  [java.io.IOException: x; caused by java.net.SocketException: y]}, the causes (and
 * suppressed exceptions) up to {@link #MAX_CAUSES}. Where the event's logger is at DEBUG (or
 * TRACE), the frames follow each exception, joined with {@code " | "}, at most {@link #MAX_FRAMES}
 * each (a stack overflow has thousands): still one line.
 */
public final class OneLineThrowableConverter extends ThrowableHandlingConverter {
    static final int MAX_CAUSES = 8;
    static final int MAX_FRAMES = 60;

    @Override
    public String convert(ILoggingEvent event) {
        IThrowableProxy t = event.getThrowableProxy();
        if (t == null) {
            return "";
        }
        boolean frames = false;
        if (getContext() instanceof LoggerContext lc) {
            Logger logger = lc.getLogger(event.getLoggerName());
            frames = logger.isDebugEnabled();
        }
        StringBuilder b = new StringBuilder(" [");
        Map<IThrowableProxy, Boolean> seen = new IdentityHashMap<>();
        int n = 0;
        for (IThrowableProxy c = t; c != null && seen.put(c, Boolean.TRUE) == null; c = c.getCause()) {
            if (n > 0) {
                b.append("; caused by ");
            }
            if (n++ == MAX_CAUSES) {
                b.append("...");
                break;
            }
            describe(b, c);
            for (IThrowableProxy s : c.getSuppressed() == null ? new IThrowableProxy[0] : c.getSuppressed()) {
                b.append("; suppressed ");
                describe(b, s);
            }
            if (frames) {
                frames(b, c);
            }
        }
        return b.append(']').toString();
    }

    private static void describe(StringBuilder b, IThrowableProxy t) {
        b.append(t.getClassName());
        if (t.getMessage() != null) {
            b.append(": ").append(OneLine.escape(t.getMessage()));
        }
    }

    private static void frames(StringBuilder b, IThrowableProxy t) {
        StackTraceElementProxy[] st = t.getStackTraceElementProxyArray();
        if (st == null) {
            return;
        }
        int shown = Math.max(0, st.length - t.getCommonFrames());
        int limit = Math.min(shown, MAX_FRAMES);
        for (int i = 0; i < limit; i++) {
            b.append(" | at ").append(OneLine.escape(st[i].getStackTraceElement().toString()));
        }
        if (st.length > limit) {
            b.append(" | ... ").append(st.length - limit).append(" more");
        }
    }
}
