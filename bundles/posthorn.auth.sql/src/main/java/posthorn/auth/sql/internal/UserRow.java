package posthorn.auth.sql.internal;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import posthorn.auth.api.UserRecord;

/**
 * One row of the password or user query, its columns picked by label (case-insensitive), so a
 * query renames its table's columns with {@code AS}:
 * <ul>
 * <li>{@code crypt}, {@code cryptpw} or {@code password}: a crypt(3) hash;</li>
 * <li>{@code clear} or {@code clearpw}: a clear password;</li>
 * <li>{@code username} or {@code login}: the canonical login name (else the login as given);</li>
 * <li>{@code home}, {@code maildir} (or {@code mail}), {@code uid}, {@code gid}, {@code quota};</li>
 * <li>any other column, when not null: an option of the user record.</li>
 * </ul>
 * Immutable. The password fields never reach {@link #toString()} or the record.
 */
record UserRow(String crypt, String clear, String name, String home, String maildir, String uid,
               String gid, String quota, Map<String, String> options) {

    /** Column labels this backend understands, for the README and for tests. */
    static final String[] CRYPT = {"crypt", "cryptpw", "password"};
    static final String[] CLEAR = {"clear", "clearpw"};

    UserRow {
        options = Map.copyOf(options);
    }

    /** Reads the current row of {@code rs}. */
    static UserRow read(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        String crypt = null, clear = null, name = null, home = null, maildir = null;
        String uid = null, gid = null, quota = null;
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
            String label = md.getColumnLabel(i).toLowerCase(Locale.ROOT);
            String value = rs.getString(i);
            switch (label) {
                case "crypt", "cryptpw", "password" -> crypt = value;
                case "clear", "clearpw" -> clear = value;
                case "username", "login" -> name = value;
                case "home" -> home = value;
                case "maildir", "mail" -> maildir = value;
                case "uid" -> uid = value;
                case "gid" -> gid = value;
                case "quota" -> quota = value;
                default -> {
                    if (value != null) {
                        options.put(label, value);
                    }
                }
            }
        }
        return new UserRow(crypt, clear, name, home, maildir, uid, gid, quota, options);
    }

    /** Whether the row says where the user lives, so it can serve as the user record. */
    boolean hasLocation() {
        return !blank(home) || !blank(maildir);
    }

    /**
     * The user record.
     *
     * @param login the login as given, the name when the row has no {@code username}
     * @throws IllegalArgumentException if uid, gid or a path is not valid (the message quotes no value)
     */
    UserRecord record(String login) {
        return new UserRecord(blank(name) ? login : name.trim(), path("home", home), path("maildir", maildir),
                number("uid", uid), number("gid", gid), blank(quota) ? null : quota.trim(), options);
    }

    private static long number(String column, String v) {
        if (blank(v)) {
            return -1;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n < 0) {
                throw new IllegalArgumentException(column + " is negative");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(column + " is not a number");
        }
    }

    private static Path path(String column, String v) {
        if (blank(v)) {
            return null;
        }
        try {
            return Path.of(v.trim());
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(column + " is not a valid path");
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    @Override
    public String toString() {
        // crypt and clear are secrets: never print them
        return "UserRow[" + name + ", home=" + home + ", maildir=" + maildir + "]";
    }
}
