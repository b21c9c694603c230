package posthorn.auth.checkpassword.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import posthorn.auth.support.config.BadSetting;

class CheckpasswordSettingsTest {

    @Test
    void defaults() {
        CheckpasswordSettings s = CheckpasswordSettings.of("/bin/true", null, "", null, null);
        assertEquals(List.of("/bin/true"), s.program());
        assertEquals(Duration.ofSeconds(5), s.timeout());
        assertEquals(4, s.maxConcurrent());
        assertEquals(1, s.minUid());
        assertEquals(java.util.Map.of("PATH", CheckpasswordSettings.DEFAULT_PATH), s.env());
    }

    @Test
    void programWithArgumentsAndEnvironment() {
        CheckpasswordSettings s = CheckpasswordSettings.of("  /bin/echo  -n   x ", "0.5", "16",
                "MAILDIR=Mail, DASH=-,PATH=/bin", "0");
        assertEquals(List.of("/bin/echo", "-n", "x"), s.program());
        assertEquals(Duration.ofMillis(500), s.timeout());
        assertEquals(16, s.maxConcurrent());
        assertEquals(java.util.Map.of("PATH", "/bin", "MAILDIR", "Mail", "DASH", "-"), s.env());
    }

    /** Every key with a value that cannot be used: refused, naming the key. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
        "program        | NULL            | 5     | 4     | ''",
        "program        | '   '           | 5     | 4     | ''",
        "program        | bin/true        | 5     | 4     | ''",
        "program        | /nonexistent/x  | 5     | 4     | ''",
        "program        | /etc/passwd     | 5     | 4     | ''",
        "program        | /tmp            | 5     | 4     | ''",
        "timeout        | /bin/true       | lots  | 4     | ''",
        "timeout        | /bin/true       | 0     | 4     | ''",
        "timeout        | /bin/true       | -1    | 4     | ''",
        "timeout        | /bin/true       | 301   | 4     | ''",
        "timeout        | /bin/true       | NaN   | 4     | ''",
        "timeout        | /bin/true       | Infinity | 4  | ''",
        "max.concurrent | /bin/true       | 5     | 0     | ''",
        "max.concurrent | /bin/true       | 5     | 2.5   | ''",
        "max.concurrent | /bin/true       | 5     | many  | ''",
        "max.concurrent | /bin/true       | 5     | 99999 | ''",
        "env            | /bin/true       | 5     | 4     | NOEQUALS",
        "env            | /bin/true       | 5     | 4     | =x",
        "env            | /bin/true       | 5     | 4     | 1X=y",
        "env            | /bin/true       | 5     | 4     | 'A=b,,'",
        "env            | /bin/true       | 5     | 4     | 'BAD NAME=x'",
    })
    void badValuesAreRefusedNamingTheKey(String key, String program, String timeout, String max, String env) {
        BadSetting e = assertThrows(BadSetting.class, () -> CheckpasswordSettings.of(program, timeout, max, env, "1"));
        assertEquals(key, e.key());
    }

    @ParameterizedTest
    @CsvSource({"-1", "1.5", "root", "4294967296"})
    void badMinUid(String minUid) {
        BadSetting e = assertThrows(BadSetting.class, () -> CheckpasswordSettings.of("/bin/true", "5", "4", "", minUid));
        assertEquals("min.uid", e.key());
    }
}
