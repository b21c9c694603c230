package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Courier's {@code courierimapacl} in a folder directory: one {@code IDENTIFIER RIGHTS} a line, rights
 * as RFC 4314 letters (Courier writes {@code owner aceilrstwx}, {@code administrators aceilrstwx},
 * {@code user=bob lr}; a leading {@code -} negates). Courier replaces the file by rename from the
 * folder's tmp/ while holding the Maildir root's dot lock (seen with strace); so does this class.
 * store.api has no ACL calls yet: this keeps the file readable and writable so that ACLs set under
 * Courier survive a switch. Thread-safe (stateless).
 */
final class CourierAcl {
    private static final Logger LOG = LoggerFactory.getLogger(CourierAcl.class);
    static final String FILE = "courierimapacl";

    private CourierAcl() {
    }

    /** The folder's ACL in file order; empty if it has none (Courier's defaults apply). */
    static Map<String, String> read(Path folder) throws IOException {
        Map<String, String> acl = new LinkedHashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(folder.resolve(FILE), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return acl;
        }
        for (String line : lines) {
            String t = line.trim();
            int space = t.lastIndexOf(' ');
            if (space <= 0) {
                if (!t.isEmpty()) {
                    LOG.warn("Ignoring malformed line in {}: {}", folder.resolve(FILE), line);
                }
                continue;
            }
            acl.put(t.substring(0, space), t.substring(space + 1));
        }
        return acl;
    }

    /** Replaces the folder's ACL; {@code root} is the Maildir whose lock guards it. */
    static void write(Path root, Path folder, Map<String, String> acl) throws IOException {
        StringBuilder text = new StringBuilder();
        acl.forEach((id, rights) -> {
            if (id.isEmpty() || id.indexOf('\n') >= 0 || rights.indexOf(' ') >= 0 || rights.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("Not an ACL entry: " + id + " " + rights);
            }
            text.append(id).append(' ').append(rights).append('\n');
        });
        try (FolderLock.Held held = FolderLock.withFile(root)) {
            Path tmp = folder.resolve("tmp").resolve(MaildirFileName.unique() + "_acl");
            OwnerOnly.write(tmp, text.toString().getBytes(StandardCharsets.UTF_8));
            try {
                Files.move(tmp, folder.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
