package posthorn.store.api;

/**
 * What STATUS (RFC 3501 6.3.10) reports of a mailbox, without selecting it.
 *
 * @param messages    number of messages
 * @param recent      number of messages no handle has seen yet (in Maildir: still in new/)
 * @param uidNext     the UID the next message will have at least
 * @param uidValidity UIDVALIDITY
 * @param unseen      number of messages without \Seen
 * @param size        total RFC822.SIZE of the messages, in bytes (RFC 8438 STATUS=SIZE)
 */
public record MailboxStatus(long messages, long recent, long uidNext, long uidValidity, long unseen, long size) {
}
