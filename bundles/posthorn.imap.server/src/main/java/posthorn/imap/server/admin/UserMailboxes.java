package posthorn.imap.server.admin;

import java.util.List;

/**
 * A user's mail, as {@link ImapAdmin#mailboxes} found it.
 *
 * @param user      the user's login name
 * @param mailboxes every mailbox, INBOX first
 * @param quota     the quota roots and their use, empty where the store keeps no quota for the user
 */
public record UserMailboxes(String user, List<MailboxUsage> mailboxes, List<QuotaUse> quota) {
    public UserMailboxes {
        mailboxes = List.copyOf(mailboxes);
        quota = List.copyOf(quota);
    }

    /**
     * One mailbox. A mailbox that cannot be opened (\Noselect, a folder only in the hierarchy) has
     * counts of -1.
     *
     * @param name        its name, decoded (Unicode)
     * @param messages    messages in it
     * @param unseen      messages without \Seen
     * @param size        bytes of all its messages
     * @param uidValidity its UIDVALIDITY
     * @param uidNext     the UID the next message gets
     */
    public record MailboxUsage(String name, long messages, long unseen, long size, long uidValidity, long uidNext) {
    }

    /**
     * A quota root (RFC 9208), -1 where a limit is not set.
     *
     * @param root         its name
     * @param storageUsed  bytes in use
     * @param storageLimit bytes allowed
     * @param messagesUsed messages
     * @param messagesLimit messages allowed
     */
    public record QuotaUse(String root, long storageUsed, long storageLimit, long messagesUsed, long messagesLimit) {
    }
}
