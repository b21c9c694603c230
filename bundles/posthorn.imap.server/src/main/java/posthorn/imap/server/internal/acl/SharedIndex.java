package posthorn.imap.server.internal.acl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may have shared mailboxes with whom: for each owner, the identifiers (as stored: {@code user=bob},
 * {@code anyone}, {@code group=staff}) that some ACL of the owner's mailboxes grants a right. LIST of
 * the shared namespace asks only those owners (there is no list of every user to go through: LDAP and
 * SQL backends cannot be enumerated), and then shows only what the owner's ACLs give {@code l} on, so a
 * line that is out of date costs a look and never shows anything. Dovecot keeps the same thing in its
 * {@code acl_shared_dict}; Courier builds its list of accounts with {@code sharedindexinstall}.
 *
 * <p>An owner's line is rewritten whenever an ACL of theirs changes through IMAP (SETACL, DELETEACL),
 * in a file of one {@code OWNER TAB IDENTIFIER} a line ({@code $POSTHORN_VAR/shared-index}, mode
 * 0600, replaced atomically; read again when another process changed it), or in memory only when the
 * server has no state directory. The {@code administrators} group is never indexed: it has every right
 * on every mailbox, which would list every user's mail to it; it can still open a shared mailbox by
 * name. Thread-safe.
 */
public final class SharedIndex {
    private static final Logger LOG = LoggerFactory.getLogger(SharedIndex.class);

    private final Path file;
    private Map<String, Set<String>> owners = new TreeMap<>();
    private FileTime seen;

    private SharedIndex(Path file) {
        this.file = file;
    }

    /** An index kept in this file (created when first needed). */
    public static SharedIndex in(Path file) {
        return new SharedIndex(file);
    }

    /** An index in memory only, lost at a restart. */
    public static SharedIndex inMemory() {
        return new SharedIndex(null);
    }

    /** Where the index is kept, or null in memory. */
    public Path file() {
        return file;
    }

    /**
     * The owners who grant some right to one of {@code identifiers} (stored forms), in name order,
     * {@code self} left out.
     */
    public synchronized List<String> ownersFor(Set<String> identifiers, String self) {
        reload();
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : owners.entrySet()) {
            if (e.getKey().equals(self)) {
                continue;
            }
            for (String id : e.getValue()) {
                if (identifiers.contains(id)) {
                    out.add(e.getKey());
                    break;
                }
            }
        }
        return out;
    }

    /** Replaces what the owner grants to whom; an empty set removes the owner. */
    public synchronized void update(String owner, Set<String> identifiers) {
        if (!indexable(owner)) {
            return;
        }
        reload();
        Set<String> ids = new TreeSet<>();
        for (String id : identifiers) {
            if (indexable(id)) {
                ids.add(id);
            }
        }
        Set<String> old = owners.getOrDefault(owner, Set.of());
        if (old.equals(ids)) {
            return;
        }
        if (ids.isEmpty()) {
            owners.remove(owner);
        } else {
            owners.put(owner, ids);
        }
        write();
    }

    /** Names kept in the file: no tab, no line end, nothing empty. */
    private static boolean indexable(String s) {
        return !s.isEmpty() && s.chars().noneMatch(c -> c < 0x20 || c == 0x7f);
    }

    private void reload() {
        if (file == null) {
            return;
        }
        try {
            FileTime t = Files.getLastModifiedTime(file);
            if (t.equals(seen)) {
                return;
            }
            Map<String, Set<String>> read = new TreeMap<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                int tab = line.indexOf('\t');
                if (tab <= 0 || tab == line.length() - 1) {
                    continue;
                }
                read.computeIfAbsent(line.substring(0, tab), k -> new TreeSet<>()).add(line.substring(tab + 1));
            }
            owners = read;
            seen = t;
        } catch (NoSuchFileException e) {
            owners = new TreeMap<>();
            seen = null;
        } catch (IOException | RuntimeException e) {
            LOG.warn("event=shared.index.unreadable file={} reason={}", file, e.toString());
        }
    }

    private void write() {
        if (file == null) {
            return;
        }
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, Set<String>> e : owners.entrySet()) {
            for (String id : e.getValue()) {
                text.append(e.getKey()).append('\t').append(id).append('\n');
            }
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(tmp, text.toString().getBytes(StandardCharsets.UTF_8), StandardOpenOption.TRUNCATE_EXISTING);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            seen = Files.getLastModifiedTime(file);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("event=shared.index.unwritable file={} reason={}", file, e.toString());
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // nothing more to do: the warning above says what failed
            }
        }
    }
}
