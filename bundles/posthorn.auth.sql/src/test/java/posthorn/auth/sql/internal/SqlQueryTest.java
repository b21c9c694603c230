package posthorn.auth.sql.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class SqlQueryTest {

    private static final SqlQuery.Login LOGIN = SqlQuery.Login.of("joe@example.org", "default.test");

    /** configured query | SQL for the driver | bind values, '|'-separated */
    @ParameterizedTest
    @CsvSource(delimiter = '#', quoteCharacter = '~', textBlock = """
            SELECT crypt FROM users WHERE id = ?                      # SELECT crypt FROM users WHERE id = ?                   # joe@example.org
            SELECT crypt FROM users WHERE id = %u                     # SELECT crypt FROM users WHERE id = ?                   # joe@example.org
            SELECT crypt FROM users WHERE id = '%u'                   # SELECT crypt FROM users WHERE id = ?                   # joe@example.org
            SELECT crypt FROM users WHERE id = '$(local_part)@$(domain)' # SELECT crypt FROM users WHERE id = ?                # joe@example.org
            SELECT crypt FROM users WHERE name = $(local_part) AND dom = $(domain) # SELECT crypt FROM users WHERE name = ? AND dom = ? # joe|example.org
            SELECT c FROM u WHERE id = '$(local_part)' AND svc = '$(service)'   # SELECT c FROM u WHERE id = ? AND svc = ?     # joe|imap
            SELECT c FROM u WHERE id = 'x-$(local_part)-''q''' AND t = 'a''?'    # SELECT c FROM u WHERE id = ? AND t = 'a''?'  # x-joe-'q'
            SELECT "?%u" FROM u WHERE id = ? -- $(domain) ?             # SELECT "?%u" FROM u WHERE id = ? -- $(domain) ?       # joe@example.org
            SELECT /* $(domain) */ c FROM u WHERE id = ? AND k LIKE 'a%'  # SELECT /* $(domain) */ c FROM u WHERE id = ? AND k LIKE 'a%' # joe@example.org
            """)
    void placeholdersBecomeBindParameters(String configured, String sql, String values) {
        SqlQuery q = SqlQuery.parse("q", configured);
        assertEquals(sql, q.sql());
        assertEquals(List.of(values.split("\\|")), q.values(LOGIN));
        assertEquals(q.values(LOGIN).size(), q.parameterCount());
    }

    @Test
    void loginWithoutDomainTakesTheDefaultDomain() {
        SqlQuery q = SqlQuery.parse("q", "SELECT c FROM u WHERE id = '$(local_part)@$(domain)'");
        assertEquals(List.of("joe@default.test"), q.values(SqlQuery.Login.of("joe", "default.test")));
        // the last @ splits: a local part may hold one
        assertEquals(List.of("a@b@c"), q.values(SqlQuery.Login.of("a@b@c", "x")));
        assertEquals("a@b", SqlQuery.Login.of("a@b@c", "x").localPart());
    }

    @Test
    void injectionTextStaysAValue() {
        SqlQuery q = SqlQuery.parse("q", "SELECT c FROM u WHERE id = '$(local_part)@$(domain)'");
        String evil = "x'; DROP TABLE users; --";
        assertEquals("SELECT c FROM u WHERE id = ?", q.sql());
        assertEquals(List.of(evil + "@d"), q.values(SqlQuery.Login.of(evil, "d")));
    }

    @Test
    void columnsAreKnownByName() {
        SqlQuery q = SqlQuery.parse("q", "SELECT pw AS crypt, CLEAR FROM users WHERE id = ? AND x = 'clearpw'");
        assertTrue(q.mentions("crypt"));
        assertTrue(q.mentions("clear"));
        assertFalse(q.mentions("clearpw"), "words inside string literals are not columns");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '#', quoteCharacter = '~', textBlock = """
            SELECT crypt FROM users                         # never names the login
            SELECT crypt FROM users WHERE svc = $(service)  # never names the login
            SELECT crypt FROM users WHERE id = $(user)      # unknown placeholder $(user)
            SELECT crypt FROM users WHERE id = $(domain     # unterminated placeholder
            SELECT crypt FROM users WHERE id = 'abc         # unterminated string literal
            SELECT "crypt FROM users WHERE id = ?           # unterminated quoted identifier
            SELECT /* crypt FROM users WHERE id = ?         # unterminated comment
            %                                               # is empty
            """)
    void badQueriesAreRefused(String configured, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SqlQuery.parse("password.query", configured.equals("%") ? "   " : configured));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(e.getMessage().startsWith("password.query"), e.getMessage());
    }
}
