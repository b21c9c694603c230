package posthorn.imap.protocol;

/**
 * Limits the receiver enforces before it buffers input.
 *
 * @param maxLineLength  longest command line, in bytes, literals not counted (default 65,536)
 * @param maxLiteralSize largest literal accepted, in bytes (default 64 MiB)
 * @param maxNesting     deepest parenthesised list nesting (default 32)
 */
public record ParserLimits(int maxLineLength, long maxLiteralSize, int maxNesting) {
    public static final ParserLimits DEFAULTS = new ParserLimits(65_536, 64L << 20, 32);
}
