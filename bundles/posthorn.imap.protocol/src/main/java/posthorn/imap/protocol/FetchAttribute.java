package posthorn.imap.protocol;

/**
 * One FETCH data item (RFC 3501 6.4.5). Macros are expanded by {@link ArgReader#fetchAttributes()}.
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

    /** Whether fetching this sets \Seen (RFC 3501 6.4.5). */
    default boolean setsSeen() {
        return switch (this) {
            case Body b -> !b.peek();
            case Rfc822 r -> r.kind() != Section.Kind.HEADER;
            default -> false;
        };
    }
}
