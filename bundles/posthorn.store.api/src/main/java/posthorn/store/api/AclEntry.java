package posthorn.store.api;

import java.util.Objects;

/**
 * One entry of a mailbox's access control list (RFC 4314), as the store keeps it.
 *
 * @param identifier who the entry is for, in the stored vocabulary (Courier's, see
 *                   {@link AclMail}): {@code owner}, {@code anyone}, {@code anonymous},
 *                   {@code administrators}, {@code user=NAME}, {@code group=NAME}; a leading {@code -}
 *                   makes it a negative right
 * @param rights     RFC 4314 rights letters ({@code lrswipkxtea}), without the virtual {@code c} and
 *                   {@code d}; a store hands back letters it does not know as it found them
 */
public record AclEntry(String identifier, String rights) {
    public AclEntry {
        Objects.requireNonNull(identifier, "identifier");
        Objects.requireNonNull(rights, "rights");
    }
}
