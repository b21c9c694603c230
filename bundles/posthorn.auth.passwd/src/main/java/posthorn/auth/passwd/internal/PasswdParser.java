package posthorn.auth.passwd.internal;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses passwd(5) and shadow(5) text. Lines that are blank, start with {@code #}, or start with
 * {@code +}/{@code -} (NIS compat entries, which name no local account) are skipped silently; other
 * malformed lines are reported by number, never quoted (a shadow line holds a hash). As with
 * getpwnam(3), the first line for a name wins. Stateless and thread-safe.
 */
final class PasswdParser {

    record Result<T>(Map<String, T> entries, List<Integer> badLines) {
    }

    private PasswdParser() {
    }

    static Result<PasswdEntry> passwd(String text) {
        Map<String, PasswdEntry> out = new LinkedHashMap<>();
        List<Integer> bad = new ArrayList<>();
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (skip(line)) {
                continue;
            }
            String[] f = line.split(":", -1);
            if (f.length != 7 || f[0].isEmpty()) {
                bad.add(n);
                continue;
            }
            long uid = number(f[2]);
            long gid = number(f[3]);
            Path home;
            try {
                home = f[5].isEmpty() ? null : Path.of(f[5]);
            } catch (InvalidPathException e) {
                home = null;
            }
            if (uid < 0 || gid < 0 || home == null) {
                bad.add(n);
                continue;
            }
            out.putIfAbsent(f[0], new PasswdEntry(f[0], f[1], uid, gid, f[4], home, f[6]));
        }
        return new Result<>(out, List.copyOf(bad));
    }

    static Result<ShadowEntry> shadow(String text) {
        Map<String, ShadowEntry> out = new LinkedHashMap<>();
        List<Integer> bad = new ArrayList<>();
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (skip(line)) {
                continue;
            }
            String[] f = line.split(":", -1);
            if (f.length != 9 || f[0].isEmpty()) {
                bad.add(n);
                continue;
            }
            long[] days = new long[6];
            boolean ok = true;
            for (int i = 0; i < days.length; i++) {
                String v = f[2 + i];
                days[i] = v.isEmpty() ? -1 : number(v);
                ok &= days[i] >= 0 || v.isEmpty();
            }
            if (!ok) {
                bad.add(n);
                continue;
            }
            out.putIfAbsent(f[0], new ShadowEntry(f[0], f[1], days[0], days[1], days[2], days[3], days[4], days[5]));
        }
        return new Result<>(out, List.copyOf(bad));
    }

    private static boolean skip(String line) {
        return line.isBlank() || line.startsWith("#") || line.startsWith("+") || line.startsWith("-");
    }

    /** A non-negative decimal number, or -1. */
    private static long number(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1;
            }
        }
        return Long.parseLong(s);
    }
}
