package posthorn.auth.sql.internal;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.util.Set;

/**
 * What a failed JDBC call says about the database: lost (down, restarting, not answering in time)
 * or merely refusing this request (a broken query, a missing table). The drivers say it with
 * exception classes and SQLSTATEs; this reads both. Stateless.
 */
final class SqlFailure {

    /**
     * SQLSTATEs that mean the server went away or stopped answering, beyond class 08 (connection
     * exception): PostgreSQL's admin_shutdown, crash_shutdown, cannot_connect_now and
     * query_canceled (what a statement timeout raises), MariaDB's 70100 (statement interrupted).
     */
    private static final Set<String> LOST = Set.of("57P01", "57P02", "57P03", "57014", "70100");

    private SqlFailure() {
    }

    /** Whether the failure shows the database lost or not answering, rather than a refused request. */
    static boolean lostDatabase(SQLException e) {
        SQLException s = e;
        for (int depth = 0; s != null && depth < 10; depth++, s = s.getNextException()) {
            // (not SQLTransientConnectionException: the pool's "all connections busy" is one)
            if (s instanceof SQLNonTransientConnectionException || s instanceof SQLRecoverableException
                    || s instanceof SQLTimeoutException) {
                return true;
            }
            String state = s.getSQLState();
            if (state != null && (state.startsWith("08") || LOST.contains(state))) {
                return true;
            }
        }
        return false;
    }

    /**
     * One line for the log: the message and its causes' (a pool's timeout carries the driver's last
     * failure: refused, bad account, unknown host), each once, first lines only (H2 appends the
     * statement on further lines).
     */
    static String reason(Throwable e) {
        StringBuilder b = new StringBuilder();
        Throwable t = e;
        for (int depth = 0; t != null && depth < 5; depth++, t = t.getCause()) {
            String m = t.getMessage() == null ? null : t.getMessage().lines().findFirst().orElse("");
            if (m != null && !m.isBlank() && b.indexOf(m) < 0) {
                b.append(b.isEmpty() ? "" : ": ").append(m);
            }
        }
        return b.isEmpty() ? e.getClass().getSimpleName() : b.toString();
    }

    /** No connection could be had: the database is down, refuses this account, or did not answer in time. */
    static final class NoConnection extends SQLException {
        private static final long serialVersionUID = 1L;

        NoConnection(SQLException cause) {
            super(cause.getMessage(), cause.getSQLState(), cause);
        }
    }
}
