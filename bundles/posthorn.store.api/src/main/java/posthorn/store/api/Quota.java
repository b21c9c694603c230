package posthorn.store.api;

/**
 * One quota root and its usage (RFC 9208). Sizes are in bytes here; the server turns them into the
 * protocol's units of 1024 octets. A limit of {@code -1} means none for that resource.
 *
 * @param root               the quota root's name, as the server shows it to the client
 * @param storageUsedBytes   what the messages under the root take, in bytes (resource STORAGE)
 * @param storageLimitBytes  the most they may take, or -1
 * @param messagesUsed       how many messages are under the root (resource MESSAGE)
 * @param messagesLimit      the most there may be, or -1
 */
public record Quota(String root, long storageUsedBytes, long storageLimitBytes, long messagesUsed, long messagesLimit) {
}
