package posthorn.imap.protocol;

import java.nio.ByteBuffer;

/**
 * Frames client input into command lines, byte by byte, without I/O of its own (RFC 3501 2.2,
 * RFC 7888). A line ending in a literal announcement ({@code {N}}, {@code {N+}}) is reported as
 * {@link Event.LiteralAnnounced} before its bytes are read, so the server can decide where they go:
 * by default they become part of the same {@link Event.Line}; the server may instead have them handed
 * over as they arrive ({@link #streamLiteral}, for a message that should not be held in memory),
 * refuse a synchronizing literal ({@link #rejectLiteral}) or drop a non-synchronizing one
 * ({@link #discardLiteral}). Limits are checked before anything is buffered: an over-long line is
 * skipped to its CRLF and reported, an oversized literal is reported and not read. The server may
 * change the limits between commands ({@link #limits}: small ones before login).
 *
 * <p>Usage (one per connection): read bytes into a buffer, call {@link #receive} until it returns
 * {@link Event.NeedMore}, act on each event.
 *
 * <p>Details the server can rely on:
 * <ul>
 * <li>A line ends at LF; a CR just before it is dropped, a CR elsewhere is kept (ArgReader rejects it).
 *     After a literal announcement the command always holds {@code CRLF}, even if the client sent a
 *     bare LF.</li>
 * <li>{@link ParserLimits#maxLineLength()} counts every byte of the command except literal contents
 *     and line ends. An over-long command is discarded (not buffered) up to its end, following any
 *     non-synchronizing literals it announces, and reported once as a non-fatal {@link Event.TooLarge}.
 *     If it ends in a synchronizing literal, the client is waiting for the server's answer.</li>
 * <li>A literal over {@link ParserLimits#maxLiteralSize()}: synchronizing gives a non-fatal
 *     {@link Event.TooLarge} and the next bytes start a new command; non-synchronizing gives a fatal one,
 *     and the receiver discards the literal and the rest of the command if the server reads on.</li>
 * <li>A line ending in a malformed announcement ({@code {x}}, {@code {}}, a size of 19 digits or more)
 *     is complete: it is reported as a non-fatal {@link Event.TooLarge}, for a BAD answer.</li>
 * <li>Each literal is checked on its own; a command may hold several (MULTIAPPEND), at most one per
 *     few bytes of line, so a server that wants a total cap counts the announced sizes.</li>
 * <li>A streamed literal's bytes come as {@link Event.LiteralData}, in as many pieces as the input
 *     arrives in, none empty; the command's {@link Event.Line} then holds its announcement and CRLF but
 *     not its bytes, and says where they would have been ({@link Event.Line#streamed()}), so that
 *     {@link ArgReader#streamedLiteral()} can tell it apart from a literal held in the line.</li>
 * </ul>
 */
public final class CommandReceiver {

    private static final Event.NeedMore NEED_MORE = new Event.NeedMore();
    private static final int[] NONE = new int[0];
    private static final int INITIAL_CAPACITY = 256;

    private enum State {
        /** Reading a line segment up to LF. */
        LINE,
        /** Reading the bytes of an announced literal into the command (or handing them out, if streamed). */
        LITERAL,
        /** Discarding an over-long command up to its end of line. */
        SKIP_LINE,
        /** Discarding the bytes of a non-synchronizing literal inside a discarded command. */
        SKIP_LITERAL
    }

    private ParserLimits limits;
    private State state = State.LINE;

    /** The command so far, literals inline in wire form. */
    private byte[] buf = new byte[INITIAL_CAPACITY];
    private int len;
    /** Where the current line segment starts in {@link #buf} (after the last literal). */
    private int segmentStart;
    /** Line bytes of this command, literal contents and line ends not counted. */
    private long lineBytes;
    /** A CR seen whose meaning (end of line or data) depends on the next byte. */
    private boolean pendingCr;

    /** Literal bytes still to read (LITERAL) or to discard (SKIP_LITERAL). */
    private long literalRemaining;
    /**
     * A literal was announced and the server has not decided about it yet, nor has any of its bytes
     * arrived: it may be streamed, refused (synchronizing) or discarded (non-synchronizing).
     */
    private boolean undecided;
    /** Whether the literal announced last is non-synchronizing. */
    private boolean nonSyncLiteral;
    /** The literal being read is handed out as {@link Event.LiteralData} instead of buffered. */
    private boolean streaming;
    /** Offsets in {@link #buf} where the bytes of this command's streamed literals would be. */
    private int[] streamed = NONE;
    private int streamedCount;

    /** Tag of the command being discarded, and whether to report it when its end is found. */
    private String skipTag;
    private boolean skipReport;
    private final AnnouncementTracker skipTracker = new AnnouncementTracker();

    public CommandReceiver(ParserLimits limits) {
        this.limits = java.util.Objects.requireNonNull(limits, "limits");
    }

    /**
     * Changes the limits, for instance when the session logs in. They apply to what is received from
     * now on: to the next literal announcement, and to the line being received.
     */
    public void limits(ParserLimits newLimits) {
        this.limits = java.util.Objects.requireNonNull(newLimits, "limits");
    }

    /**
     * Consumes bytes from {@code in} (advancing its position) until an event happens or it is empty.
     */
    public Event receive(ByteBuffer in) {
        while (true) {
            switch (state) {
                case LITERAL -> {
                    if (literalRemaining > 0) {
                        if (!in.hasRemaining()) {
                            return NEED_MORE;
                        }
                        int n = (int) Math.min(literalRemaining, in.remaining());
                        literalRemaining -= n;
                        undecided = false;
                        if (streaming) {
                            ByteBuffer piece = in.slice(in.position(), n);
                            in.position(in.position() + n);
                            return new Event.LiteralData(piece);
                        }
                        ensureCapacity(n);
                        in.get(buf, len, n);
                        len += n;
                        if (literalRemaining > 0) {
                            return NEED_MORE;
                        }
                    }
                    undecided = false;
                    streaming = false;
                    segmentStart = len;
                    state = State.LINE;
                }
                case SKIP_LITERAL -> {
                    if (literalRemaining > 0) {
                        if (!in.hasRemaining()) {
                            return NEED_MORE;
                        }
                        int n = (int) Math.min(literalRemaining, in.remaining());
                        in.position(in.position() + n);
                        literalRemaining -= n;
                        if (literalRemaining > 0) {
                            return NEED_MORE;
                        }
                    }
                    skipTracker.reset();
                    state = State.SKIP_LINE;
                }
                case LINE -> {
                    Event e = readLine(in);
                    if (e != null) {
                        return e;
                    }
                }
                case SKIP_LINE -> {
                    Event e = skipLine(in);
                    if (e != null) {
                        return e;
                    }
                }
            }
        }
    }

    /** Reads line bytes; returns an event, NeedMore, or null when the state changed. */
    private Event readLine(ByteBuffer in) {
        while (in.hasRemaining()) {
            byte b = in.get();
            if (b == '\n') {
                pendingCr = false;
                return endOfSegment();
            }
            if (pendingCr) {
                pendingCr = false;
                if (!append((byte) '\r')) {
                    in.position(in.position() - 1);
                    return null;
                }
            }
            if (b == '\r') {
                pendingCr = true;
            } else if (!append(b)) {
                return null;
            }
        }
        return NEED_MORE;
    }

    /** Appends one line byte; false (and SKIP_LINE) when it makes the command too long. */
    private boolean append(byte b) {
        if (++lineBytes > limits.maxLineLength()) {
            skipTag = tagOf(buf, len, false);
            skipReport = true;
            skipTracker.reset();
            // the line's tail may hold the start of a literal announcement: "{" + 18 digits + "+}"
            for (int i = Math.max(segmentStart, len - 24); i < len; i++) {
                skipTracker.feed(buf[i]);
            }
            skipTracker.feed(b);
            resetBuffer();
            state = State.SKIP_LINE;
            return false;
        }
        ensureCapacity(1);
        buf[len++] = b;
        return true;
    }

    private Event endOfSegment() {
        int close = len - 1;
        if (close < segmentStart || buf[close] != '}') {
            return completeLine();
        }
        int open = close - 1;
        while (open >= segmentStart && buf[open] != '{' && buf[open] != ' ') {
            open--;
        }
        if (open < segmentStart || buf[open] != '{') {
            return completeLine(); // a '}' ending an atom, e.g. a password
        }
        String tag = tagOf(buf, len, true);
        String command = commandOf(buf, segmentStart == 0 ? open : len);
        int digitsEnd = close;
        boolean nonSync = buf[close - 1] == '+';
        if (nonSync) {
            digitsEnd--;
        }
        long size = parseSize(buf, open + 1, digitsEnd);
        if (size < 0) {
            resetCommand();
            return new Event.TooLarge(tag, "Invalid literal announcement", false);
        }
        if (size > limits.maxLiteralSize()) {
            String reason = "Literal of " + size + " bytes exceeds the limit of " + limits.maxLiteralSize();
            resetCommand();
            if (!nonSync) {
                return new Event.TooLarge(tag, reason, false);
            }
            // RFC 7888: the client sends the bytes anyway; skip them and the rest of the command.
            skipTag = tag;
            skipReport = false;
            literalRemaining = size;
            state = State.SKIP_LITERAL;
            return new Event.TooLarge(tag, reason, true);
        }
        ensureCapacity(2);
        buf[len++] = '\r';
        buf[len++] = '\n';
        literalRemaining = size;
        undecided = true;
        nonSyncLiteral = nonSync;
        state = State.LITERAL;
        return new Event.LiteralAnnounced(tag, command, size, nonSync);
    }

    private Event completeLine() {
        byte[] line = java.util.Arrays.copyOf(buf, len);
        int[] offsets = streamedCount == 0 ? NONE : java.util.Arrays.copyOf(streamed, streamedCount);
        resetCommand();
        return new Event.Line(line, offsets);
    }

    /** Discards bytes up to the end of the command, following non-synchronizing literals. */
    private Event skipLine(ByteBuffer in) {
        while (in.hasRemaining()) {
            byte b = in.get();
            if (b != '\n') {
                skipTracker.feed(b);
                continue;
            }
            if (skipTracker.complete() && skipTracker.nonSync) {
                literalRemaining = skipTracker.size;
                state = State.SKIP_LITERAL;
                return null;
            }
            // A synchronizing literal (if any) is never sent: the server answers instead of "+".
            resetCommand();
            if (skipReport) {
                return new Event.TooLarge(skipTag, "Command line too long", false);
            }
            return null;
        }
        return NEED_MORE;
    }

    /**
     * After a synchronizing {@link Event.LiteralAnnounced} that the server refused (it answered the
     * command with BAD/NO instead of "+"): forget the partial command; the next bytes start a new line.
     * A non-synchronizing literal cannot be refused this way: the client sends it regardless, so the
     * receiver itself skips it when too large, and reports {@link Event.TooLarge} with {@code fatal}.
     *
     * @throws IllegalStateException if the last event was not a synchronizing literal announcement
     */
    public void rejectLiteral() {
        if (state != State.LITERAL || !undecided || nonSyncLiteral) {
            throw new IllegalStateException("no synchronizing literal awaits a decision");
        }
        resetCommand();
    }

    /**
     * After a non-synchronizing {@link Event.LiteralAnnounced} that the server does not take (a literal
     * where none belongs, one it has no room for): the client sends it regardless (RFC 7888), so the
     * receiver reads its bytes and the rest of the command and drops them, reporting nothing; the
     * server answers the command at once. No more than the read buffer is ever held.
     *
     * @throws IllegalStateException if the last event was not a non-synchronizing literal announcement
     */
    public void discardLiteral() {
        if (state != State.LITERAL || !undecided || !nonSyncLiteral) {
            throw new IllegalStateException("no non-synchronizing literal awaits a decision");
        }
        long remaining = literalRemaining;
        resetCommand();
        skipTag = null;
        skipReport = false;
        skipTracker.reset();
        literalRemaining = remaining;
        state = State.SKIP_LITERAL;
    }

    /**
     * After a {@link Event.LiteralAnnounced} (either kind): the literal's bytes are handed out as
     * {@link Event.LiteralData} as they arrive instead of becoming part of the command, which goes on
     * after them as usual. For a synchronizing literal the server then sends the continuation request.
     *
     * @throws IllegalStateException if no literal awaits a decision (none announced, bytes of it
     *         already read, or decided already)
     */
    public void streamLiteral() {
        if (state != State.LITERAL || !undecided) {
            throw new IllegalStateException("no literal awaits a decision");
        }
        undecided = false;
        streaming = true;
        if (streamedCount == streamed.length) {
            streamed = java.util.Arrays.copyOf(streamed, Math.max(4, streamedCount * 2));
        }
        streamed[streamedCount++] = len;
    }

    private void resetCommand() {
        resetBuffer();
        state = State.LINE;
        lineBytes = 0;
        pendingCr = false;
        literalRemaining = 0;
        undecided = false;
        streaming = false;
        streamedCount = 0;
        if (streamed.length > 16) {
            streamed = NONE;
        }
    }

    private void resetBuffer() {
        len = 0;
        segmentStart = 0;
        if (buf.length > limits.maxLineLength() + (long) INITIAL_CAPACITY) {
            buf = new byte[INITIAL_CAPACITY]; // do not keep a big literal's buffer for the connection's life
        }
    }

    private void ensureCapacity(int more) {
        int need = len + more;
        if (need < 0) {
            throw new OutOfMemoryError("command larger than 2 GiB");
        }
        if (need > buf.length) {
            long grown = Math.max(need, Math.min((long) buf.length * 2, Integer.MAX_VALUE - 16));
            buf = java.util.Arrays.copyOf(buf, (int) grown);
        }
    }

    /** The digits of a literal size, or -1 when there are none, others, or too many. */
    private static long parseSize(byte[] b, int from, int to) {
        if (from >= to || to - from > 18) {
            return -1;
        }
        long n = 0;
        for (int i = from; i < to; i++) {
            if (b[i] < '0' || b[i] > '9') {
                return -1;
            }
            n = n * 10 + (b[i] - '0');
        }
        return n;
    }

    /**
     * The first token if it is a valid tag, else null.
     *
     * @param complete whether the bytes hold a whole line segment (a token without SP may be whole)
     */
    static String tagOf(byte[] b, int len, boolean complete) {
        int i = 0;
        while (i < len && b[i] != ' ') {
            if (!Chars.isTagChar(b[i])) {
                return null;
            }
            i++;
        }
        if (i == 0 || (i == len && !complete)) {
            return null;
        }
        return new String(b, 0, i, java.nio.charset.StandardCharsets.US_ASCII);
    }

    /**
     * The command's name, upper case: the word after the tag, if it is followed by SP before
     * {@code end} and made of letters only (every IMAP command name is); else null. After
     * {@code UID}, the two words ({@code UID REPLACE}) when a word of letters and SP follow.
     */
    static String commandOf(byte[] b, int end) {
        int i = 0;
        while (i < end && b[i] != ' ') {
            i++;
        }
        int start = i + 1;
        int stop = start;
        while (stop < end && b[stop] != ' ') {
            byte c = b[stop];
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
                return null;
            }
            stop++;
        }
        if (i == 0 || stop == start || stop >= end) {
            return null;
        }
        String name = new String(b, start, stop - start, java.nio.charset.StandardCharsets.US_ASCII)
                .toUpperCase(java.util.Locale.ROOT);
        if (!name.equals("UID")) {
            return name;
        }
        // UID is a prefix (RFC 9051 6.4.9): the command is its next word, as UID REPLACE (RFC 8508)
        int second = stop + 1;
        int last = second;
        while (last < end && ((b[last] >= 'A' && b[last] <= 'Z') || (b[last] >= 'a' && b[last] <= 'z'))) {
            last++;
        }
        if (last == second || last >= end || b[last] != ' ') {
            return name;
        }
        return name + " " + new String(b, second, last - second, java.nio.charset.StandardCharsets.US_ASCII)
                .toUpperCase(java.util.Locale.ROOT);
    }

    /** Recognises a literal announcement ending a discarded line without keeping the line. */
    private static final class AnnouncementTracker {
        private static final int NONE = 0;
        private static final int DIGITS = 1;
        private static final int PLUS = 2;
        private static final int DONE = 3;
        private int phase;
        private int digits;
        long size;
        boolean nonSync;

        void reset() {
            phase = NONE;
        }

        void feed(byte b) {
            if (b == '\r' && phase == DONE) {
                return; // CR before LF
            }
            if (b == '{') {
                phase = DIGITS;
                digits = 0;
                size = 0;
                nonSync = false;
                return;
            }
            switch (phase) {
                case DIGITS -> {
                    if (b >= '0' && b <= '9' && digits < 18) {
                        size = size * 10 + (b - '0');
                        digits++;
                    } else if (b == '+' && digits > 0) {
                        nonSync = true;
                        phase = PLUS;
                    } else if (b == '}' && digits > 0) {
                        phase = DONE;
                    } else {
                        phase = NONE;
                    }
                }
                case PLUS -> phase = b == '}' ? DONE : NONE;
                default -> phase = NONE;
            }
        }

        boolean complete() {
            return phase == DONE;
        }
    }

    /** What the receiver found. */
    public sealed interface Event {

        /** Every byte given was consumed; call again with more. */
        record NeedMore() implements Event {
        }

        /**
         * A line ended with a literal announcement within limits. The server decides before it calls
         * {@link #receive} again: by default the literal becomes part of the command (for a
         * synchronizing literal the server sends a continuation request, {@code + Ready}); or
         * {@link #streamLiteral()}, {@link #rejectLiteral()} (synchronizing),
         * {@link #discardLiteral()} (non-synchronizing).
         *
         * @param tag the command's tag as far as it can be read, or null
         * @param command the command's name in upper case ({@code APPEND}; after {@code UID} its two
         *        words, {@code UID REPLACE}, when a word of letters follows), or null if the line does
         *        not start with a tag and a name
         */
        record LiteralAnnounced(String tag, String command, long size, boolean nonSynchronizing) implements Event {
        }

        /**
         * A piece of a literal the server streams ({@link #streamLiteral()}): a view of the input given
         * to {@link #receive}, valid until the input is changed or given again. Never empty.
         */
        record LiteralData(ByteBuffer bytes) implements Event {
        }

        /**
         * A complete command line: the bytes as the client sent them without the final CRLF,
         * literals inline in wire form ({@code {N}CRLF} followed by N bytes), except that a streamed
         * literal's bytes are missing. Read it with {@link ArgReader}, given {@link #streamed()}.
         *
         * @param streamed offsets in {@code bytes} where the bytes of the streamed literals would be
         *        (just after their announcement's CRLF), ascending; empty if none was streamed
         */
        record Line(byte[] bytes, int[] streamed) implements Event {
            /** A line without streamed literals. */
            public Line(byte[] bytes) {
                this(bytes, NONE);
            }
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
