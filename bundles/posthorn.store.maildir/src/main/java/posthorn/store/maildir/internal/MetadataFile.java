package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The METADATA entries (RFC 5464) of one folder, or of the server as one user sees it, in a small
 * owner-only file Courier ignores: {@code posthorn.metadata} in the folder's directory (the Maildir's
 * root for INBOX), so that a RENAME (one directory rename) takes the entries along and a DELETE removes
 * them with the folder; {@code posthorn.server-metadata} in the root for the server's entries.
 *
 * <p>Format, UTF-8: the line {@code posthorn-metadata 1}, then one line per entry,
 * {@code NAME TAB BASE64(VALUE)}; LF after every line. A line that does not parse is skipped with a
 * log line (the rest is kept). The whole file is replaced at every change (tmp, fsync, rename), so a
 * crash leaves the old entries or the new ones. Changes are serialised within the process by the
 * file's in-process lock; two processes changing one folder's entries at the same moment may lose
 * one of the two changes (the file is never torn).
 */
final class MetadataFile {
    static final String FOLDER_FILE = "posthorn.metadata";
    static final String SERVER_FILE = "posthorn.server-metadata";
    private static final String HEADER = "posthorn-metadata 1";
    private static final Logger LOG = LoggerFactory.getLogger(MetadataFile.class);

    private MetadataFile() {
    }

    static SortedMap<String, byte[]> read(Path file) throws IOException {
        TreeMap<String, byte[]> entries = new TreeMap<>();
        java.util.List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return entries;
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (i == 0 && line.equals(HEADER)) {
                continue;
            }
            int tab = line.indexOf('\t');
            if (tab <= 0) {
                LOG.warn("event=metadata.skipped file={} line={} reason=\"no TAB\"", file, i + 1);
                continue;
            }
            try {
                entries.put(line.substring(0, tab), Base64.getDecoder().decode(line.substring(tab + 1)));
            } catch (IllegalArgumentException e) {
                LOG.warn("event=metadata.skipped file={} line={} reason=\"bad base64\"", file, i + 1);
            }
        }
        return entries;
    }

    /** Applies {@code changes} (null values remove) under the in-process lock and writes the file whole. */
    static void change(Path file, Map<String, byte[]> changes) throws IOException {
        try (FolderLock.Held held = FolderLock.inProcess(file)) {
            SortedMap<String, byte[]> entries = read(file);
            for (Map.Entry<String, byte[]> c : changes.entrySet()) {
                if (c.getKey().indexOf('\t') >= 0 || c.getKey().indexOf('\n') >= 0 || c.getKey().isEmpty()) {
                    throw new IllegalArgumentException("entry name not storable");
                }
                if (c.getValue() == null) {
                    entries.remove(c.getKey());
                } else {
                    entries.put(c.getKey(), c.getValue().clone());
                }
            }
            if (entries.isEmpty()) {
                Files.deleteIfExists(file);
                return;
            }
            StringBuilder text = new StringBuilder(HEADER).append('\n');
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                text.append(e.getKey()).append('\t').append(Base64.getEncoder().encodeToString(e.getValue())).append('\n');
            }
            MaildirUserMail.writeAtomically(file, text.toString().getBytes(StandardCharsets.UTF_8));
        }
    }
}
