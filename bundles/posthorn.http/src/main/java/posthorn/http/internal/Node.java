package posthorn.http.internal;

import java.net.InetAddress;
import java.net.URI;

/**
 * One IMAP node auth_http may send a user to.
 *
 * @param name    the node's identity in the rendezvous hash: renaming a node moves its users, moving
 *                it to another address does not
 * @param address where nginx is to connect (an IP address: nginx's Auth-Server takes no name)
 * @param port    its IMAP port
 * @param health  its /health, or null: a node without one is always taken as up
 */
record Node(String name, InetAddress address, int port, URI health) {

    /** Parses {@code NAME IP:PORT [HEALTH-URL]} (an IPv6 address in brackets: {@code [::1]:143}). */
    static Node parse(String entry) {
        String[] words = entry.strip().split("\\s+");
        if (words.length < 2 || words.length > 3 || words[0].isEmpty()) {
            throw new IllegalArgumentException("\"" + entry.strip() + "\" is not NAME IP:PORT [HEALTH-URL]");
        }
        String name = words[0];
        if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("node name \"" + name + "\": letters, digits, . _ - only, at most 64");
        }
        String hostPort = words[1];
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("node " + name + ": \"" + hostPort + "\" is not IP:PORT");
        }
        InetAddress address = Addresses.literal(hostPort.substring(0, colon));
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("node " + name + ": \"" + hostPort + "\" has no port number");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("node " + name + ": port " + port + " is not 1 to 65535");
        }
        URI health = null;
        if (words.length == 3) {
            try {
                health = URI.create(words[2]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("node " + name + ": \"" + words[2] + "\" is not a URL");
            }
            if (!"http".equals(health.getScheme()) || health.getHost() == null) {
                throw new IllegalArgumentException("node " + name + ": health check \"" + words[2]
                        + "\" must be an http:// URL with a host");
            }
        }
        return new Node(name, address, port, health);
    }

    @Override
    public String toString() {
        return name + " " + (address.getAddress().length == 16 ? "[" + address.getHostAddress() + "]" : address.getHostAddress())
                + ":" + port + (health == null ? "" : " " + health);
    }
}
