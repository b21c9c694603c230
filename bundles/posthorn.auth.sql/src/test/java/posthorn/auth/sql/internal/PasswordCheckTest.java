package posthorn.auth.sql.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import posthorn.auth.sql.internal.PasswordCheck.Outcome;

class PasswordCheckTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Hashes made by libxcrypt (Debian's crypt(3)), not by the code under test. */
    @ParameterizedTest
    @CsvSource(delimiter = ' ', textBlock = """
            s3cret-sha512 $6$feswk62hPRChb5w.$Ous4szoizXpVV8DB76xDy4WW53J/Kuj5OVBHFzYpvILpAN9ds/1dvK1vofmvnYqdmldHOXpPp0rhjTwLb69Ww0
            s3cret-sha256 $5$UC1/HHcXlgz9Von7$hhlmEXijwDH.iiwA5co6Ey79aWX6T5jPrzvL/c3OBP5
            s3cret-md5 $1$iQjBkgiP$beUU1ZA/LBuBvzts2EBpc.
            s3cret-bf $2b$05$LYtzieS3.bLzyuad5uIrSevs0pfIHM/p71y0OyQ3pp8A.YmX07bRy
            bf2y $2y$05$abcdefghijklmnopqrstuugu.aqkUo0.bmBgWnQzEm7AYOxsuzGRi
            s3cret-des 1PINqvLM3pL92
            pässwörd $2b$04$OXuOtZxcTm2kGOfa1lecdeLHkjCV1yIH57b.gJ0WYOMuFdg7KYHlq
            pässwörd $6$.OHRqrmEX9pWi76U$1QD7z8ysRq.78T92ROFZJdQsuuOtuuFLfF0d83Rbrg6c7u8qWw5b6hTmVjNO0DUIhvJ.GYI5Qacn6WgEoL4Uu1
            """)
    void everyCryptSchemeMatchesItsPasswordOnly(String password, String hash) {
        assertEquals(Outcome.MATCH, PasswordCheck.crypt(hash, utf8(password)));
        assertEquals(Outcome.MISMATCH, PasswordCheck.crypt(hash, utf8("x" + password)));
        assertEquals(Outcome.MISMATCH, PasswordCheck.crypt(hash, utf8("")));
    }

    @Test
    void bcryptUsesTheFirst72Bytes() {
        String hash = "$2b$04$lHbPem1105qvyXijuRGVreFrogzkosLqyreMU8RRbHlSbmdvJd3Om"; // of 100 'x' by libxcrypt
        assertEquals(Outcome.MATCH, PasswordCheck.crypt(hash, utf8("x".repeat(100))));
        assertEquals(Outcome.MATCH, PasswordCheck.crypt(hash, utf8("x".repeat(72) + "y")));
        assertEquals(Outcome.MISMATCH, PasswordCheck.crypt(hash, utf8("x".repeat(71))));
    }

    @ParameterizedTest
    @CsvSource(delimiter = ' ', quoteCharacter = '~', textBlock = """
            !$6$feswk62hPRChb5w.$Ous4szoizXpVV8DB76xDy4WW53J LOCKED
            * LOCKED
            $y$j9T$F5Jx5fExrKuPp53xLKQ..1$rcY.sqsUoG/SGw/FPteloCsldYkxZWdAV7MUEZonz53 UNSUPPORTED
            {SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g= UNSUPPORTED
            $2b$05$tooshort UNSUPPORTED
            """)
    void lockedAndUnsupportedHashesNeverMatch(String hash, Outcome expected) {
        assertEquals(expected, PasswordCheck.crypt(hash, utf8("password")));
    }

    @Test
    void schemePrefixShowsNoMoreThanThePrefix() {
        assertEquals("$y$", PasswordCheck.schemePrefix("$y$j9T$F5Jx5fExrKuPp53xLKQ..1$rcY"));
        assertEquals("{SHA}", PasswordCheck.schemePrefix("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="));
        assertEquals("unrecognised", PasswordCheck.schemePrefix("plaintext-secret"));
    }

    @Test
    void clearPasswordsCompareExactly() {
        assertEquals(Outcome.MATCH, PasswordCheck.clear("clear pw ü", utf8("clear pw ü")));
        assertEquals(Outcome.MISMATCH, PasswordCheck.clear("clear pw ü", utf8("clear pw u")));
        assertEquals(Outcome.MISMATCH, PasswordCheck.clear("clear", utf8("clear ")));
        assertEquals(Outcome.MISMATCH, PasswordCheck.clear("clear", utf8("CLEAR")));
    }
}
