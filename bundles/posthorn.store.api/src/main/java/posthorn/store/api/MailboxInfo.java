package posthorn.store.api;

import java.util.Set;

/**
 * A mailbox as LIST shows it.
 *
 * @param name       decoded name, levels separated by the store's separator
 * @param attributes RFC 3501/3348/6154 attributes as IMAP spells them, e.g. {@code \HasChildren},
 *                   {@code \Noselect}, {@code \Sent}
 */
public record MailboxInfo(String name, Set<String> attributes) {
    public MailboxInfo {
        attributes = Set.copyOf(attributes);
    }
}
