package posthorn.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Edits userdb text the way Courier's {@code userdb} script does, so that either tool can work on
 * a file the other wrote: an account is the first line {@code ^([^\t]+)(\t(.*))?$} whose name
 * matches; its fields are split at {@code |} and each at its first {@code =} (a field without one
 * is kept as it is); every other line, comments included, is copied unchanged. Unlike Courier,
 * which writes an edited account's fields in Perl hash order, fields keep their order and new ones
 * go last. Values may not hold {@code |} or a newline (Courier: "Invalid field or value.").
 * Stateless; works on whole texts.
 */
final class UserdbEdit {

    private UserdbEdit() {
    }

    /** A field as written: {@code rest} is {@code "=value"}, or empty for a bare word. */
    private record Field(String key, String rest) {
    }

    /** Checks a user name, field name or value for what the format cannot hold. */
    static void check(String s, boolean name) {
        if (s.isEmpty() && name) {
            throw new IllegalArgumentException("empty name");
        }
        if (s.indexOf('|') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0 || (name && s.indexOf('\t') >= 0)) {
            throw new IllegalArgumentException("Invalid field or value.");
        }
    }

    /**
     * Sets fields (each {@code field=value}, or a bare field meaning "present without a value") of
     * an account, adding the account at the end if it is not there.
     */
    static String set(String text, String name, List<String> assignments) {
        check(name, true);
        assignments.forEach(a -> check(a, false));
        List<String> lines = lines(text);
        int at = find(lines, name);
        Map<String, String> fields = at < 0 ? new LinkedHashMap<>() : fields(lines.get(at));
        for (String a : assignments) {
            int eq = a.indexOf('=');
            fields.put(eq < 0 ? a : a.substring(0, eq), eq < 0 ? "" : a.substring(eq));
        }
        String line = format(name, fields);
        if (at < 0) {
            lines.add(line);
        } else {
            lines.set(at, line);
        }
        return join(lines);
    }

    /** Removes fields of an account; returns null if the account is not there. */
    static String unset(String text, String name, List<String> keys) {
        List<String> lines = lines(text);
        int at = find(lines, name);
        if (at < 0) {
            return null;
        }
        Map<String, String> fields = fields(lines.get(at));
        keys.forEach(fields::remove);
        lines.set(at, format(name, fields));
        return join(lines);
    }

    /** Removes an account; returns null if it is not there. */
    static String delete(String text, String name) {
        List<String> lines = lines(text);
        int at = find(lines, name);
        if (at < 0) {
            return null;
        }
        lines.remove(at);
        return join(lines);
    }

    /** An account's fields as {@code userdb -show} prints them: one {@code field=value} a line; or null. */
    static List<String> show(String text, String name) {
        List<String> lines = lines(text);
        int at = find(lines, name);
        if (at < 0) {
            return null;
        }
        List<String> out = new ArrayList<>();
        fields(lines.get(at)).forEach((k, rest) -> out.add(k + rest));
        return out;
    }

    /** The account names, in file order (what {@code userdb -show} without a name prints). */
    static List<String> names(String text) {
        List<String> out = new ArrayList<>();
        for (String line : lines(text)) {
            String n = nameOf(line);
            if (n != null) {
                out.add(n);
            }
        }
        return out;
    }

    private static List<String> lines(String text) {
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1); // the final newline
        }
        return lines;
    }

    private static String join(List<String> lines) {
        return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
    }

    private static String nameOf(String line) {
        if (line.startsWith("#") || line.isEmpty() || line.charAt(0) == '\t') {
            return null;
        }
        int tab = line.indexOf('\t');
        return tab < 0 ? line : line.substring(0, tab);
    }

    private static int find(List<String> lines, String name) {
        for (int i = 0; i < lines.size(); i++) {
            if (name.equals(nameOf(lines.get(i)))) {
                return i;
            }
        }
        return -1;
    }

    private static Map<String, String> fields(String line) {
        Map<String, String> fields = new LinkedHashMap<>();
        int tab = line.indexOf('\t');
        if (tab < 0) {
            return fields;
        }
        for (String f : line.substring(tab + 1).split("\\|", -1)) {
            if (f.isEmpty()) {
                continue;
            }
            int eq = f.indexOf('=');
            fields.put(eq < 0 ? f : f.substring(0, eq), eq < 0 ? "" : f.substring(eq));
        }
        return fields;
    }

    private static String format(String name, Map<String, String> fields) {
        List<String> parts = new ArrayList<>();
        fields.forEach((k, rest) -> parts.add(k + rest));
        return name + "\t" + String.join("|", parts);
    }
}
