package posthorn.imap.protocol;

import java.util.List;
import java.util.stream.Collectors;

/**
 * One FETCH data item (RFC 3501 6.4.5; BINARY from RFC 3516). Macros are expanded by {@link ArgReader#fetchAttributes()}.
 */
public sealed interface FetchAttribute {

    record Uid() implements FetchAttribute {
    }

    record Flags() implements FetchAttribute {
    }

    record InternalDate() implements FetchAttribute {
    }

    record Rfc822Size() implements FetchAttribute {
    }

    record Envelope() implements FetchAttribute {
    }

    /** BODY (non-extensible) or BODYSTRUCTURE (extensible). */
    record BodyStructure(boolean extensible) implements FetchAttribute {
    }

    /** RFC822 (sets \Seen), RFC822.HEADER (peek), RFC822.TEXT (sets \Seen). */
    record Rfc822(Section.Kind kind) implements FetchAttribute {
    }

    /**
     * BODY[section]&lt;partial&gt; or BODY.PEEK[...].
     *
     * @param origin  the partial's first octet, or -1 for none
     * @param length  the partial's length, or -1 for none
     */
    record Body(Section section, boolean peek, long origin, long length) implements FetchAttribute {
    }

    /**
     * BINARY[part]&lt;partial&gt; or BINARY.PEEK[...] (RFC 3516, RFC 9051 6.4.5): the part's content
     * with its Content-Transfer-Encoding undone.
     *
     * @param part    the part numbers, empty for the whole message
     * @param origin  the partial's first octet, or -1 for none
     * @param length  the partial's length, or -1 for none
     * @since 1.2
     */
    record Binary(List<Integer> part, boolean peek, long origin, long length) implements FetchAttribute {
        public Binary {
            part = List.copyOf(part);
        }

        /** The part numbers as the response names them, e.g. {@code 1.2}; empty for the whole message. */
        public String spec() {
            return part.stream().map(String::valueOf).collect(Collectors.joining("."));
        }
    }

    /**
     * BINARY.SIZE[part] (RFC 3516): the size of the part's content once decoded.
     *
     * @since 1.2
     */
    record BinarySize(List<Integer> part) implements FetchAttribute {
        public BinarySize {
            part = List.copyOf(part);
        }

        public String spec() {
            return part.stream().map(String::valueOf).collect(Collectors.joining("."));
        }
    }

    /**
     * SAVEDATE (RFC 8514 4.1): when the message was saved into its mailbox.
     *
     * @since 3.0
     */
    record SaveDate() implements FetchAttribute {
    }

    /**
     * EMAILID (RFC 8474 5.1).
     *
     * @since 3.0
     */
    record EmailId() implements FetchAttribute {
    }

    /**
     * THREADID (RFC 8474 5.2).
     *
     * @since 3.0
     */
    record ThreadId() implements FetchAttribute {
    }

    /**
     * PREVIEW or PREVIEW (LAZY) (RFC 8970 3.1): a short text of the message.
     *
     * @since 3.0
     */
    record Preview(boolean lazy) implements FetchAttribute {
    }

    /**
     * MODSEQ (RFC 7162 3.1.4.1): the message's modification sequence.
     *
     * @since 3.0
     */
    record ModSeq() implements FetchAttribute {
    }

    /** Whether fetching this sets \Seen (RFC 3501 6.4.5, RFC 3516 4.1). */
    default boolean setsSeen() {
        return switch (this) {
            case Body b -> !b.peek();
            case Binary b -> !b.peek();
            case Rfc822 r -> r.kind() != Section.Kind.HEADER;
            default -> false;
        };
    }
}
