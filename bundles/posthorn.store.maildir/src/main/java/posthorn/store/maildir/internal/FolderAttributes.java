package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * What Posthorn keeps about a folder itself, in {@code posthorn.folder} in the folder's directory
 * (the Maildir's root for INBOX), a small owner-only file Courier ignores: its MAILBOXID (RFC 8474 4)
 * and the special uses a client gave it at CREATE (RFC 6154 3). Being inside the directory, it follows
 * the folder through a RENAME and goes with it at DELETE; a folder created again starts without one.
 *
 * <p>Format, UTF-8, one {@code key=value} a line: {@code mailboxid=...}, {@code specialuse=\Drafts \Sent}.
 * Unknown keys are kept. Replaced whole at every change (tmp, fsync, rename).
 */
final class FolderAttributes {
    static final String FILE = "posthorn.folder";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    private FolderAttributes() {
    }

    static Map<String, String> read(Path dir) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(dir.resolve(FILE), StandardCharsets.UTF_8)) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    out.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        } catch (NoSuchFileException e) {
            // none yet
        }
        return out;
    }

    private static void write(Path dir, Map<String, String> values) throws IOException {
        StringBuilder text = new StringBuilder();
        values.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        MaildirUserMail.writeAtomically(dir.resolve(FILE), text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The folder's MAILBOXID, made (a random "F" + 24 letters and digits) and kept the first time. */
    static String mailboxId(Path dir) throws IOException {
        Map<String, String> values = read(dir);
        String id = values.get("mailboxid");
        if (id != null && validId(id)) {
            return id;
        }
        try (FolderLock.Held held = FolderLock.inProcess(dir.resolve(FILE))) {
            values = read(dir);
            id = values.get("mailboxid");
            if (id != null && validId(id)) {
                return id;
            }
            id = newId('F');
            values.put("mailboxid", id);
            write(dir, values);
            return id;
        }
    }

    /** A fresh random id: the letter, then 24 lower-case letters and digits (about 124 bits). */
    static String newId(char first) {
        StringBuilder b = new StringBuilder(25).append(first);
        for (int i = 0; i < 24; i++) {
            b.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
        }
        return b.toString();
    }

    /** RFC 8474 4: objectid = 1*255(ALPHA / DIGIT / "_" / "-"). */
    static boolean validId(String id) {
        if (id.isEmpty() || id.length() > 255) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** The special uses kept for the folder, in the order given at CREATE; empty for none. */
    static Set<String> specialUses(Path dir) throws IOException {
        String v = read(dir).get("specialuse");
        Set<String> out = new LinkedHashSet<>();
        if (v != null) {
            for (String s : v.split(" ")) {
                if (!s.isEmpty()) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /** Keeps the special uses of a new folder (and gives it its MAILBOXID at once). */
    static void create(Path dir, Set<String> uses) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("mailboxid", newId('F'));
        if (!uses.isEmpty()) {
            values.put("specialuse", String.join(" ", uses));
        }
        write(dir, values);
    }
}
