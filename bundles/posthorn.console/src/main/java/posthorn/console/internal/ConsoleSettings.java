package posthorn.console.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The settings of console.cfg, every value checked: a file with one bad value is refused whole
 * ({@link BadValue} names the key and why) and the settings in force stay.
 *
 * @param socket      the Unix domain socket, or null for none
 * @param maxSessions console connections at once
 * @param lineMax     longest command line, in bytes
 */
record ConsoleSettings(Path socket, int maxSessions, int lineMax) {

    static final String FILE = "console.cfg";
    /** The longest path a Unix domain socket address can hold on Linux (sun_path, with its NUL). */
    static final int SOCKET_PATH_MAX = 107;

    /** One value the console cannot use: the key as written in the file, and why. */
    static final class BadValue extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        BadValue(String key, String reason) {
            super(key + ": " + reason);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /**
     * Reads the configuration's properties (absent keys take their defaults).
     *
     * @param var the server's state directory (POSTHORN_VAR), for the default socket; may be null
     */
    static ConsoleSettings from(Map<String, ?> props, String var) {
        Path socket = socket(props, var);
        int maxSessions = number(props, "max.sessions", 8, 1, 1000);
        int lineMax = number(props, "line.max", 65536, 256, 16 << 20);
        return new ConsoleSettings(socket, maxSessions, lineMax);
    }

    private static Path socket(Map<String, ?> props, String var) {
        Object raw = props.get("socket");
        String value;
        if (raw == null) {
            if (var == null || var.isBlank()) {
                return null;
            }
            value = var + "/admin.sock";
        } else {
            value = raw.toString().trim();
            if (value.isEmpty()) {
                return null; // the socket is off
            }
        }
        Path p;
        try {
            p = Path.of(value);
        } catch (InvalidPathException e) {
            throw new BadValue("socket", "not a valid path");
        }
        if (!p.isAbsolute()) {
            throw new BadValue("socket", "not an absolute path");
        }
        if (p.toString().getBytes(StandardCharsets.UTF_8).length > SOCKET_PATH_MAX) {
            throw new BadValue("socket", "longer than the " + SOCKET_PATH_MAX
                    + " bytes a Unix socket address can hold; choose a shorter POSTHORN_VAR or path");
        }
        if (p.getParent() == null) {
            throw new BadValue("socket", "names no file");
        }
        return p;
    }

    private static int number(Map<String, ?> props, String key, int dflt, int min, int max) {
        Object raw = props.get(key);
        if (raw == null) {
            return dflt;
        }
        long v;
        try {
            v = raw instanceof Number n ? n.longValue() : Long.parseLong(raw.toString().trim());
        } catch (NumberFormatException e) {
            throw new BadValue(key, "not a whole number");
        }
        if (v < min || v > max) {
            throw new BadValue(key, v + " is not between " + min + " and " + max);
        }
        return (int) v;
    }
}
