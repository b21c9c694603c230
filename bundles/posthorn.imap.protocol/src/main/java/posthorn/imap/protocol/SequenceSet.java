package posthorn.imap.protocol;

import java.util.List;

/**
 * A sequence set (RFC 3501 9: sequence-set), of message sequence numbers or UIDs. {@code *} stands
 * for the largest number in use, given when the set is evaluated. Immutable.
 */
public final class SequenceSet {

    /** An inclusive range; {@code Long.MAX_VALUE} stands for '*'. */
    public record Range(long first, long last) {
    }

    public static SequenceSet parse(String text) throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }

    /** The ranges as written, each with {@code first <= last} after ordering its ends. */
    public List<Range> ranges() {
        throw new UnsupportedOperationException("not yet");
    }

    /** Whether {@code n} is in the set, with '*' meaning {@code max}. */
    public boolean contains(long n, long max) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Whether the set is "$" (RFC 5182 saved result). */
    public boolean isSaved() {
        throw new UnsupportedOperationException("not yet");
    }

    /** The canonical text: ranges sorted and merged, '*' kept. */
    @Override
    public String toString() {
        throw new UnsupportedOperationException("not yet");
    }
}
