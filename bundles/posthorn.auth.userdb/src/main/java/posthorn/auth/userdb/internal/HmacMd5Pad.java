package posthorn.auth.userdb.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Makes Courier's {@code hmac-md5pw} value, as {@code userdbpw -hmac-md5} does: the MD5 chaining
 * states after HMAC-MD5's outer pad block (key XOR 0x5c) and inner pad block (key XOR 0x36), each as
 * four little-endian words, in hex (RFC 2195 section 3's precomputed "contexts"). The JDK's MD5
 * does not expose its state, so the one compression step needed is here. (auth.cram has the
 * counterpart that finishes an HMAC from these states; bundles share no internal code.)
 */
final class HmacMd5Pad {

    private static final int[] S = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};
    private static final int[] K = new int[64];

    static {
        for (int i = 0; i < 64; i++) {
            K[i] = (int) (long) Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296.0);
        }
    }

    private HmacMd5Pad() {
    }

    /** The 64 hex digits of the key's outer then inner pad state. */
    static String of(byte[] key) {
        byte[] k = key;
        if (k.length > 64) {
            try {
                k = MessageDigest.getInstance("MD5").digest(key);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        byte[] opad = new byte[64];
        byte[] ipad = new byte[64];
        for (int i = 0; i < 64; i++) {
            byte b = i < k.length ? k[i] : 0;
            opad[i] = (byte) (b ^ 0x5c);
            ipad[i] = (byte) (b ^ 0x36);
        }
        String hex = HexFormat.of().formatHex(stateAfter(opad)) + HexFormat.of().formatHex(stateAfter(ipad));
        Arrays.fill(opad, (byte) 0);
        Arrays.fill(ipad, (byte) 0);
        return hex;
    }

    /** MD5's state after one block from the initial state, as 16 little-endian bytes. */
    private static byte[] stateAfter(byte[] block) {
        int[] m = new int[16];
        for (int i = 0; i < 16; i++) {
            m[i] = (block[4 * i] & 0xff) | (block[4 * i + 1] & 0xff) << 8 | (block[4 * i + 2] & 0xff) << 16
                    | (block[4 * i + 3] & 0xff) << 24;
        }
        int[] h = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
        int a = h[0];
        int b = h[1];
        int c = h[2];
        int d = h[3];
        for (int i = 0; i < 64; i++) {
            int f;
            int g;
            if (i < 16) {
                f = (b & c) | (~b & d);
                g = i;
            } else if (i < 32) {
                f = (d & b) | (~d & c);
                g = (5 * i + 1) & 15;
            } else if (i < 48) {
                f = b ^ c ^ d;
                g = (3 * i + 5) & 15;
            } else {
                f = c ^ (b | ~d);
                g = (7 * i) & 15;
            }
            f += a + K[i] + m[g];
            a = d;
            d = c;
            c = b;
            b += Integer.rotateLeft(f, S[(i / 16) * 4 + (i & 3)]);
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        Arrays.fill(m, 0);
        byte[] out = new byte[16];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                out[4 * i + j] = (byte) (h[i] >>> (8 * j));
            }
        }
        return out;
    }
}
