package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * EMAILID (RFC 8474 5.1) of the messages of one folder. A message's id is derived from the unique part
 * of its Maildir name (before the first comma; unique within the Maildir by the Maildir convention):
 * "M" and 24 hex digits of its SHA-256, so it needs no storage and survives a lost index. A MOVE gives
 * the message a new name in the target folder, so the target records the id it had under the old
 * name in {@code posthorn.emailids} (one {@code BASE TAB ID} line a move, appended and synced before
 * the file is renamed, so a crash cannot lose it), a small owner-only file Courier ignores. A COPY is a
 * new message with an id of its own. Thread-safe.
 */
final class EmailIds {
    static final String FILE = "posthorn.emailids";
    private final Path file;
    /** Guarded by this; null until first read. */
    private Map<String, String> moved;

    EmailIds(Path dir) {
        this.file = dir.resolve(FILE);
    }

    /** The EMAILID of the message with this base name. */
    synchronized String of(String base) {
        String id = moved().get(uniquePart(base));
        return id != null ? id : derive(base);
    }

    /** Records that the message now named {@code newBase} here had the id {@code id}, before it is moved in. */
    synchronized void carry(String newBase, String id) throws IOException {
        if (id.equals(derive(newBase))) {
            return;
        }
        String line = uniquePart(newBase) + '\t' + id + '\n';
        boolean fresh = !Files.exists(file);
        try (FileChannel ch = fresh ? OwnerOnly.createFile(file)
                : FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer buf = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(false);
        }
        moved().put(uniquePart(newBase), id);
    }

    private Map<String, String> moved() {
        if (moved == null) {
            moved = new HashMap<>();
            try {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    int tab = line.indexOf('\t');
                    // a torn last line (a crash mid-append) has no valid id: skipped
                    if (tab > 0 && FolderAttributes.validId(line.substring(tab + 1))) {
                        moved.put(line.substring(0, tab), line.substring(tab + 1));
                    }
                }
            } catch (NoSuchFileException e) {
                // nothing moved in yet
            } catch (IOException e) {
                org.slf4j.LoggerFactory.getLogger(EmailIds.class)
                        .warn("event=emailids.unreadable file={} reason=\"{}\"", file, e.toString());
            }
        }
        return moved;
    }

    static String uniquePart(String base) {
        int comma = base.indexOf(',');
        return comma < 0 ? base : base.substring(0, comma);
    }

    static String derive(String base) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(uniquePart(base).getBytes(StandardCharsets.UTF_8));
            return "M" + HexFormat.of().formatHex(h, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
