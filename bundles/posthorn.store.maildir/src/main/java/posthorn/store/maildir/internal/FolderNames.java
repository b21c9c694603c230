package posthorn.store.maildir.internal;

import java.util.Optional;

import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;

/**
 * Mailbox names between the store API and Maildir++ directories, as Courier lays them out: INBOX is
 * the Maildir root; {@code INBOX.A.B} is the directory {@code .A.B} (in UTF-8) right
 * under the root, in UTF-8 as Courier-IMAP 5 writes it. Every name is validated here so that no mailbox name can address a path outside
 * the Maildir: the directory name has no '/', no empty level and no level starting with '.'.
 */
final class FolderNames {
    static final char SEPARATOR = '.';
    static final String INBOX = "INBOX";

    private FolderNames() {
    }

    /**
     * The canonical spelling of a mailbox name: INBOX in upper case (RFC 3501 5.1), everything else as
     * given.
     *
     * @throws StoreException {@link Reason#CANNOT} for a name that cannot be a Maildir++ folder,
     *         {@link Reason#NONEXISTENT} for a well-formed name outside the INBOX hierarchy
     */
    static String canonical(String name) throws StoreException {
        if (name == null || name.isEmpty()) {
            throw new StoreException(Reason.CANNOT, "Empty mailbox name");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                throw new StoreException(Reason.CANNOT, "Control character in mailbox name");
            }
            if (c == '/') {
                throw new StoreException(Reason.CANNOT, "'/' is not allowed in a mailbox name");
            }
        }
        String[] levels = name.split("\\.", -1);
        for (String level : levels) {
            if (level.isEmpty()) {
                throw new StoreException(Reason.CANNOT, "Empty hierarchy level in mailbox name");
            }
        }
        if (!levels[0].equalsIgnoreCase(INBOX)) {
            throw new StoreException(Reason.NONEXISTENT,
                    "Mailboxes live under INBOX" + SEPARATOR + " in this store: " + name);
        }
        return INBOX + name.substring(INBOX.length());
    }

    static boolean isInbox(String canonical) {
        return canonical.equals(INBOX);
    }

    /**
     * The directory name of a canonical non-INBOX name, e.g. {@code .Sent} or {@code .Entwürfe}: Courier-IMAP
     * 5 keeps folder names in UTF-8 on disk (seen running it: CREATE "INBOX.Entw&APw-rfe" makes
     * {@code .Entwürfe}); the modified UTF-7 of IMAP stays on the wire.
     */
    static String directory(String canonical) {
        if (isInbox(canonical)) {
            throw new IllegalArgumentException("INBOX is the Maildir root");
        }
        return SEPARATOR + canonical.substring(INBOX.length() + 1);
    }

    /** The mailbox name of a directory under the root, or empty if the directory is no folder of ours. */
    static Optional<String> fromDirectory(String dirName) {
        if (dirName.length() < 2 || dirName.charAt(0) != SEPARATOR) {
            return Optional.empty();
        }
        try {
            String canonical = canonical(INBOX + dirName);
            return directory(canonical).equals(dirName) ? Optional.of(canonical) : Optional.empty();
        } catch (StoreException e) {
            return Optional.empty();
        }
    }

    /** The canonical name's parent, or null for INBOX. */
    static String parent(String canonical) {
        int dot = canonical.lastIndexOf(SEPARATOR);
        return dot < 0 ? null : canonical.substring(0, dot);
    }
}
