package posthorn.store.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * What the store knows of one message without reading it.
 *
 * @param uid          the message's UID, unique and ascending within a UIDVALIDITY
 * @param flags        system flags ({@link Flags}) and keywords; never {@code \Recent}
 * @param size         RFC822.SIZE: the message's size in bytes with CRLF line ends, or {@link #UNKNOWN_SIZE}
 *                     where the store has not measured it yet (it would have to read the message): then
 *                     {@link Mailbox#sizes} gives it (since 1.5.0)
 * @param internalDate INTERNALDATE: when the message was delivered (or given to APPEND)
 * @param recent       whether this handle is the first to see the message (RFC 3501 \Recent);
 *                     exactly one read-write handle on a mailbox takes a message as recent; a
 *                     read-only handle (EXAMINE) sees it recent while none has, and takes nothing
 */
public record MessageMeta(long uid, Set<String> flags, long size, Instant internalDate, boolean recent) {
    /** The {@link #size} of a message the store has not measured yet. */
    public static final long UNKNOWN_SIZE = -1;

    public MessageMeta {
        if (uid <= 0) {
            throw new IllegalArgumentException("uid must be positive: " + uid);
        }
        if (size < 0 && size != UNKNOWN_SIZE) {
            throw new IllegalArgumentException("size must be positive or UNKNOWN_SIZE: " + size);
        }
        flags = Set.copyOf(flags);
        Objects.requireNonNull(internalDate, "internalDate");
    }

    public MessageMeta withFlags(Set<String> newFlags) {
        return new MessageMeta(uid, newFlags, size, internalDate, recent);
    }

    /** This message with its size measured. */
    public MessageMeta withSize(long exactSize) {
        return new MessageMeta(uid, flags, exactSize, internalDate, recent);
    }
}
