package posthorn.imap.server.internal.admin;

import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

import posthorn.imap.server.admin.LogLevels;
import posthorn.imap.server.admin.LoggerLevel;

/**
 * Log levels at run time, through the logging backend the process runs with. The runtime logs
 * through SLF4J to Logback, whose levels can change while it runs (slf4j-simple's are read once, at
 * start); this class touches Logback only through {@link LogbackLevels}, which is loaded when
 * Logback is the backend, so the server also runs (without this feature) on another SLF4J backend,
 * as a test framework may have: the bundle's import of Logback is optional.
 */
@Component(service = LogLevels.class)
public final class LogLevelsService implements LogLevels {

    @Override
    public List<LoggerLevel> levels() {
        return backend().levels();
    }

    @Override
    public LoggerLevel set(String logger, String level) {
        return backend().set(logger, level);
    }

    private static LogLevels backend() {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        String backend = factory.getClass().getName();
        if (backend.equals("ch.qos.logback.classic.LoggerContext")) {
            try {
                return new LogbackLevels(factory);
            } catch (LinkageError e) {
                // Logback came after this bundle was resolved: the optional import is not wired
                throw new IllegalStateException("log levels cannot change: this bundle does not see Logback "
                        + "(refresh posthorn.imap.server to wire it)");
            }
        }
        throw new IllegalStateException("log levels cannot change at run time: the logging backend is " + backend
                + ", not Logback");
    }
}
