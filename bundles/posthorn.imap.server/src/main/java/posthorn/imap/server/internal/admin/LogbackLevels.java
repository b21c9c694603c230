package posthorn.imap.server.internal.admin;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import posthorn.imap.server.admin.LogLevels;
import posthorn.imap.server.admin.LoggerLevel;

/** {@link LogLevels} on Logback's logger context. Loaded only when Logback is SLF4J's backend. */
final class LogbackLevels implements LogLevels {
    private static final Logger LOG = LoggerFactory.getLogger(LogLevelsService.class);

    private final LoggerContext context;

    LogbackLevels(ILoggerFactory factory) {
        this.context = (LoggerContext) factory;
    }

    @Override
    public List<LoggerLevel> levels() {
        List<LoggerLevel> list = new ArrayList<>();
        for (ch.qos.logback.classic.Logger l : context.getLoggerList()) {
            if (l.getLevel() != null) { // the root logger always has one and comes first
                list.add(of(l));
            }
        }
        return list;
    }

    @Override
    public LoggerLevel set(String logger, String level) {
        if (logger == null || logger.isBlank()) {
            throw new IllegalArgumentException("which logger? a class or package name, or ROOT");
        }
        String name = logger.strip();
        boolean root = name.equalsIgnoreCase(ROOT);
        String wanted = level == null ? "" : level.strip().toUpperCase(Locale.ROOT);
        Level next;
        if (wanted.equals("INHERIT") || wanted.equals("NULL")) {
            if (root) {
                throw new IllegalArgumentException("the root logger cannot inherit: give it a level");
            }
            next = null;
        } else {
            next = switch (wanted) {
                case "TRACE" -> Level.TRACE;
                case "DEBUG" -> Level.DEBUG;
                case "INFO" -> Level.INFO;
                case "WARN", "WARNING" -> Level.WARN;
                case "ERROR" -> Level.ERROR;
                case "OFF" -> Level.OFF;
                default -> throw new IllegalArgumentException("no such level: " + printable(level)
                        + " (TRACE, DEBUG, INFO, WARN, ERROR, OFF, or INHERIT)");
            };
        }
        if (!root && !name.matches("[\\p{L}\\p{N}_$.\\-]{1,200}")) {
            throw new IllegalArgumentException("not a logger name: " + printable(name));
        }
        ch.qos.logback.classic.Logger l = context.getLogger(root ? org.slf4j.Logger.ROOT_LOGGER_NAME : name);
        Level before = l.getLevel();
        l.setLevel(next);
        LOG.info("admin: log level of {} set to {} (was {})", l.getName(), next == null ? "inherited" : next,
                before == null ? "inherited" : before);
        return of(l);
    }

    private static LoggerLevel of(ch.qos.logback.classic.Logger l) {
        return new LoggerLevel(l.getName(), l.getLevel() == null ? null : l.getLevel().toString(),
                l.getEffectiveLevel().toString());
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(64).forEach(c -> b.appendCodePoint(c < 0x20 || c == 0x7f ? '?' : c));
        return b.toString();
    }
}
