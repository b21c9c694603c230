package posthorn.auth.sql.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SqlFailureTest {

    @ParameterizedTest(name = "{0} lost: {1}")
    @CsvSource({
            "08001, true",  // PostgreSQL: connection refused
            "08006, true",  // connection failure
            "57P01, true",  // PostgreSQL: terminating connection due to administrator command
            "57P03, true",  // PostgreSQL: the database system is starting up
            "57014, true",  // PostgreSQL: statement timeout
            "70100, true",  // MariaDB: max_statement_time exceeded
            "42P01, false", // undefined table: the database answered
            "23505, false", // unique violation: the database answered
    })
    void theSqlStateSaysWhetherTheDatabaseWasLost(String state, boolean lost) {
        assertEquals(lost, SqlFailure.lostDatabase(new SQLException("x", state)));
    }

    @Test
    void soDoExceptionClassesButNotThePoolsBusyTimeout() {
        assertTrue(SqlFailure.lostDatabase(new SQLNonTransientConnectionException("socket closed")));
        assertTrue(SqlFailure.lostDatabase(new SQLTimeoutException("timed out")));
        assertFalse(SqlFailure.lostDatabase(new SQLTransientConnectionException("pool - Connection is not available")));
        SQLException wrapped = new SQLException("outer", "HY000");
        wrapped.setNextException(new SQLException("inner", "08003"));
        assertTrue(SqlFailure.lostDatabase(wrapped));
    }

    @Test
    void theReasonIsOneLineWithTheCauseThePoolHid() {
        SQLException driver = new SQLException("Connection refused\nmore detail");
        SQLException pool = new SQLTransientConnectionException("pool - Connection is not available", "08001", driver);
        assertEquals("pool - Connection is not available: Connection refused", SqlFailure.reason(pool));
        assertEquals("Connection refused", SqlFailure.reason(new SqlFailure.NoConnection(driver)));
    }
}
