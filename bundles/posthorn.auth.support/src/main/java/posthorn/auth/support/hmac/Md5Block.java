package posthorn.auth.support.hmac;

import java.util.Arrays;

/**
 * MD5 (RFC 1321) that can start from a saved chaining state instead of the initial one, which the
 * JDK's MessageDigest cannot: HMAC-MD5 from precomputed pad states needs exactly that. Stateless
 * and thread-safe.
 */
final class Md5Block {

    /** MD5's initial chaining state A, B, C, D. */
    static final int[] INITIAL = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};

    private static final int[] S = {
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
    private static final int[] K = new int[64];

    static {
        for (int i = 0; i < 64; i++) {
            K[i] = (int) (long) Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296.0);
        }
    }

    private Md5Block() {
    }

    /**
     * The digest of {@code data} appended to {@code prefixLength} bytes already folded into
     * {@code state}. {@code prefixLength} must be a multiple of 64.
     */
    static byte[] finish(int[] state, long prefixLength, byte[] data) {
        if (prefixLength % 64 != 0) {
            throw new IllegalArgumentException("prefix length not a multiple of 64");
        }
        int[] h = state.clone();
        long total = prefixLength + data.length;
        int padded = (data.length + 8) / 64 * 64 + 64;
        byte[] buf = new byte[padded];
        System.arraycopy(data, 0, buf, 0, data.length);
        buf[data.length] = (byte) 0x80;
        long bits = total * 8;
        for (int i = 0; i < 8; i++) {
            buf[padded - 8 + i] = (byte) (bits >>> (8 * i));
        }
        for (int off = 0; off < padded; off += 64) {
            compress(h, buf, off);
        }
        Arrays.fill(buf, (byte) 0);
        byte[] out = toBytes(h);
        Arrays.fill(h, 0);
        return out;
    }

    /** The state after one 64-byte block from the initial state (an HMAC pad block). */
    static int[] afterBlock(byte[] block) {
        if (block.length != 64) {
            throw new IllegalArgumentException("not a 64-byte block");
        }
        int[] h = INITIAL.clone();
        compress(h, block, 0);
        return h;
    }

    /** Four little-endian words from {@code b} at {@code off}. */
    static int[] fromBytes(byte[] b, int off) {
        int[] h = new int[4];
        for (int i = 0; i < 4; i++) {
            h[i] = word(b, off + 4 * i);
        }
        return h;
    }

    /** The state as four little-endian words (16 bytes), which is also how MD5 writes its digest. */
    static byte[] toBytes(int[] h) {
        byte[] out = new byte[16];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                out[4 * i + j] = (byte) (h[i] >>> (8 * j));
            }
        }
        return out;
    }

    private static int word(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16 | (b[p + 3] & 0xff) << 24;
    }

    private static void compress(int[] h, byte[] b, int off) {
        int[] m = fromBytes16(b, off);
        int a = h[0];
        int bb = h[1];
        int c = h[2];
        int d = h[3];
        for (int i = 0; i < 64; i++) {
            int f;
            int g;
            if (i < 16) {
                f = (bb & c) | (~bb & d);
                g = i;
            } else if (i < 32) {
                f = (d & bb) | (~d & c);
                g = (5 * i + 1) & 15;
            } else if (i < 48) {
                f = bb ^ c ^ d;
                g = (3 * i + 5) & 15;
            } else {
                f = c ^ (bb | ~d);
                g = (7 * i) & 15;
            }
            f += a + K[i] + m[g];
            a = d;
            d = c;
            c = bb;
            bb += Integer.rotateLeft(f, S[i]);
        }
        h[0] += a;
        h[1] += bb;
        h[2] += c;
        h[3] += d;
        Arrays.fill(m, 0);
    }

    private static int[] fromBytes16(byte[] b, int off) {
        int[] m = new int[16];
        for (int i = 0; i < 16; i++) {
            m[i] = word(b, off + 4 * i);
        }
        return m;
    }
}
