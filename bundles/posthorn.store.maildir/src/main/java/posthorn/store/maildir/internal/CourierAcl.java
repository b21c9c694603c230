package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.store.api.AclEntry;

/**
 * Courier's {@code courierimapacl} in a folder directory (INBOX's in the Maildir root): one
 * {@code IDENTIFIER RIGHTS} a line, the identifier up to the first space, rights as Courier's letters
 * in sorted order ({@code owner aceilrstwx}, {@code administrators aceilrstwx}, {@code user=bob lr};
 * a leading {@code -} negates). Courier's letters are RFC 4314's except {@code c}, which Courier uses
 * for creating subfolders: RFC 4314's {@code k} (a {@code k} in the file, which Courier writes for a
 * client's SETACL but never honours, is ignored here too). Learned from maildiracl(1) and by running
 * Courier's imapd.
 *
 * <p>A folder without a file has its parent's list ({@code .A.B} inherits {@code .A}, a top-level
 * folder INBOX's), or one in {@code courierimaphieracl/} under the Maildir root; INBOX without one
 * gives {@code owner} every right. An {@code administrators} entry always has every right. Lines that
 * cannot be an entry (an empty identifier, control characters, bytes that are not UTF-8) are skipped
 * with one log line per version of the file, as Courier sweeps them "under the carpet"; a file with
 * no entry at all counts as missing. The file is replaced by a rename from the folder's tmp/ while
 * holding the Maildir root's dot lock, mode 0600. Thread-safe; parsed files are cached by their
 * modification time, size and inode.
 */
final class CourierAcl {
    private static final Logger LOG = LoggerFactory.getLogger(CourierAcl.class);
    static final String FILE = "courierimapacl";
    static final String HIER_DIR = "courierimaphieracl";
    /** Courier's ACL_ALL, as its files spell it. */
    static final String ALL_COURIER = "aceilrstwx";
    /** The same rights as RFC 4314 letters. */
    static final String ALL = "aeiklrstwx";
    static final String ADMINISTRATORS = "administrators";

    private record Parsed(Object key, long size, long mtime, List<String[]> lines) {
    }

    private static final Map<Path, Parsed> CACHE = new ConcurrentHashMap<>();

    private CourierAcl() {
    }

    /** The folder's own file as written, in file order (identifier to Courier rights); empty if it has none. */
    static Map<String, String> read(Path folder) throws IOException {
        Map<String, String> acl = new LinkedHashMap<>();
        List<String[]> lines = lines(folder.resolve(FILE));
        if (lines != null) {
            for (String[] l : lines) {
                acl.put(l[0], l[1]);
            }
        }
        return acl;
    }

    /** The valid lines of an ACL file, or null if there is none (missing, or nothing valid in it). */
    private static List<String[]> lines(Path file) throws IOException {
        // Most folders have no ACL file, and this runs for every command (rights are checked each
        // time): readAttributesIfExists answers "none" without the exception Files.readAttributes
        // would build (JFR counted ~26,000 of them in a 10 s pipelined run).
        BasicFileAttributes a = file.getFileSystem().provider().readAttributesIfExists(file, BasicFileAttributes.class);
        if (a == null) {
            CACHE.remove(file);
            return null;
        }
        Parsed p = CACHE.get(file);
        if (p != null && p.size == a.size() && p.mtime == a.lastModifiedTime().toMillis()
                && java.util.Objects.equals(p.key, a.fileKey())) {
            return p.lines;
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            CACHE.remove(file);
            return null;
        }
        List<String[]> lines = parse(file, bytes);
        CACHE.put(file, new Parsed(a.fileKey(), a.size(), a.lastModifiedTime().toMillis(), lines));
        return lines;
    }

    /** Parses a file's bytes, logging once what it skipped; null if nothing in it is an entry. */
    static List<String[]> parse(Path file, byte[] bytes) {
        List<String[]> out = new ArrayList<>();
        int bad = 0;
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i < bytes.length && bytes[i] != '\n') {
                continue;
            }
            int end = i > start && bytes[i - 1] == '\r' ? i - 1 : i;
            if (end > start) {
                String[] entry = entry(bytes, start, end);
                if (entry == null) {
                    bad++;
                } else {
                    out.add(entry);
                }
            }
            start = i + 1;
        }
        if (bad > 0 || (out.isEmpty() && bytes.length > 0)) {
            LOG.warn("acl file={} skipped={} reason=\"lines that are no IDENTIFIER RIGHTS entry\"{}", file, bad,
                    out.isEmpty() ? " using=inherited" : "");
        }
        return out.isEmpty() ? null : List.copyOf(out);
    }

    private static String[] entry(byte[] bytes, int start, int end) {
        String line;
        try {
            line = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, start, end - start)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        int space = line.indexOf(' ');
        String id = space < 0 ? line : line.substring(0, space);
        String rights = space < 0 ? "" : line.substring(space).strip();
        if (!validIdentifier(id)) {
            return null;
        }
        for (int i = 0; i < rights.length(); i++) {
            char c = rights.charAt(i);
            if (c <= ' ' || c == 0x7f) {
                return null;
            }
        }
        return new String[] {id, rights};
    }

    /** What the file can hold as an identifier: not empty, no space or control character (Courier's rule). */
    static boolean validIdentifier(String id) {
        if (id.isEmpty() || id.equals("-")) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c <= ' ' || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The effective ACL of the folder in {@code dir} (the Maildir {@code root} itself for INBOX), as
     * the store API spells it: RFC 4314 letters, with inheritance and the administrators rule applied.
     */
    static List<AclEntry> effective(Path root, Path dir) throws IOException {
        List<String[]> lines = stored(root, dir);
        List<AclEntry> out = new ArrayList<>();
        boolean admin = false;
        for (String[] l : lines) {
            String id = l[0];
            if (id.equals("-" + ADMINISTRATORS) || id.equals("-group=" + ADMINISTRATORS)) {
                continue;
            }
            if (id.equals(ADMINISTRATORS) || id.equals("group=" + ADMINISTRATORS)) {
                admin = true;
                out.add(new AclEntry(id, fromCourier(ALL_COURIER + l[1])));
                continue;
            }
            out.add(new AclEntry(id, fromCourier(l[1])));
        }
        if (!admin) {
            out.add(new AclEntry(ADMINISTRATORS, ALL));
        }
        return out;
    }

    /** The lines that hold for the folder: its own, the hierarchy file's, its parent's, or INBOX's default. */
    private static List<String[]> stored(Path root, Path dir) throws IOException {
        Path d = dir;
        while (true) {
            List<String[]> lines = lines(d.resolve(FILE));
            if (lines != null) {
                return lines;
            }
            if (d.equals(root)) {
                return List.of(new String[] {"owner", ALL_COURIER}, new String[] {ADMINISTRATORS, ALL_COURIER});
            }
            String name = d.getFileName().toString();
            lines = lines(root.resolve(HIER_DIR).resolve(name.substring(1)));
            if (lines != null) {
                return lines;
            }
            int dot = name.lastIndexOf('.');
            d = dot <= 0 ? root : root.resolve(name.substring(0, dot));
        }
    }

    /**
     * Sets (or with null rights removes) one identifier's entry in the folder's own file, starting
     * from the inherited list when it has none; the other lines stay as written.
     */
    static void set(Path root, Path dir, String identifier, String rights) throws IOException {
        try (FolderLock.Held held = FolderLock.withFile(root)) {
            Map<String, String> acl = new LinkedHashMap<>();
            for (String[] l : stored(root, dir)) {
                acl.put(l[0], l[1]);
            }
            if (rights == null) {
                acl.remove(identifier);
            } else {
                acl.put(identifier, toCourier(rights));
            }
            writeLocked(dir, acl);
        }
    }

    /** Gives a new folder a file of its own holding the list it inherits (Courier does so at CREATE). */
    static void inherit(Path root, Path dir) throws IOException {
        try (FolderLock.Held held = FolderLock.withFile(root)) {
            if (Files.exists(dir.resolve(FILE))) {
                return;
            }
            Map<String, String> acl = new LinkedHashMap<>();
            for (String[] l : stored(root, dir)) {
                acl.put(l[0], l[1]);
            }
            writeLocked(dir, acl);
        }
    }

    /** Replaces the folder's ACL with Courier's rights letters as given; {@code root} is the Maildir whose lock guards it. */
    static void write(Path root, Path folder, Map<String, String> acl) throws IOException {
        try (FolderLock.Held held = FolderLock.withFile(root)) {
            writeLocked(folder, acl);
        }
    }

    private static void writeLocked(Path folder, Map<String, String> acl) throws IOException {
        StringBuilder text = new StringBuilder();
        acl.forEach((id, rights) -> {
            if (!validIdentifier(id) || rights.indexOf(' ') >= 0 || rights.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("Not an ACL entry: " + id + " " + rights);
            }
            text.append(id).append(' ').append(rights).append('\n');
        });
        Path tmpDir = folder.resolve("tmp");
        if (!Files.isDirectory(tmpDir)) {
            OwnerOnly.createDirectory(tmpDir);
        }
        Path tmp = tmpDir.resolve(MaildirFileName.unique() + "_acl");
        OwnerOnly.write(tmp, text.toString().getBytes(StandardCharsets.UTF_8));
        try {
            Files.move(tmp, folder.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Courier's letters as RFC 4314's: {@code c} is {@code k}; a literal {@code k} means nothing to Courier. */
    static String fromCourier(String courier) {
        TreeSet<Character> set = new TreeSet<>();
        for (char c : courier.toCharArray()) {
            if (c == 'k') {
                continue;
            }
            set.add(c == 'c' ? 'k' : c);
        }
        return join(set);
    }

    /** RFC 4314 letters as Courier writes them, sorted. */
    static String toCourier(String rfc) {
        TreeSet<Character> set = new TreeSet<>();
        for (char c : rfc.toCharArray()) {
            set.add(c == 'k' ? 'c' : c);
        }
        return join(set);
    }

    private static String join(TreeSet<Character> set) {
        StringBuilder b = new StringBuilder(set.size());
        set.forEach(b::append);
        return b.toString();
    }
}
