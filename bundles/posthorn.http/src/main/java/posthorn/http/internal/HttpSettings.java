package posthorn.http.internal;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import posthorn.auth.support.keys.ConfigKeys;

/**
 * http.cfg read and checked whole: every key's value, and the keys themselves (ConfigKeys: a
 * near-miss key or a boolean that is neither true nor false refuses the file). The first problem
 * refuses the file with its key named ({@link BadValue}); nothing of a refused file is used.
 *
 * @param enabled      whether the endpoint listens
 * @param bind         the address it listens on (loopback or private)
 * @param port         its port
 * @param nodes        the IMAP nodes auth_http routes to, in the file's order
 * @param healthMillis between two health checks of a node
 * @param timeoutMillis the longest a health check may take
 * @param authClients  who may ask /auth
 */
record HttpSettings(boolean enabled, InetAddress bind, int port, List<Node> nodes, long healthMillis,
                    long timeoutMillis, List<Cidr> authClients) {

    /** A value that does not fit: the key and why, for the log line (never the value of a secret; http.cfg has none). */
    static final class BadValue extends Exception {
        final String key;

        BadValue(String key, String reason) {
            super(key + ": " + reason);
            this.key = key;
        }
    }

    /** The defaults (an empty http.cfg). */
    static HttpSettings defaults() {
        try {
            return read(Map.of());
        } catch (BadValue e) {
            throw new IllegalStateException("the defaults do not pass their own check", e);
        }
    }

    static HttpSettings read(Map<String, ?> p) throws BadValue {
        for (ConfigKeys.Problem problem : ConfigKeys.check(p, HttpConfig.class)) {
            if (problem.refuse()) {
                throw new BadValue(problem.key(), problem.reason());
            }
        }
        boolean enabled = bool(p, "enabled", false);
        String bindText = string(p, "bind", "127.0.0.1");
        InetAddress bind;
        try {
            bind = Addresses.literal(bindText);
        } catch (IllegalArgumentException e) {
            throw new BadValue("bind", e.getMessage());
        }
        if (!Addresses.loopbackOrPrivate(bind)) {
            throw new BadValue("bind", bind.getHostAddress()
                    + " is neither loopback nor private: the endpoint has no TLS and no password; keep it off the internet");
        }
        int port = (int) number(p, "port", 8143, 1, 65535);
        List<Node> nodes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        String nodesText = string(p, "nodes", "");
        for (String entry : nodesText.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            Node n;
            try {
                n = Node.parse(entry);
            } catch (IllegalArgumentException e) {
                throw new BadValue("nodes", e.getMessage());
            }
            if (!names.add(n.name())) {
                throw new BadValue("nodes", "node name " + n.name() + " is given twice");
            }
            nodes.add(n);
        }
        long interval = number(p, "health.interval", 2, 1, 3600);
        long timeout = number(p, "health.timeout", 1, 1, 60);
        if (timeout > interval) {
            throw new BadValue("health.timeout", "must not be longer than health.interval (" + interval + ")");
        }
        List<Cidr> clients = new ArrayList<>();
        for (String c : string(p, "auth.clients", "127.0.0.0/8, ::1").split(",")) {
            if (c.isBlank()) {
                continue;
            }
            try {
                clients.add(Cidr.parse(c));
            } catch (IllegalArgumentException e) {
                throw new BadValue("auth.clients", e.getMessage());
            }
        }
        return new HttpSettings(enabled, bind, port, List.copyOf(nodes), interval * 1000, timeout * 1000,
                List.copyOf(clients));
    }

    /** Whether {@code address} may ask /auth. */
    boolean authClient(InetAddress address) {
        return authClients.stream().anyMatch(c -> c.contains(address));
    }

    private static String string(Map<String, ?> p, String key, String otherwise) {
        Object v = p.get(key);
        if (v == null) {
            return otherwise;
        }
        if (v instanceof String[] a) {
            return String.join(",", a);
        }
        return v.toString();
    }

    private static boolean bool(Map<String, ?> p, String key, boolean otherwise) throws BadValue {
        Object v = p.get(key);
        if (v == null) {
            return otherwise;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        String s = v.toString().strip();
        if (s.equalsIgnoreCase("true")) {
            return true;
        }
        if (s.equalsIgnoreCase("false")) {
            return false;
        }
        throw new BadValue(key, "must be true or false");
    }

    private static long number(Map<String, ?> p, String key, long otherwise, long min, long max) throws BadValue {
        Object v = p.get(key);
        if (v == null) {
            return otherwise;
        }
        long n;
        if (v instanceof Number num) {
            n = num.longValue();
        } else {
            try {
                n = Long.parseLong(v.toString().strip());
            } catch (NumberFormatException e) {
                throw new BadValue(key, "must be a whole number from " + min + " to " + max);
            }
        }
        if (n < min || n > max) {
            throw new BadValue(key, "must be from " + min + " to " + max + ", not " + n);
        }
        return n;
    }
}
