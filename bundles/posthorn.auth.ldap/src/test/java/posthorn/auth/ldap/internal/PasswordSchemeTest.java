package posthorn.auth.ldap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

import org.apache.commons.codec.digest.Crypt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import posthorn.auth.ldap.internal.PasswordScheme.Outcome;

class PasswordSchemeTest {

    private static final byte[] RIGHT = "right pw".getBytes(StandardCharsets.UTF_8);
    private static final byte[] WRONG = "wrong pw".getBytes(StandardCharsets.UTF_8);

    /** Made by OpenLDAP's slappasswd -s 'right pw' (2.5.13, Debian 12). */
    @ParameterizedTest
    @ValueSource(strings = {
        "{SSHA}23wEHWohY2ShwIeLCoSJqZiKH2j+TUAf",
        "{SHA}IuAig7L9NTcm9GZim0EerT2kwXo=",
        "{MD5}cSPhUjfqLHC+RBUsCS6tIQ==",
        "{SMD5}KNVu0wWSLqSWKcR+5fne7LjsJD4=",
        "{CRYPT}$6$UlAmj35bkw/rO2E2$KKa/b5Aky6lSzES8PC9bvCODl270PuTtVbjmtlqGZf0U1xpRkK9k3xKab64esMjaOhqTcD/TuMiSdRAjGXPrL/",
        "{CRYPT}$1$1aIUIYol$riaC/7RPqptTbmfVVX3aY0",
        "{CRYPT}$2b$05$wSv3AbrFYv4sriRP8djiz.WLsuF9yV8Uq4RkO70nX7k/beje7tXVK", // mkpasswd -m bcrypt
        "{ssha}23wEHWohY2ShwIeLCoSJqZiKH2j+TUAf",
    })
    void slappasswdValuesMatchTheRightPasswordOnly(String stored) {
        assertTrue(PasswordScheme.supported(PasswordScheme.scheme(stored)));
        assertEquals(Outcome.MATCH, PasswordScheme.check(stored, RIGHT));
        assertEquals(Outcome.MISMATCH, PasswordScheme.check(stored, WRONG));
        assertEquals(Outcome.MISMATCH, PasswordScheme.check(stored, new byte[0]));
    }

    @Test
    void ssha512AndSha256() throws Exception {
        byte[] salt = {1, 2, 3, 4, 5, 6, 7, 8};
        MessageDigest md = MessageDigest.getInstance("SHA-512");
        md.update(RIGHT);
        md.update(salt);
        byte[] digest = md.digest();
        byte[] both = new byte[digest.length + salt.length];
        System.arraycopy(digest, 0, both, 0, digest.length);
        System.arraycopy(salt, 0, both, digest.length, salt.length);
        String ssha512 = "{SSHA512}" + Base64.getEncoder().encodeToString(both);
        assertEquals(Outcome.MATCH, PasswordScheme.check(ssha512, RIGHT));
        assertEquals(Outcome.MISMATCH, PasswordScheme.check(ssha512, WRONG));

        String sha256 = "{SHA256}" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(RIGHT));
        assertEquals(Outcome.MATCH, PasswordScheme.check(sha256, RIGHT));
        assertEquals(Outcome.MISMATCH, PasswordScheme.check(sha256, WRONG));
    }

    @Test
    void thePasswordArraySurvivesACryptCheck() {
        byte[] pw = RIGHT.clone();
        PasswordScheme.check("{CRYPT}$6$UlAmj35bkw/rO2E2$KKa/b5Aky6lSzES8PC9bvCODl270PuTtVbjmtlqGZf0U1xpRkK9k3xKab64esMjaOhqTcD/TuMiSdRAjGXPrL/", pw);
        assertEquals("right pw", new String(pw, StandardCharsets.UTF_8));
    }

    @Test
    void bcryptCryptRefusesAPasswordLongerThan72Bytes() {
        // libxcrypt's bcrypt of these 72 bytes (mkpasswd -m bcrypt -R 4), which would take them
        // followed by anything
        String pw72 = "0123456789".repeat(7) + "01";
        String stored = "{CRYPT}$2b$05$uX7MnliOm15CRoC0P8q5CupVlLovwmz6ZUqMSOUJLfLh4IYjoCCna";
        assertEquals(Outcome.MATCH, PasswordScheme.check(stored, pw72.getBytes(StandardCharsets.UTF_8)));
        assertEquals(Outcome.MISMATCH, PasswordScheme.check(stored, (pw72 + "z").getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void lockedCryptValuesNeverMatch() {
        assertEquals(Outcome.MISMATCH, PasswordScheme.check(
                "{CRYPT}!$1$1aIUIYol$riaC/7RPqptTbmfVVX3aY0", RIGHT));
        assertEquals(Outcome.MISMATCH, PasswordScheme.check("{CRYPT}*", "*".getBytes(StandardCharsets.UTF_8)));
        assertEquals(Outcome.MISMATCH, PasswordScheme.check("{CRYPT}", new byte[0]));
    }

    @Test
    void desCryptFromCommonsCodec() {
        String des = "{CRYPT}" + Crypt.crypt("right pw", "ab");
        assertEquals(Outcome.MATCH, PasswordScheme.check(des, RIGHT));
        assertEquals(Outcome.MISMATCH, PasswordScheme.check(des, WRONG));
    }

    @Test
    void schemesThisCodeCannotComputeAreUnsupportedNotMismatched() {
        // yescrypt, as slappasswd -c '$y$j9T$%.16s' makes it with Debian's libcrypt
        assertEquals(Outcome.UNSUPPORTED, PasswordScheme.check(
                "{CRYPT}$y$j9T$Bh7KC4rs5K30LZXV$gbhm7Gfr5yFXESXC.hbt5iwClNHX2ajnu.KWPhczxlC", RIGHT));
        assertEquals(Outcome.UNSUPPORTED, PasswordScheme.check("{ARGON2}$argon2id$v=19$m=65536,t=2,p=1$xx$yy", RIGHT));
        assertFalse(PasswordScheme.supported("ARGON2"));
        assertFalse(PasswordScheme.supported(null));
    }

    @Test
    void malformedValuesNeverMatch() {
        assertEquals(Outcome.MISMATCH, PasswordScheme.check("{SSHA}not base64!!", RIGHT));
        assertEquals(Outcome.MISMATCH, PasswordScheme.check("{SSHA}AAAA", RIGHT)); // shorter than a digest
        assertEquals(Outcome.MISMATCH, PasswordScheme.check("{SHA}", RIGHT));
        assertEquals(Outcome.MISMATCH, PasswordScheme.check("{SSHA}", new byte[0]));
    }

    @Test
    void schemePrefix() {
        assertEquals("SSHA", PasswordScheme.scheme("{ssha}abc"));
        assertEquals("CLEARTEXT", PasswordScheme.scheme("{CLEARTEXT}x"));
        assertNull(PasswordScheme.scheme("plain text"));
        assertNull(PasswordScheme.scheme("{not a scheme}x"));
        assertNull(PasswordScheme.scheme(""));
    }
}
