package posthorn.auth.support.crypt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import posthorn.auth.api.Secret;
import posthorn.auth.support.crypt.CryptHash.Outcome;

class CryptHashTest {

    /** 72 bytes: bcrypt's whole reach. */
    static final String PW72 = "0123456789".repeat(7) + "01";
    /** mkpasswd -m bcrypt -R 4 "$PW72" (libxcrypt): libxcrypt matches PW72 + anything against it. */
    static final String BCRYPT_OF_PW72 = "$2b$05$uX7MnliOm15CRoC0P8q5CupVlLovwmz6ZUqMSOUJLfLh4IYjoCCna";

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Hashes made by other programs, never by the code under test: OpenSSL 3's {@code openssl
     * passwd}, libxcrypt's {@code mkpasswd} (Debian package whois) and Courier's {@code userdbpw}.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ' ', textBlock = """
            sha512 s3cret-sha512 $6$Fixture6Salt0001$ZdTss.CQjNPacWMnja.ZypFDRfkPurU2l0hmEs2TbLdzqpWeAOmJm/tSo05rw6FDERwv9hMegwCCY61NFctvA/
            sha512-rounds s3cret-rounds $6$rounds=10000$roundsSalt12$md/JFUfv06jEdy4.vgyEGRs095NoaMPiIzUEueEs00/ShRzkWMFdobGlxV4xf4OHh7QUTL97vqtyef/xuGOHS0
            sha512-utf8 pässwörd $6$Utf8Salt$TMywKmDqW.maAeYP8RdZj9u61Gxmh7igCaWqm7g8APMlTSTyj1cWbnIDuXhVozJ3/RcGE.EEQCOgkZXLEaBF20
            sha256 s3cret-sha256 $5$Fixture5Salt0001$CusSpkE42yP9zsWqTp7//a/080RHusMKKHmWmWd/tKC
            md5 s3cret-md5 $1$Fix1Salt$dmB8OWfzzauJktyG9KnvD/
            md5-userdbpw s3cret-courier $1$XF4x1wPA$GiSU/WtLyTf6yOlioRqPG0
            bcrypt-2b s3cret-bf $2b$05$lUfPIuBqkYiJ/629OgXSce1gCkaY7Yii5R9NQ5pYXYHaHYcHWHcqe
            bcrypt-2a s3cret-bf2a $2a$05$F9SNExS49/XiSX4FssJeHeuUuOuQI2hY2yCQ2769YhEHMCjASNy/y
            bcrypt-2y s3cret-bf $2y$05$lUfPIuBqkYiJ/629OgXSce1gCkaY7Yii5R9NQ5pYXYHaHYcHWHcqe
            bcrypt-utf8 pässwörd $2b$05$IirQVO4sebzAnElXIPDODO18E2385aWxeR8MiCqGSfiG8aOKjxyWC
            des desPw1 abn.SQBXeRcr6
            """)
    void everySchemeMatchesItsPasswordOnly(String scheme, String password, String hash) {
        assertEquals(Outcome.MATCH, CryptHash.check(hash, utf8(password)), scheme);
        assertEquals(Outcome.MISMATCH, CryptHash.check(hash, utf8(password + "x")), scheme);
        assertEquals(Outcome.MISMATCH, CryptHash.check(hash, utf8("x" + password)), scheme);
        assertEquals(Outcome.MISMATCH, CryptHash.check(hash, utf8("")), scheme);
    }

    @Test
    void desLooksAtTheFirstEightCharactersOnly() {
        // traditional crypt(3) behaviour, which is why DES hashes deserve replacing
        // mkpasswd -m descrypt -S x7 12345678
        assertEquals(Outcome.MATCH, CryptHash.check("x7koKUvRMmvR.", utf8("12345678 and more")));
        assertEquals(Outcome.MISMATCH, CryptHash.check("x7koKUvRMmvR.", utf8("1234567")));
    }

    @Test
    void bcryptRefusesPasswordsLongerThan72Bytes() {
        assertEquals(Outcome.MATCH, CryptHash.check(BCRYPT_OF_PW72, utf8(PW72)));
        assertEquals(Outcome.MISMATCH, CryptHash.check(BCRYPT_OF_PW72, utf8(PW72.substring(0, 71))));
        // libxcrypt would match these two (it reads the first 72 bytes); refused here on purpose
        assertEquals(Outcome.MISMATCH, CryptHash.check(BCRYPT_OF_PW72, utf8(PW72 + "z")));
        assertEquals(Outcome.MISMATCH, CryptHash.check(BCRYPT_OF_PW72, utf8(PW72 + "z".repeat(100))));
        // the limit is in bytes: 36 two-byte characters are 72 bytes, one more is 74
        String hash = CryptHash.bcrypt(utf8("ä".repeat(36)), new SecureRandom());
        assertEquals(Outcome.MATCH, CryptHash.check(hash, utf8("ä".repeat(36))));
        assertEquals(Outcome.MISMATCH, CryptHash.check(hash, utf8("ä".repeat(37))));
    }

    /** The shadow(5) markers, and what is not crypt(3) at all. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = ' ', quoteCharacter = '~', textBlock = """
            !$6$Fixture6Salt0001$ZdTss.CQjNPacWMnja.ZypFDRfkPurU2l0hmEs2TbLdzqpWeAOmJm/tSo05rw6FDERwv9hMegwCCY61NFctvA/ LOCKED
            ! LOCKED
            !! LOCKED
            * NO_PASSWORD
            *LK* NO_PASSWORD
            ~~ NO_PASSWORD
            $y$j9T$1nuwTjRsbnQ4lz/bXRFoa/$Z/opIiT1NzZ0hYmSINVN7/7RbUimZIvDzvOuztkQWg9 UNSUPPORTED
            $gy$j9T$1nuwTjRsbnQ4lz/bXRFoa/$Z/opIiT1NzZ0hYmSINVN7/7RbUimZIvDzvOuztkQWg9 UNSUPPORTED
            {SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g= UNSUPPORTED
            $2x$05$lUfPIuBqkYiJ/629OgXSce1gCkaY7Yii5R9NQ5pYXYHaHYcHWHcqe UNSUPPORTED
            plaintext-secret UNSUPPORTED
            x UNSUPPORTED
            $2b$05$tooshort MALFORMED
            $2b$05$lUfPIuBqkYiJ/629OgXSce1gCkaY7Yii5R9NQ5pYXYHaHYcHWHcq! MALFORMED
            """)
    void markersAndUnknownSchemesNeverMatch(String hash, Outcome expected) {
        assertEquals(expected, CryptHash.check(hash, utf8("password")));
        assertEquals(expected, CryptHash.check(hash, utf8(hash)), "the field itself is not its password");
        assertEquals(expected == Outcome.LOCKED || expected == Outcome.NO_PASSWORD,
                CryptHash.refusesEveryPassword(hash));
    }

    @Test
    void theCallersPasswordIsLeftAsItWas() {
        for (String hash : new String[] {"$6$Fixture6Salt0001$ZdTss.CQjNPacWMnja.ZypFDRfkPurU2l0hmEs2TbLdzqpWeAOmJm/tSo05rw6FDERwv9hMegwCCY61NFctvA/",
                "$1$Fix1Salt$dmB8OWfzzauJktyG9KnvD/", "abn.SQBXeRcr6",
                "$2b$05$lUfPIuBqkYiJ/629OgXSce1gCkaY7Yii5R9NQ5pYXYHaHYcHWHcqe"}) {
            byte[] pw = utf8("s3cret-sha512");
            CryptHash.check(hash, pw);
            assertArrayEquals(utf8("s3cret-sha512"), pw, hash);
        }
    }

    @Test
    void aLoginsSecretChecksTheSameAndStaysUsable() {
        Secret s = Secret.of("pässwörd");
        String hash = "$6$Utf8Salt$TMywKmDqW.maAeYP8RdZj9u61Gxmh7igCaWqm7g8APMlTSTyj1cWbnIDuXhVozJ3/RcGE.EEQCOgkZXLEaBF20";
        assertEquals(Outcome.MATCH, CryptHash.check(hash, s));
        assertEquals(Outcome.MATCH, CryptHash.check(hash, s));
        assertEquals(Outcome.MISMATCH, CryptHash.check(BCRYPT_OF_PW72, Secret.of(PW72 + "z")));
        assertEquals(Outcome.LOCKED, CryptHash.check("!", Secret.of("!")));
    }

    @Test
    void schemeShowsNoMoreThanThePrefix() {
        assertEquals("$y$", CryptHash.scheme("$y$j9T$F5Jx5fExrKuPp53xLKQ..1$rcY"));
        assertEquals("$2b$", CryptHash.scheme("$2b$05$tooshort"));
        assertEquals("{SHA}", CryptHash.scheme("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="));
        assertEquals("DES", CryptHash.scheme("abn.SQBXeRcr6"));
        assertEquals("unrecognised", CryptHash.scheme("plaintext-secret"));
        assertEquals("unrecognised", CryptHash.scheme("$" + "x".repeat(40)));
    }

    @Test
    void newHashesCheck() {
        SecureRandom random = new SecureRandom();
        byte[] pw = utf8("pässword");
        String[][] made = {{CryptHash.sha512(pw, random), "$6$"}, {CryptHash.sha256(pw, random), "$5$"},
                {CryptHash.md5(pw, random), "$1$"}, {CryptHash.bcrypt(pw, random), "$2b$10$"}};
        for (String[] m : made) {
            assertTrue(m[0].startsWith(m[1]), m[0]);
            assertEquals(Outcome.MATCH, CryptHash.check(m[0], pw), m[1]);
            assertEquals(Outcome.MISMATCH, CryptHash.check(m[0], utf8("password")), m[1]);
        }
        assertArrayEquals(utf8("pässword"), pw, "making a hash leaves the password alone");
        assertFalse(CryptHash.sha512(pw, random).equals(CryptHash.sha512(pw, random)), "a new salt each time");
        assertThrows(IllegalArgumentException.class, () -> CryptHash.bcrypt(utf8(PW72 + "z"), random));
    }
}
