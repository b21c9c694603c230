package posthorn.http.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** IP address literals, parsed without ever asking DNS. */
final class Addresses {
    private Addresses() {
    }

    /**
     * An IPv4 dotted quad or an IPv6 literal (brackets allowed); anything else, a host name above all,
     * is refused, so that parsing never waits on a name server.
     *
     * @throws IllegalArgumentException if the text is no IP address
     */
    static InetAddress literal(String text) {
        String t = text.strip();
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1);
        }
        boolean v4 = t.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = t.contains(":") && t.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6) {
            throw new IllegalArgumentException("\"" + text.strip() + "\" is not an IP address");
        }
        if (v4) {
            for (String part : t.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    throw new IllegalArgumentException("\"" + t + "\" is not an IP address");
                }
            }
        }
        try {
            return InetAddress.getByName(t); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("\"" + t + "\" is not an IP address");
        }
    }

    /** Whether an address is one the endpoint may listen on: loopback, or private (RFC 1918, RFC 4193, link-local). */
    static boolean loopbackOrPrivate(InetAddress a) {
        if (a.isLoopbackAddress() || a.isSiteLocalAddress() || a.isLinkLocalAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        return b.length == 16 && (b[0] & 0xfe) == 0xfc; // fc00::/7, unique local
    }
}
