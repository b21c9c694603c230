package posthorn.store.api;

/**
 * One quota root (RFC 2087). A limit of {@code -1} means none for that resource.
 */
public record Quota(String root, long storageUsedBytes, long storageLimitBytes, long messagesUsed, long messagesLimit) {
}
