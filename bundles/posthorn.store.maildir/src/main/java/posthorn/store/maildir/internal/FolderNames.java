package posthorn.store.maildir.internal;

import java.util.Optional;

import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;

/**
 * Mailbox names between the store API and Maildir++ directories. INBOX is the Maildir root; every
 * other name is its directory without the leading dot: {@code Sent} is {@code .Sent}, {@code A.B} is
 * {@code .A.B}, {@code INBOX.Foo} is {@code .INBOX.Foo} (a child of INBOX, as Dovecot lays it out),
 * in UTF-8 as Courier-IMAP 5 and Dovecot write them. The IMAP namespace (Courier's {@code INBOX.}
 * prefix, or none) is the server's business, not the store's (store.api 1.3).
 *
 * <p>Every name is validated here so that no mailbox name can address a path outside the Maildir:
 * the directory name has no '/', no control character, no empty level and no level starting with '.'
 * (an empty level is where a second dot would be).
 */
final class FolderNames {
    static final char SEPARATOR = '.';
    static final String INBOX = "INBOX";
    /** Longest folder name in UTF-8 bytes: a directory name is at most 255 bytes, the dot included. */
    static final int MAX_BYTES = 254;

    private FolderNames() {
    }

    /**
     * The canonical spelling of a mailbox name: INBOX, and INBOX as the first level, in upper case
     * (RFC 3501 5.1), everything else as given.
     *
     * @throws StoreException {@link Reason#CANNOT} for a name that cannot be a Maildir++ folder
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
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new StoreException(Reason.CANNOT, "Mailbox name too long");
        }
        if (levels[0].equalsIgnoreCase(INBOX)) {
            return INBOX + name.substring(INBOX.length());
        }
        return name;
    }

    static boolean isInbox(String canonical) {
        return canonical.equals(INBOX);
    }

    /**
     * The directory name of a canonical non-INBOX name, e.g. {@code .Sent} or {@code .Entwürfe}:
     * Courier-IMAP 5 keeps folder names in UTF-8 on disk (seen running it: CREATE "INBOX.Entw&APw-rfe"
     * makes {@code .Entwürfe}); the modified UTF-7 of IMAP stays on the wire.
     */
    static String directory(String canonical) {
        if (isInbox(canonical)) {
            throw new IllegalArgumentException("INBOX is the Maildir root");
        }
        return SEPARATOR + canonical;
    }

    /**
     * The mailbox name of a directory under the root, or empty if the directory is no folder of ours
     * ({@code .INBOX} would be the root's name; {@code .inbox.x} is not INBOX's spelling).
     */
    static Optional<String> fromDirectory(String dirName) {
        if (dirName.length() < 2 || dirName.charAt(0) != SEPARATOR) {
            return Optional.empty();
        }
        try {
            String canonical = canonical(dirName.substring(1));
            return !isInbox(canonical) && directory(canonical).equals(dirName) ? Optional.of(canonical) : Optional.empty();
        } catch (StoreException e) {
            return Optional.empty();
        }
    }

    /** The canonical name's parent, or null for a top-level name and INBOX. */
    static String parent(String canonical) {
        int dot = canonical.lastIndexOf(SEPARATOR);
        return dot < 0 ? null : canonical.substring(0, dot);
    }
}
