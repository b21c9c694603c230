package posthorn.http.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An address prefix ({@code 10.0.0.0/8}, {@code ::1}, {@code 192.168.1.7}): which clients may ask /auth. Immutable. */
record Cidr(byte[] network, int bits) {

    /** Parses a prefix; an address without {@code /N} is the address alone. */
    static Cidr parse(String text) {
        String t = text.strip();
        int slash = t.indexOf('/');
        InetAddress a = Addresses.literal(slash < 0 ? t : t.substring(0, slash));
        int max = a.getAddress().length * 8;
        int bits = max;
        if (slash >= 0) {
            try {
                bits = Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("\"" + t + "\" has no prefix length after /");
            }
            if (bits < 0 || bits > max) {
                throw new IllegalArgumentException("\"" + t + "\": a prefix length is 0 to " + max);
            }
        }
        return new Cidr(a.getAddress(), bits);
    }

    boolean contains(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length != network.length) {
            return false;
        }
        int full = bits / 8;
        for (int i = 0; i < full; i++) {
            if (b[i] != network[i]) {
                return false;
            }
        }
        int rest = bits % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (b[full] & mask) == (network[full] & mask);
    }

    /** Whether the text names an address this prefix holds (false for text that is no address). */
    boolean contains(String address) {
        try {
            return contains(Addresses.literal(address));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + bits;
        } catch (UnknownHostException e) {
            return "?/" + bits;
        }
    }
}
