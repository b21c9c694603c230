package posthorn.imap.server.internal.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The PROXY protocol header as HAProxy's specification (proxy-protocol.txt) writes it: its examples
 * are read, and every way a header can be wrong, short, long or hostile is refused, the hostile cases
 * first. The reader takes the header's bytes and not one more.
 */
class ProxyHeaderTest {
    private static final ProxyHeader.BeforeRead NONE = () -> { };

    private static ProxyHeader read(byte[] bytes) throws IOException {
        return ProxyHeader.read(new ByteArrayInputStream(bytes), NONE);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A v2 header: the signature, version/command, family/transport, the length, then {@code body}. */
    private static byte[] v2(int versionCommand, int familyTransport, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ProxyHeader.V2_SIGNATURE);
        out.write(versionCommand);
        out.write(familyTransport);
        out.write(body.length >> 8);
        out.write(body.length & 0xff);
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    // --- hostile first ---

    @Test
    void aV1LineThatNeverEndsIsRefusedAfter107Bytes() {
        byte[] endless = ascii("PROXY TCP4 " + "1".repeat(500));
        CountingInput in = new CountingInput(endless);
        ProxyHeader.Malformed e = assertThrows(ProxyHeader.Malformed.class, () -> ProxyHeader.read(in, NONE));
        assertTrue(e.getMessage().contains("longer than 107"), e.getMessage());
        assertEquals(ProxyHeader.V1_MAX + 1, in.taken, "reads no further than one byte past the longest header");
    }

    @Test
    void aV1LineOf108BytesIsRefusedAndOneOf107Taken() throws IOException {
        // the specification's worst case is exactly 107 bytes
        String worst = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
        assertEquals(107, worst.length());
        assertNull(read(ascii(worst)).client());
        String longer = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 655355\r\n";
        assertThrows(ProxyHeader.Malformed.class, () -> read(ascii(longer)));
    }

    @Test
    void aTruncatedHeaderIsAnEndOfStreamNotAHeader() {
        assertThrows(EOFException.class, () -> read(ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 4")));
        byte[] whole = v2(0x21, 0x11, bytes(192, 168, 0, 1, 192, 168, 0, 11, 0xdc, 0x04, 0x01, 0xbb));
        for (int cut : new int[] {1, 5, 12, 15, 16, 20, whole.length - 1}) {
            byte[] part = java.util.Arrays.copyOf(whole, cut);
            assertThrows(EOFException.class, () -> read(part), "cut at " + cut);
        }
        assertThrows(EOFException.class, () -> read(new byte[0]));
    }

    @Test
    void aV2LengthOverTheBoundIsRefusedBeforeItIsRead() {
        byte[] head = v2(0x21, 0x11, new byte[0]);
        head[14] = (byte) 0xff;
        head[15] = (byte) 0xff; // 65535 announced
        CountingInput in = new CountingInput(head, 70_000);
        ProxyHeader.Malformed e = assertThrows(ProxyHeader.Malformed.class, () -> ProxyHeader.read(in, NONE));
        assertTrue(e.getMessage().contains("65535"), e.getMessage());
        assertEquals(16, in.taken, "nothing of the announced length was read");
    }

    @Test
    void aWrongSignatureIsRefused() {
        byte[] h = v2(0x21, 0x11, new byte[12]);
        h[7] = 'q'; // "QUIT" -> "qUIT"
        assertThrows(ProxyHeader.Malformed.class, () -> read(h));
        assertThrows(ProxyHeader.Malformed.class, () -> read(ascii("\r\nA0001 LOGIN a b\r\n")));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "a001 LOGIN user pass\r\n", // no header at all: a client that speaks first
        "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", // the keyword is upper case
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", // LF without CR
        "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", // two spaces
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", // a trailing space
        "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", // a field missing
        "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", // port out of range
        "PROXY TCP4 1.2.3.4 5.6.7.8 0443 2\r\n", // leading zero
        "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
        "PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n", // not an IPv4 address
        "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY TCP4 ::1 5.6.7.8 1 2\r\n", // TCP4 with an IPv6 address
        "PROXY TCP6 1.2.3.4 ::1 1 2\r\n", // TCP6 with an IPv4 address
        "PROXY TCP4 example.org 5.6.7.8 1 2\r\n", // a name: never a DNS lookup
        "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", // unknown protocol
        "PROXY\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\u0000\r\n", // a control byte
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\u00e9\r\n", // not ASCII
    })
    void malformedV1LinesAreRefused(String line) {
        assertThrows(ProxyHeader.Malformed.class, () -> read(ascii(line)), line);
    }

    @Test
    void aV2HeaderOfAnotherVersionOrAnUnknownCommandIsRefused() {
        byte[] addresses = bytes(192, 168, 0, 1, 192, 168, 0, 11, 0xdc, 0x04, 0x01, 0xbb);
        assertThrows(ProxyHeader.Malformed.class, () -> read(v2(0x11, 0x11, addresses))); // version 1
        assertThrows(ProxyHeader.Malformed.class, () -> read(v2(0x31, 0x11, addresses))); // version 3
        assertThrows(ProxyHeader.Malformed.class, () -> read(v2(0x22, 0x11, addresses))); // command 2
    }

    @Test
    void aV2HeaderOfAnUnknownFamilyOrOverUdpIsRefused() {
        byte[] addresses = bytes(192, 168, 0, 1, 192, 168, 0, 11, 0xdc, 0x04, 0x01, 0xbb);
        assertThrows(ProxyHeader.Malformed.class, () -> read(v2(0x21, 0x41, addresses))); // family 4
        assertThrows(ProxyHeader.Malformed.class, () -> read(v2(0x21, 0xf1, addresses))); // family 15
        assertThrows(ProxyHeader.Malformed.class, () -> read(v2(0x21, 0x12, addresses))); // UDP over IPv4
        assertThrows(ProxyHeader.Malformed.class, () -> read(v2(0x21, 0x13, addresses))); // transport 3
    }

    @Test
    void aV2LengthTooShortForItsAddressesIsRefused() {
        assertThrows(ProxyHeader.Malformed.class, () -> read(v2(0x21, 0x11, new byte[11])));
        assertThrows(ProxyHeader.Malformed.class, () -> read(v2(0x21, 0x21, new byte[35])));
        assertThrows(ProxyHeader.Malformed.class, () -> read(v2(0x21, 0x31, new byte[215])));
        assertThrows(ProxyHeader.Malformed.class, () -> read(v2(0x21, 0x11, new byte[0])));
    }

    @Test
    void theDeadlineIsAskedBeforeEveryRead() {
        AtomicInteger reads = new AtomicInteger();
        ProxyHeader.BeforeRead expiresAfterFive = () -> {
            if (reads.incrementAndGet() > 5) {
                throw new SocketTimeoutException("PROXY header not complete within proxy.timeout");
            }
        };
        // a proxy that trickles its header byte by byte runs into the one deadline for the whole header
        InputStream trickle = new ByteArrayInputStream(ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n")) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1));
            }
        };
        assertThrows(SocketTimeoutException.class, () -> ProxyHeader.read(trickle, expiresAfterFive));
    }

    // --- the specification's examples ---

    @Test
    void v1Tcp4AsInTheSpecification() throws IOException {
        byte[] bytes = ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nA1 CAPABILITY\r\n");
        InputStream in = new ByteArrayInputStream(bytes);
        ProxyHeader h = ProxyHeader.read(in, NONE);
        assertEquals("192.168.0.1", h.client().getAddress().getHostAddress());
        assertEquals(56324, h.client().getPort());
        assertEquals("v1 TCP4", h.kind());
        assertArrayEquals(ascii("A1 CAPABILITY\r\n"), in.readAllBytes(), "the session's bytes stay in the stream");
        ProxyHeader max = read(ascii("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"));
        assertEquals("255.255.255.255", max.client().getAddress().getHostAddress());
        assertEquals(65535, max.client().getPort());
    }

    @Test
    void v1Tcp6AsInTheSpecification() throws IOException {
        String line = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
        assertEquals(104, line.length());
        ProxyHeader h = read(ascii(line));
        assertEquals("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", h.client().getAddress().getHostAddress());
        ProxyHeader doc = read(ascii("PROXY TCP6 2001:db8::7 2001:db8::1 40000 143\r\n"));
        assertEquals("2001:db8:0:0:0:0:0:7", doc.client().getAddress().getHostAddress());
        assertEquals(40000, doc.client().getPort());
    }

    @Test
    void v1UnknownNamesNoClient() throws IOException {
        assertNull(read(ascii("PROXY UNKNOWN\r\n")).client());
        assertEquals("v1 UNKNOWN", read(ascii("PROXY UNKNOWN\r\n")).kind());
    }

    @Test
    void v2Tcp4AsInTheSpecification() throws IOException {
        byte[] header = v2(0x21, 0x11, bytes(192, 168, 0, 1, 192, 168, 0, 11, 0xdc, 0x04, 0x01, 0xbb));
        byte[] withSession = java.util.Arrays.copyOf(header, header.length + 3);
        withSession[header.length] = 'a';
        InputStream in = new ByteArrayInputStream(withSession);
        ProxyHeader h = ProxyHeader.read(in, NONE);
        assertEquals("192.168.0.1", h.client().getAddress().getHostAddress());
        assertEquals(56324, h.client().getPort());
        assertEquals("v2 TCP4", h.kind());
        assertEquals('a', in.read(), "the session's bytes stay in the stream");
    }

    @Test
    void v2Tcp6WithTlvsAfterTheAddresses() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07)); // 2001:db8::7
        body.writeBytes(bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01));
        body.writeBytes(bytes(0x9c, 0x40, 0x00, 0x8f)); // 40000 -> 143
        body.writeBytes(bytes(0x04, 0x00, 0x04, 0, 0, 0, 0)); // PP2_TYPE_NOOP TLV, 4 bytes, skipped
        ProxyHeader h = read(v2(0x21, 0x21, body.toByteArray()));
        assertEquals("2001:db8:0:0:0:0:0:7", h.client().getAddress().getHostAddress());
        assertEquals(40000, h.client().getPort());
        assertEquals("v2 TCP6", h.kind());
    }

    @Test
    void v2LocalUnspecAndUnixNameNoClient() throws IOException {
        assertEquals("v2 LOCAL", read(v2(0x20, 0x00, new byte[0])).kind());
        assertNull(read(v2(0x20, 0x11, bytes(1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2))).client(), "LOCAL ignores addresses");
        assertNull(read(v2(0x21, 0x00, new byte[0])).client());
        assertNull(read(v2(0x21, 0x31, new byte[216])).client());
    }

    /** A stream that counts what was taken from it, to show the reader stops where it must. */
    private static final class CountingInput extends InputStream {
        private final byte[] data;
        private final int size;
        int taken;

        CountingInput(byte[] data) {
            this(data, data.length);
        }

        /** {@code data}, then zeros up to {@code size} bytes. */
        CountingInput(byte[] data, int size) {
            this.data = data;
            this.size = size;
        }

        @Override
        public int read() {
            if (taken >= size) {
                return -1;
            }
            return taken < data.length ? data[taken++] & 0xff : (taken++ & 0);
        }
    }
}
