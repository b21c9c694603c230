package posthorn.imap.protocol;

import java.nio.ByteBuffer;

/**
 * Frames client input into command lines, byte by byte, without I/O of its own (RFC 3501 2.2,
 * RFC 7888). A line ending in a literal announcement ({@code {N}}, {@code {N+}}) is reported as
 * {@link Event.LiteralAnnounced} before its bytes are read, so the server can check the size and send
 * the continuation request; the literal's bytes then become part of the same {@link Event.Line}.
 * Limits are checked before anything is buffered: an over-long line is skipped to its CRLF and
 * reported, an oversized literal is reported and not read.
 *
 * <p>Usage (one per connection): read bytes into a buffer, call {@link #receive} until it returns
 * {@link Event.NeedMore}, act on each event.
 */
public final class CommandReceiver {

    public CommandReceiver(ParserLimits limits) {
        throw new UnsupportedOperationException("not yet");
    }

    /**
     * Consumes bytes from {@code in} (advancing its position) until an event happens or it is empty.
     */
    public Event receive(ByteBuffer in) {
        throw new UnsupportedOperationException("not yet");
    }

    /**
     * After a synchronizing {@link Event.LiteralAnnounced} that the server refused (it answered the
     * command with BAD/NO instead of "+"): forget the partial command; the next bytes start a new line.
     * A non-synchronizing literal cannot be refused this way: the client sends it regardless, so the
     * receiver itself skips it when too large, and reports {@link Event.TooLarge} with {@code fatal}.
     */
    public void rejectLiteral() {
        throw new UnsupportedOperationException("not yet");
    }

    /** What the receiver found. */
    public sealed interface Event {

        /** Every byte given was consumed; call again with more. */
        record NeedMore() implements Event {
        }

        /**
         * A line ended with a literal announcement within limits. For a synchronizing literal the
         * server sends a continuation request ({@code + Ready}) or refuses with {@link #rejectLiteral()};
         * for a non-synchronizing one it just calls {@link #receive} again.
         *
         * @param tag the command's tag as far as it can be read, or null
         */
        record LiteralAnnounced(String tag, long size, boolean nonSynchronizing) implements Event {
        }

        /**
         * A complete command line: the bytes as the client sent them without the final CRLF,
         * literals inline in wire form ({@code {N}CRLF} followed by N bytes). Read it with
         * {@link ArgReader}.
         */
        record Line(byte[] bytes) implements Event {
        }

        /**
         * A limit was exceeded: a line too long (skipped up to its CRLF), a literal larger than allowed,
         * or a bad literal announcement. The server answers {@code tag BAD [TOOBIG] reason} (or NO for a
         * synchronizing literal) and, when {@code fatal}, says BYE and closes: the receiver cannot find
         * where the next command begins.
         *
         * @param tag the command's tag as far as it could be read, or null
         */
        record TooLarge(String tag, String reason, boolean fatal) implements Event {
        }
    }
}
