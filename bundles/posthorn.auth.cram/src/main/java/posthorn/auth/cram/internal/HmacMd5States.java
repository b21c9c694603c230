package posthorn.auth.cram.internal;

import java.util.Arrays;

/**
 * HMAC-MD5 (RFC 2104) from precomputed pad states, as Courier's {@code hmac-md5pw} holds them:
 * 32 bytes, the state after the outer pad block (key XOR 0x5c...) then the state after the inner
 * pad block (key XOR 0x36...), each four little-endian words. Checked against Courier's
 * {@code userdbpw -hmac-md5} output in the tests.
 */
final class HmacMd5States {

    static final int LENGTH = 32;

    private HmacMd5States() {
    }

    /** HMAC-MD5 of {@code message} under the key whose states {@code states} are. */
    static byte[] mac(byte[] states, byte[] message) {
        if (states.length != LENGTH) {
            throw new IllegalArgumentException("HMAC-MD5 states are " + LENGTH + " bytes, not " + states.length);
        }
        int[] outer = Md5State.fromBytes(states, 0);
        int[] inner = Md5State.fromBytes(states, 16);
        byte[] innerDigest = Md5State.finish(inner, 64, message);
        byte[] mac = Md5State.finish(outer, 64, innerDigest);
        Arrays.fill(innerDigest, (byte) 0);
        Arrays.fill(outer, 0);
        Arrays.fill(inner, 0);
        return mac;
    }

    /** The states of a key, as {@code userdbpw -hmac-md5} computes them (for tests and tools). */
    static byte[] of(byte[] key) {
        byte[] k = key.length > 64 ? md5(key) : key;
        byte[] ipad = new byte[64];
        byte[] opad = new byte[64];
        for (int i = 0; i < 64; i++) {
            byte b = i < k.length ? k[i] : 0;
            ipad[i] = (byte) (b ^ 0x36);
            opad[i] = (byte) (b ^ 0x5c);
        }
        byte[] out = new byte[LENGTH];
        System.arraycopy(Md5State.toBytes(Md5State.afterBlock(opad)), 0, out, 0, 16);
        System.arraycopy(Md5State.toBytes(Md5State.afterBlock(ipad)), 0, out, 16, 16);
        Arrays.fill(ipad, (byte) 0);
        Arrays.fill(opad, (byte) 0);
        return out;
    }

    private static byte[] md5(byte[] b) {
        return Md5State.finish(Md5State.INITIAL, 0, b);
    }
}
