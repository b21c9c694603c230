package posthorn.imap.server.internal.net;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The PROXY protocol header a proxy (nginx's mail module with {@code proxy_protocol on}, HAProxy's
 * {@code send-proxy} / {@code send-proxy-v2}) sends before anything else on a connection it opens to
 * the server, naming the client it stands for. Both versions of HAProxy's specification
 * (proxy-protocol.txt, "The PROXY protocol, Versions 1 &amp; 2"): v1, one line of text
 * ({@code PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n}, at most 107 bytes with its CRLF,
 * section 2.1), and v2, a 16-byte binary header (a 12-byte signature, version and command, family
 * and transport, the length of what follows) and the addresses (section 2.2).
 *
 * <p>Read only from a trusted proxy (imapd.cfg proxy.trusted), and strictly: the reader takes exactly
 * the header's bytes from the stream, never more (v1 byte by byte up to its LF, v2 its announced
 * length), so what follows is the IMAP session's, untouched; anything that is not a whole, well-formed
 * header within the bounds is {@link Malformed}. As the specification asks, a header that names no
 * client (v1 {@code UNKNOWN}, v2 {@code LOCAL} such as a proxy's health check, or a family other than
 * TCP over IPv4/IPv6) is accepted and the connection's own address stands: {@link #client} is null then.
 * Stateless; the parsing methods are pure (the unit tests feed them the specification's examples).
 */
public final class ProxyHeader {
    /** Section 2.1: the longest v1 line, {@code PROXY TCP6} with two full IPv6 addresses and ports, CRLF included. */
    public static final int V1_MAX = 107;
    /** Section 2.2: the v2 signature. */
    static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    /**
     * The most bytes after the 16-byte v2 header accepted: the longest address block (AF_UNIX, 216
     * bytes) and TLVs beside it; HAProxy's own receive buffer for the header holds 16 + 216 + TLVs
     * (the specification's recommended minimum is 536 bytes in all). A longer announced length is refused
     * before any of it is read.
     */
    public static final int V2_MAX_PAYLOAD = 1024;

    /** The client the header names (address and port), or null when it names none (UNKNOWN, LOCAL). */
    private final InetSocketAddress client;
    /** What the header was, for log lines: {@code v1 TCP4}, {@code v2 LOCAL}, ... */
    private final String kind;

    private ProxyHeader(InetSocketAddress client, String kind) {
        this.client = client;
        this.kind = kind;
    }

    /** The client the proxy stands for, or null: use the connection's own address. */
    public InetSocketAddress client() {
        return client;
    }

    public String kind() {
        return kind;
    }

    /** Not a PROXY header, or not one within the bounds: the connection is closed. */
    public static final class Malformed extends IOException {
        public Malformed(String reason) {
            super(reason);
        }
    }

    /**
     * Called before each read, so the caller can hold the whole header to one deadline (a proxy that
     * sends a byte a second must not keep the connection for 107 seconds): typically it sets the
     * socket's read timeout to the time left, or throws SocketTimeoutException when none is left.
     */
    @FunctionalInterface
    public interface BeforeRead {
        void check() throws IOException;
    }

    /**
     * Reads one header, v1 or v2 (told apart by the first byte: {@code P} or CR), and not a byte after it.
     *
     * @throws Malformed no header, a bad one, or one over the bounds
     * @throws EOFException the proxy closed the connection within the header
     * @throws java.net.SocketTimeoutException from {@code before} or the stream: the header did not come in time
     */
    public static ProxyHeader read(InputStream in, BeforeRead before) throws IOException {
        int first = readByte(in, before);
        if (first == 'P') {
            byte[] line = new byte[V1_MAX];
            line[0] = 'P';
            int n = 1;
            while (true) {
                int b = readByte(in, before);
                if (n == V1_MAX) {
                    throw new Malformed("v1 header longer than " + V1_MAX + " bytes");
                }
                line[n++] = (byte) b;
                if (b == '\n') {
                    return parseV1(Arrays.copyOf(line, n));
                }
            }
        }
        if (first == V2_SIGNATURE[0]) {
            byte[] head = new byte[16];
            head[0] = (byte) first;
            readFully(in, head, 1, 15, before);
            int length = ((head[14] & 0xff) << 8) | (head[15] & 0xff);
            checkV2Head(head);
            if (length > V2_MAX_PAYLOAD) {
                throw new Malformed("v2 header announces " + length + " bytes of addresses and TLVs; at most "
                        + V2_MAX_PAYLOAD + " accepted");
            }
            byte[] payload = new byte[length];
            readFully(in, payload, 0, length, before);
            return parseV2(head, payload);
        }
        throw new Malformed("no PROXY header (first byte 0x" + Integer.toHexString(first) + ")");
    }

    /**
     * A v1 line, CRLF included (section 2.1): {@code PROXY TCP4|TCP6 SRC DST SPORT DPORT} with single
     * spaces, addresses in their family's literal form, decimal ports 0 to 65535; or {@code PROXY UNKNOWN}
     * with anything up to the CRLF, which names no client.
     */
    public static ProxyHeader parseV1(byte[] line) throws Malformed {
        int n = line.length;
        if (n > V1_MAX) {
            throw new Malformed("v1 header longer than " + V1_MAX + " bytes");
        }
        if (n < 2 || line[n - 2] != '\r' || line[n - 1] != '\n') {
            throw new Malformed("v1 header does not end in CRLF");
        }
        for (int i = 0; i < n - 2; i++) {
            if (line[i] < 0x20 || line[i] > 0x7e) {
                throw new Malformed("v1 header holds a byte that is not printable ASCII (0x"
                        + Integer.toHexString(line[i] & 0xff) + ")");
            }
        }
        String text = new String(line, 0, n - 2, StandardCharsets.US_ASCII);
        if (text.equals("PROXY UNKNOWN") || text.startsWith("PROXY UNKNOWN ")) {
            return new ProxyHeader(null, "v1 UNKNOWN");
        }
        String[] f = text.split(" ", -1);
        if (f.length != 6 || !f[0].equals("PROXY")) {
            throw new Malformed("v1 header is not PROXY TCP4|TCP6|UNKNOWN SRC DST SPORT DPORT");
        }
        boolean v4;
        switch (f[1]) {
            case "TCP4" -> v4 = true;
            case "TCP6" -> v4 = false;
            default -> throw new Malformed("v1 header names the unknown protocol " + printable(f[1]));
        }
        InetAddress source = address(f[2], v4);
        address(f[3], v4);
        int sourcePort = port(f[4]);
        port(f[5]);
        return new ProxyHeader(new InetSocketAddress(source, sourcePort), "v1 " + f[1]);
    }

    /** The fixed part of a v2 header: the signature, version 2, a known command. */
    private static void checkV2Head(byte[] head) throws Malformed {
        if (!Arrays.equals(head, 0, 12, V2_SIGNATURE, 0, 12)) {
            throw new Malformed("v2 header has a wrong signature");
        }
        int version = (head[12] & 0xf0) >> 4;
        int command = head[12] & 0x0f;
        if (version != 2) {
            throw new Malformed("v2 header has version " + version + ", not 2");
        }
        if (command > 1) {
            throw new Malformed("v2 header has the unknown command " + command);
        }
    }

    /**
     * A v2 header (section 2.2): {@code head} its 16 fixed bytes, {@code payload} the length they announce.
     * LOCAL (command 0) names no client, whatever follows; PROXY over TCP (STREAM) on IPv4 or IPv6 names
     * one; PROXY with an unspecified or Unix family names none (the specification: use the connection's
     * own addresses); PROXY over UDP is refused (this is a TCP service). TLVs after the addresses are
     * skipped.
     */
    public static ProxyHeader parseV2(byte[] head, byte[] payload) throws Malformed {
        if (head.length != 16) {
            throw new Malformed("v2 header is not 16 bytes");
        }
        checkV2Head(head);
        int length = ((head[14] & 0xff) << 8) | (head[15] & 0xff);
        if (payload.length != length) {
            throw new Malformed("v2 header announces " + length + " bytes, " + payload.length + " given");
        }
        if ((head[12] & 0x0f) == 0) {
            return new ProxyHeader(null, "v2 LOCAL");
        }
        int family = (head[13] & 0xf0) >> 4;
        int transport = head[13] & 0x0f;
        if (transport == 2) {
            throw new Malformed("v2 header is for a datagram (UDP) connection");
        }
        if (transport > 2) {
            throw new Malformed("v2 header has the unknown transport " + transport);
        }
        int size;
        switch (family) {
            case 0 -> {
                return new ProxyHeader(null, "v2 UNSPEC");
            }
            case 1 -> size = 4;
            case 2 -> size = 16;
            case 3 -> {
                if (length < 216) {
                    throw new Malformed("v2 header announces Unix addresses in " + length + " bytes; 216 needed");
                }
                return new ProxyHeader(null, "v2 UNIX");
            }
            default -> throw new Malformed("v2 header has the unknown address family " + family);
        }
        if (transport == 0) {
            return new ProxyHeader(null, "v2 UNSPEC");
        }
        if (length < 2 * size + 4) {
            throw new Malformed("v2 header announces " + length + " bytes; its addresses need " + (2 * size + 4));
        }
        byte[] src = Arrays.copyOfRange(payload, 0, size);
        int sourcePort = ((payload[2 * size] & 0xff) << 8) | (payload[2 * size + 1] & 0xff);
        try {
            return new ProxyHeader(new InetSocketAddress(InetAddress.getByAddress(src), sourcePort),
                    family == 1 ? "v2 TCP4" : "v2 TCP6");
        } catch (UnknownHostException e) {
            throw new Malformed("v2 header's source address: " + e.getMessage()); // cannot happen: 4 or 16 bytes
        }
    }

    /** An address literal of the family the header names; never a DNS lookup. */
    private static InetAddress address(String text, boolean v4) throws Malformed {
        boolean ok = v4 ? text.matches("(0|[1-9]\\d{0,2})(\\.(0|[1-9]\\d{0,2})){3}")
                && Arrays.stream(text.split("\\.")).allMatch(o -> Integer.parseInt(o) <= 255)
                : text.contains(":") && text.matches("[0-9A-Fa-f:.]{2,45}");
        if (!ok) {
            throw new Malformed("v1 header's address " + printable(text) + " is not an " + (v4 ? "IPv4" : "IPv6") + " address");
        }
        try {
            // A TCP6 header may name an IPv4-mapped address (::ffff:192.0.2.1, a dual-stack proxy):
            // the JDK gives it as the IPv4 address it maps, which is what rules and limits compare.
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new Malformed("v1 header's address " + printable(text) + " is not an " + (v4 ? "IPv4" : "IPv6") + " address");
        }
    }

    private static int port(String text) throws Malformed {
        if (!text.matches("0|[1-9]\\d{0,4}") || Integer.parseInt(text) > 65535) {
            throw new Malformed("v1 header's port " + printable(text) + " is not a number from 0 to 65535");
        }
        return Integer.parseInt(text);
    }

    private static String printable(String s) {
        String t = s.length() > 48 ? s.substring(0, 48) + "..." : s;
        return "\"" + t.replace('"', '\'') + "\"";
    }

    private static int readByte(InputStream in, BeforeRead before) throws IOException {
        before.check();
        int b = in.read();
        if (b < 0) {
            throw new EOFException("connection closed within the PROXY header");
        }
        return b;
    }

    private static void readFully(InputStream in, byte[] into, int offset, int length, BeforeRead before) throws IOException {
        int done = 0;
        while (done < length) {
            before.check();
            int n = in.read(into, offset + done, length - done);
            if (n < 0) {
                throw new EOFException("connection closed within the PROXY header");
            }
            done += n;
        }
    }

    @Override
    public String toString() {
        return kind + (client == null ? "" : " " + client.getAddress().getHostAddress() + ":" + client.getPort());
    }
}
