package posthorn.auth.userdb.internal;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses Courier userdb text, as makeuserdb(8) and userdb(8) define it:
 * <pre>name&lt;TAB&gt;field=value|field=value...</pre>
 * Blank lines and lines starting with {@code #} are ignored. Courier has no escapes: userdb(8)
 * refuses {@code |} and newlines in a value, while {@code =} and tabs are allowed in values (a field
 * is split at its first {@code =}, a line at its first tab). Lines whose name ends in {@code =}
 * ({@code 1000=<TAB>alice}, written by pw2userdb) map uids back to names and are not accounts.
 *
 * <p>A malformed line is reported by number with a reason that never quotes the line, since it may
 * hold a password hash; the other lines still count. The first line for a name wins, later ones are
 * reported (makeuserdb refuses such a file). Stateless and thread-safe.
 */
final class UserdbParser {

    /** A line that was skipped. {@code name} is the account it named, if that much was readable. */
    record BadLine(String source, int line, String reason, String name) {
        @Override
        public String toString() {
            return source + ":" + line + " (" + reason + ")";
        }
    }

    /** The accounts in file order, and the lines skipped. */
    record Result(Map<String, UserdbEntry> entries, List<BadLine> badLines) {
    }

    /** One file's content; {@code source} names it in reports. */
    record Source(String source, byte[] content) {
    }

    private UserdbParser() {
    }

    static Result parse(List<Source> sources) {
        Map<String, UserdbEntry> entries = new LinkedHashMap<>();
        List<BadLine> bad = new ArrayList<>();
        for (Source s : sources) {
            parseOne(s, entries, bad);
        }
        return new Result(entries, List.copyOf(bad));
    }

    static Result parse(String source, String text) {
        return parse(List.of(new Source(source, text.getBytes(StandardCharsets.UTF_8))));
    }

    private static void parseOne(Source src, Map<String, UserdbEntry> entries, List<BadLine> bad) {
        byte[] b = src.content();
        int lineNo = 0;
        int start = 0;
        while (start < b.length) {
            int end = start;
            while (end < b.length && b[end] != '\n') {
                end++;
            }
            lineNo++;
            int stop = end > start && b[end - 1] == '\r' ? end - 1 : end;
            String line;
            try {
                line = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(b, start, stop - start)).toString();
            } catch (CharacterCodingException e) {
                line = null;
            }
            start = end + 1;
            if (line == null) {
                bad.add(new BadLine(src.source(), lineNo, "not UTF-8", null));
                continue;
            }
            parseLine(src.source(), lineNo, line, entries, bad);
        }
    }

    private static void parseLine(String source, int lineNo, String line, Map<String, UserdbEntry> entries,
                                  List<BadLine> bad) {
        if (line.isBlank() || line.startsWith("#")) {
            return;
        }
        int tab = line.indexOf('\t');
        if (tab < 0) {
            bad.add(new BadLine(source, lineNo, "no tab after the name", null));
            return;
        }
        String name = line.substring(0, tab);
        if (name.isEmpty()) {
            bad.add(new BadLine(source, lineNo, "empty name", null));
            return;
        }
        if (name.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '|')) {
            bad.add(new BadLine(source, lineNo, "control character or '|' in the name", null));
            return;
        }
        if (name.endsWith("=")) {
            return; // "<uid>=<TAB><name>": a reverse uid lookup, not an account
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String pair : line.substring(tab + 1).split("\\|", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq == 0) {
                bad.add(new BadLine(source, lineNo, "a field has no name", name));
                return;
            }
            if (eq < 0) {
                // Courier looks fields up as "name=", so a bare word is never found: ignore it too
                continue;
            }
            fields.putIfAbsent(pair.substring(0, eq), pair.substring(eq + 1));
        }
        if (entries.containsKey(name)) {
            bad.add(new BadLine(source, lineNo, "duplicate account name", null));
            return;
        }
        try {
            entries.put(name, UserdbEntry.of(name, fields));
        } catch (IllegalArgumentException e) {
            bad.add(new BadLine(source, lineNo, e.getMessage(), name));
        }
    }
}
