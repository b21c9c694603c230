package posthorn.console.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * @param ssh         the SSH console, or null when it is off ({@code ssh.port=0}, the default)
 */
record ConsoleSettings(Path socket, int maxSessions, int lineMax, Ssh ssh) {

    /**
     * The SSH console's settings.
     *
     * @param port           the TCP port (1-65535)
     * @param bind           the address it listens on: loopback unless ssh.bind names another
     * @param authorizedKeys the OpenSSH authorized_keys file whose keys may log in (it exists)
     * @param hostKey        the server's key pair, generated on first start when absent
     */
    record Ssh(int port, InetAddress bind, Path authorizedKeys, Path hostKey) {
    }

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
        return new ConsoleSettings(socket, maxSessions, lineMax, ssh(props, var));
    }

    private static Ssh ssh(Map<String, ?> props, String var) {
        int port = number(props, "ssh.port", 0, 0, 65535);
        InetAddress bind = address(props, "ssh.bind");
        Path keys = file(props, "ssh.authorized.keys", var, "ssh/authorized_keys", port != 0);
        if (port != 0 && !Files.isRegularFile(keys)) {
            throw new BadValue("ssh.authorized.keys", keys + " is not a file (the SSH console takes only the keys it lists)");
        }
        if (port != 0 && !Files.isReadable(keys)) {
            throw new BadValue("ssh.authorized.keys", keys + " cannot be read");
        }
        Path hostKey = file(props, "ssh.host.key", var, "ssh/host_key", port != 0);
        if (port == 0) {
            return null; // off: the other keys are checked (a typo shows now), the files need not exist
        }
        if (Files.isDirectory(hostKey)) {
            throw new BadValue("ssh.host.key", hostKey + " is a directory");
        }
        return new Ssh(port, bind, keys, hostKey);
    }

    /** An IP address as written (never a host name: no lookup at configuration time); loopback by default. */
    private static InetAddress address(Map<String, ?> props, String key) {
        Object raw = props.get(key);
        String value = raw == null ? "" : raw.toString().trim();
        if (value.isEmpty()) {
            return InetAddress.getLoopbackAddress();
        }
        String bare = value.startsWith("[") && value.endsWith("]") ? value.substring(1, value.length() - 1) : value;
        boolean v4 = bare.matches("\\d{1,3}(\\.\\d{1,3}){3}")
                && java.util.Arrays.stream(bare.split("\\.")).allMatch(o -> Integer.parseInt(o) <= 255);
        boolean v6 = bare.contains(":") && bare.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6) {
            throw new BadValue(key, "'" + value + "' is not an IP address (write 127.0.0.1, ::1, or the address to listen on)");
        }
        try {
            return InetAddress.getByName(bare); // a literal: parsed, never looked up
        } catch (UnknownHostException e) {
            throw new BadValue(key, "'" + value + "' is not an IP address");
        }
    }

    /** An absolute path, by default under POSTHORN_VAR; null when neither is given and it is not needed. */
    private static Path file(Map<String, ?> props, String key, String var, String under, boolean needed) {
        Object raw = props.get(key);
        String value = raw == null ? "" : raw.toString().trim();
        if (value.isEmpty()) {
            if (var == null || var.isBlank()) {
                if (needed) {
                    throw new BadValue(key, "not set, and POSTHORN_VAR is not set for its default");
                }
                return null;
            }
            value = var + "/" + under;
        }
        Path p;
        try {
            p = Path.of(value);
        } catch (InvalidPathException e) {
            throw new BadValue(key, "not a valid path");
        }
        if (!p.isAbsolute()) {
            throw new BadValue(key, "not an absolute path");
        }
        if (p.getParent() == null) {
            throw new BadValue(key, "names no file");
        }
        return p;
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
