package posthorn.auth.sql.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import posthorn.auth.support.config.BadSetting;

/**
 * A query from the configuration with every login placeholder turned into a JDBC bind parameter,
 * so that no login text ever becomes SQL. Immutable and thread-safe.
 *
 * <p>Placeholders, as Courier's authpgsqlrc/authmysqlrc and Dovecot write them:
 * <ul>
 * <li>{@code ?} and {@code %u}: the login as the client gave it;</li>
 * <li>{@code $(local_part)}, {@code $(domain)}: the login before and after its last {@code @}
 * (the domain is {@code default.domain} when the login has none); {@code $(service)}: {@code imap}.</li>
 * </ul>
 * A quoted string literal that holds placeholders, Courier's {@code '$(local_part)@$(domain)'},
 * becomes one bind parameter whose value is the literal's text with the placeholders filled in.
 * Placeholders inside double-quoted or back-quoted identifiers and comments are left alone.
 * Inside string literals a quote is escaped by doubling it ({@code ''}); backslash escapes are not
 * understood.
 */
final class SqlQuery {

    /** What a placeholder stands for. */
    enum Variable { LOGIN, LOCAL_PART, DOMAIN, SERVICE }

    /** One piece of a bind parameter's value: fixed text, or a variable if {@code variable != null}. */
    private record Piece(String text, Variable variable) {
    }

    /** The login split as the placeholders need it. */
    record Login(String login, String localPart, String domain) {
        static Login of(String login, String defaultDomain) {
            int at = login.lastIndexOf('@');
            return at < 0 ? new Login(login, login, defaultDomain)
                    : new Login(login, login.substring(0, at), login.substring(at + 1));
        }

        String value(Variable v) {
            return switch (v) {
                case LOGIN -> login;
                case LOCAL_PART -> localPart;
                case DOMAIN -> domain;
                case SERVICE -> "imap";
            };
        }
    }

    private final String sql;
    private final List<List<Piece>> parameters;
    private final Set<String> words;

    private SqlQuery(String sql, List<List<Piece>> parameters, Set<String> words) {
        this.sql = sql;
        this.parameters = parameters;
        this.words = words;
    }

    /**
     * Translates a configured query.
     *
     * @param key  the config key, for error messages
     * @throws BadSetting if the query is empty, has an unknown or unterminated placeholder or
     *                    literal, or never names the login
     */
    static SqlQuery parse(String key, String text) {
        if (text == null || text.isBlank()) {
            throw new BadSetting(key, "is empty");
        }
        StringBuilder out = new StringBuilder(text.length());
        List<List<Piece>> params = new ArrayList<>();
        Set<String> words = new HashSet<>();
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (c == '\'') {
                List<Piece> pieces = new ArrayList<>();
                StringBuilder literal = new StringBuilder();
                boolean placeholders = false;
                int j = i + 1;
                while (true) {
                    if (j >= n) {
                        throw new BadSetting(key, "unterminated string literal");
                    }
                    char d = text.charAt(j);
                    if (d == '\'') {
                        if (j + 1 < n && text.charAt(j + 1) == '\'') {
                            literal.append('\'');
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    Variable v = null;
                    int end = j;
                    if (text.startsWith("$(", j)) {
                        end = text.indexOf(')', j);
                        if (end < 0) {
                            throw new BadSetting(key, "unterminated placeholder $(");
                        }
                        v = variable(key, text.substring(j + 2, end));
                        end++;
                    } else if (text.startsWith("%u", j)) {
                        v = Variable.LOGIN;
                        end = j + 2;
                    }
                    if (v != null) {
                        placeholders = true;
                        if (!literal.isEmpty()) {
                            pieces.add(new Piece(literal.toString(), null));
                            literal.setLength(0);
                        }
                        pieces.add(new Piece(null, v));
                        j = end;
                    } else {
                        literal.append(d);
                        j++;
                    }
                }
                if (placeholders) {
                    if (!literal.isEmpty()) {
                        pieces.add(new Piece(literal.toString(), null));
                    }
                    out.append('?');
                    params.add(List.copyOf(pieces));
                } else {
                    out.append(text, i, j + 1);
                }
                i = j + 1;
            } else if (c == '"' || c == '`') {
                int j = text.indexOf(c, i + 1);
                if (j < 0) {
                    throw new BadSetting(key, "unterminated quoted identifier");
                }
                words.add(text.substring(i + 1, j).toLowerCase(Locale.ROOT));
                out.append(text, i, j + 1);
                i = j + 1;
            } else if (c == '-' && text.startsWith("--", i)) {
                int j = text.indexOf('\n', i);
                j = j < 0 ? n : j;
                out.append(text, i, j);
                i = j;
            } else if (c == '/' && text.startsWith("/*", i)) {
                int j = text.indexOf("*/", i + 2);
                if (j < 0) {
                    throw new BadSetting(key, "unterminated comment");
                }
                out.append(text, i, j + 2);
                i = j + 2;
            } else if (c == '?') {
                out.append('?');
                params.add(List.of(new Piece(null, Variable.LOGIN)));
                i++;
            } else if (c == '%' && text.startsWith("%u", i)) {
                out.append('?');
                params.add(List.of(new Piece(null, Variable.LOGIN)));
                i += 2;
            } else if (c == '$' && text.startsWith("$(", i)) {
                int end = text.indexOf(')', i);
                if (end < 0) {
                    throw new BadSetting(key, "unterminated placeholder $(");
                }
                out.append('?');
                params.add(List.of(new Piece(null, variable(key, text.substring(i + 2, end)))));
                i = end + 1;
            } else if (Character.isJavaIdentifierStart(c)) {
                int j = i + 1;
                while (j < n && Character.isJavaIdentifierPart(text.charAt(j)) && text.charAt(j) != '$') {
                    j++;
                }
                words.add(text.substring(i, j).toLowerCase(Locale.ROOT));
                out.append(text, i, j);
                i = j;
            } else {
                out.append(c);
                i++;
            }
        }
        if (params.stream().noneMatch(p -> p.stream().anyMatch(piece -> piece.variable() != null
                && piece.variable() != Variable.SERVICE))) {
            // a query that never names the login would answer every login with the same row
            throw new BadSetting(key, "never names the login (write ?, %u or $(local_part)/$(domain) where it goes)");
        }
        return new SqlQuery(out.toString(), List.copyOf(params), Set.copyOf(words));
    }

    private static Variable variable(String key, String name) {
        return switch (name.trim()) {
            case "local_part" -> Variable.LOCAL_PART;
            case "domain" -> Variable.DOMAIN;
            case "service" -> Variable.SERVICE;
            default -> throw new BadSetting(key, "unknown placeholder $(" + name + ")");
        };
    }

    /** The SQL handed to the driver: only {@code ?} where the login goes. */
    String sql() {
        return sql;
    }

    int parameterCount() {
        return parameters.size();
    }

    /** The bind parameters' values for a login, in order. */
    List<String> values(Login login) {
        List<String> values = new ArrayList<>(parameters.size());
        for (List<Piece> pieces : parameters) {
            StringBuilder b = new StringBuilder();
            for (Piece p : pieces) {
                b.append(p.variable() == null ? p.text() : login.value(p.variable()));
            }
            values.add(b.toString());
        }
        return values;
    }

    /** Whether the query names this word (lower case) outside string literals: a column or alias. */
    boolean mentions(String word) {
        return words.contains(word);
    }

    @Override
    public String toString() {
        return sql;
    }
}
