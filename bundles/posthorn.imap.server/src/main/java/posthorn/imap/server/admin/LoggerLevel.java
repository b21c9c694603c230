package posthorn.imap.server.admin;

/**
 * A logger and its level.
 *
 * @param logger    the logger's name, or {@link LogLevels#ROOT}
 * @param level     its own level, or {@code null} when it follows its parent
 * @param effective the level in force: its own, or the nearest ancestor's
 */
public record LoggerLevel(String logger, String level, String effective) {
    @Override
    public String toString() {
        return logger + " " + (level == null ? effective + " (inherited)" : level);
    }
}
