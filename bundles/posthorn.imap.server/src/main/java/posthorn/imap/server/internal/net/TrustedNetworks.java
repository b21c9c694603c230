package posthorn.imap.server.internal.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * trusted.networks: the client addresses a password may come from in the clear (LOGIN, AUTHENTICATE
 * PLAIN without TLS), as CIDR blocks ({@code 127.0.0.1/32, ::1/128, 10.0.0.0/8}); a bare address is
 * a block of one. Only the address literally named counts: 127.0.0.2 is not 127.0.0.1, and an
 * IPv4-mapped IPv6 address ({@code ::ffff:127.0.0.1}) is compared as the IPv4 address it maps, as
 * the JDK hands it over. Immutable.
 */
public final class TrustedNetworks {
    /** The default: this host's loopback addresses and no others. */
    public static final String DEFAULT = "127.0.0.1/32, ::1/128";

    private static volatile TrustedNetworks last = parse(DEFAULT);

    private final String text;
    private final List<Block> blocks;

    private TrustedNetworks(String text, List<Block> blocks) {
        this.text = text;
        this.blocks = blocks;
    }

    /**
     * The trusted networks of a configuration; the list is parsed once for as long as it stays the
     * same (the config was checked when it was accepted, so it parses).
     */
    public static TrustedNetworks of(ImapdConfig config) {
        String text = config.trusted_networks();
        TrustedNetworks t = last;
        if (!t.text.equals(text)) {
            t = parse(text);
            last = t;
        }
        return t;
    }

    private static volatile TrustedNetworks lastProxies = parse("");

    /** proxy.trusted of a configuration: the proxies whose PROXY headers are read (see {@link ProxyHeader}). */
    public static TrustedNetworks proxiesOf(ImapdConfig config) {
        String text = config.proxy_trusted();
        TrustedNetworks t = lastProxies;
        if (!t.text.equals(text)) {
            t = parse(text);
            lastProxies = t;
        }
        return t;
    }

    /**
     * Reads a list of blocks separated by commas or white space; an empty list trusts no address.
     *
     * @throws IllegalArgumentException naming the entry that is not an address or a CIDR block
     */
    public static TrustedNetworks parse(String text) {
        List<Block> blocks = new ArrayList<>();
        for (String entry : text.trim().split("[,\\s]+")) {
            if (!entry.isEmpty()) {
                blocks.add(Block.parse(entry));
            }
        }
        return new TrustedNetworks(text, List.copyOf(blocks));
    }

    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        for (Block b : blocks) {
            if (b.contains(a)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return text;
    }

    /** One CIDR block: the network's address bytes and the number of leading bits that count. */
    private record Block(byte[] network, int bits) {
        static Block parse(String entry) {
            int slash = entry.indexOf('/');
            String host = slash < 0 ? entry : entry.substring(0, slash);
            byte[] network = literal(host, entry);
            int max = network.length * 8;
            int bits = max;
            if (slash >= 0) {
                String n = entry.substring(slash + 1);
                if (!n.matches("\\d{1,3}") || Integer.parseInt(n) > max) {
                    throw new IllegalArgumentException("\"" + entry + "\" has a prefix length that is not 0 to " + max);
                }
                bits = Integer.parseInt(n);
            }
            return new Block(network, bits);
        }

        /** The address as bytes, without asking DNS: only IP literals are accepted. */
        private static byte[] literal(String host, String entry) {
            boolean v4 = host.matches("\\d{1,3}(\\.\\d{1,3}){3}")
                    && Arrays.stream(host.split("\\.")).allMatch(o -> Integer.parseInt(o) <= 255);
            boolean v6 = host.contains(":") && host.matches("[0-9A-Fa-f:.]+");
            if (!v4 && !v6) {
                throw new IllegalArgumentException("\"" + entry + "\" is not an IP address or CIDR block");
            }
            try {
                return InetAddress.getByName(host).getAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("\"" + entry + "\" is not an IP address or CIDR block");
            }
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }
}
