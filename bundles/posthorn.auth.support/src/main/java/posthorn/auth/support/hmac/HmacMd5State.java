package posthorn.auth.support.hmac;

import java.util.Arrays;

/**
 * HMAC-MD5 (RFC 2104) kept as precomputed pad states, as Courier's {@code hmac-md5pw} field holds
 * it and {@code userdbpw -hmac-md5} writes it (RFC 2195 section 3's "contexts"): 32 bytes, MD5's
 * chaining state after the outer pad block (key XOR 0x5c) and then after the inner pad block (key
 * XOR 0x36), each as four little-endian words. A key longer than 64 bytes is its MD5 digest first.
 * From the states a CRAM-MD5 digest can be checked without the password. Stateless and
 * thread-safe; every temporary copy of key material is cleared.
 */
public final class HmacMd5State {

    /** Bytes in a state (64 hex digits in a userdb file). */
    public static final int LENGTH = 32;

    private HmacMd5State() {
    }

    /** The pad states of {@code key}, outer then inner. */
    public static byte[] of(byte[] key) {
        byte[] k = key.length > 64 ? Md5Block.finish(Md5Block.INITIAL, 0, key) : key;
        byte[] ipad = new byte[64];
        byte[] opad = new byte[64];
        for (int i = 0; i < 64; i++) {
            byte b = i < k.length ? k[i] : 0;
            ipad[i] = (byte) (b ^ 0x36);
            opad[i] = (byte) (b ^ 0x5c);
        }
        int[] outer = Md5Block.afterBlock(opad);
        int[] inner = Md5Block.afterBlock(ipad);
        byte[] outerBytes = Md5Block.toBytes(outer);
        byte[] innerBytes = Md5Block.toBytes(inner);
        byte[] out = new byte[LENGTH];
        System.arraycopy(outerBytes, 0, out, 0, 16);
        System.arraycopy(innerBytes, 0, out, 16, 16);
        Arrays.fill(outerBytes, (byte) 0);
        Arrays.fill(innerBytes, (byte) 0);
        Arrays.fill(ipad, (byte) 0);
        Arrays.fill(opad, (byte) 0);
        Arrays.fill(outer, 0);
        Arrays.fill(inner, 0);
        if (k != key) {
            Arrays.fill(k, (byte) 0);
        }
        return out;
    }

    /**
     * HMAC-MD5 of {@code message} under the key whose states these are.
     *
     * @throws IllegalArgumentException if {@code states} is not {@value #LENGTH} bytes
     */
    public static byte[] mac(byte[] states, byte[] message) {
        if (states.length != LENGTH) {
            throw new IllegalArgumentException("HMAC-MD5 states are " + LENGTH + " bytes, not " + states.length);
        }
        int[] outer = Md5Block.fromBytes(states, 0);
        int[] inner = Md5Block.fromBytes(states, 16);
        byte[] innerDigest = Md5Block.finish(inner, 64, message);
        byte[] mac = Md5Block.finish(outer, 64, innerDigest);
        Arrays.fill(innerDigest, (byte) 0);
        Arrays.fill(outer, 0);
        Arrays.fill(inner, 0);
        return mac;
    }
}
