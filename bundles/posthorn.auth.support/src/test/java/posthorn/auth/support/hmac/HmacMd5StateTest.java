package posthorn.auth.support.hmac;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HmacMd5StateTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void md5MatchesTheJdkForEveryLength() throws Exception {
        Random r = new Random(42);
        for (int n = 0; n < 300; n++) {
            byte[] data = new byte[n];
            r.nextBytes(data);
            assertArrayEquals(MessageDigest.getInstance("MD5").digest(data), Md5Block.finish(Md5Block.INITIAL, 0, data),
                    "length " + n);
        }
    }

    /** {@code printf '%s\n' KEY | userdbpw -hmac-md5} (Courier 0.72, Debian's courier-authlib-userdb). */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            alice-cram|449b1d7ebea85a5a0e691f6159abdee1f37ff03a5f3aeb73fbfaaee5a9218065
            x|4638c77f1a70c6fda4ddfa6fbe34e6ee090a0f0088f15da8fed5e0a5ff2b4152
            a much longer password than sixty-four bytes, which is hashed first!!|5c758e27c276fca55aa5876373381c7f59d49ae85b11956f4e119f27e3362c04
            """)
    void statesAreCouriersOuterThenInner(String key, String userdbpw) {
        assertEquals(userdbpw, HexFormat.of().formatHex(HmacMd5State.of(utf8(key))));
    }

    @Test
    void macFromStatesEqualsTheJdksHmacMd5() throws Exception {
        Random r = new Random(7);
        for (String key : new String[] {"alice-cram", "", "k".repeat(64), "long key ".repeat(20), "пароль"}) {
            byte[] states = HmacMd5State.of(utf8(key));
            for (int n : new int[] {0, 1, 40, 55, 56, 64, 119, 200}) {
                byte[] msg = new byte[n];
                r.nextBytes(msg);
                Mac mac = Mac.getInstance("HmacMD5");
                // a zero byte pads like no key at all; the JDK refuses an empty key
                mac.init(new SecretKeySpec(key.isEmpty() ? new byte[1] : utf8(key), "HmacMD5"));
                assertArrayEquals(mac.doFinal(msg), HmacMd5State.mac(states, msg), key + " / " + n);
            }
        }
    }

    @Test
    void rfc2195Example() {
        byte[] states = HmacMd5State.of(utf8("tanstaaftanstaaf"));
        byte[] digest = HmacMd5State.mac(states, utf8("<1896.697170952@postoffice.reston.mci.net>"));
        assertEquals("b913a602c7eda7a495b4e6e7334d3890", HexFormat.of().formatHex(digest));
    }

    @Test
    void theKeyIsLeftAsItWasAndStatesMustBe32Bytes() {
        byte[] key = utf8("k".repeat(100));
        HmacMd5State.of(key);
        assertArrayEquals(utf8("k".repeat(100)), key);
        assertThrows(IllegalArgumentException.class, () -> HmacMd5State.mac(new byte[31], new byte[0]));
    }
}
