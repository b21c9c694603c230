package posthorn.imap.server.admin;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The log levels of the running process, shown and changed without a restart. A change lasts until
 * the process ends (a restart starts from the levels the runtime is configured with). Thread-safe.
 */
@ProviderType
public interface LogLevels {

    /** The name of the root logger, whose level every logger without one of its own follows. */
    String ROOT = "ROOT";

    /** The loggers with a level of their own, the root logger first. */
    List<LoggerLevel> levels();

    /**
     * Sets a logger's level: {@code TRACE}, {@code DEBUG}, {@code INFO}, {@code WARN}, {@code ERROR},
     * {@code OFF} (any case), or {@code INHERIT} (not for the root) to follow its parent again. A
     * logger's name is a class or package name ({@code posthorn.imap.server}), or {@link #ROOT}.
     *
     * @return the logger as it is now
     * @throws IllegalArgumentException for an unknown level name, or INHERIT for the root
     */
    LoggerLevel set(String logger, String level);
}
