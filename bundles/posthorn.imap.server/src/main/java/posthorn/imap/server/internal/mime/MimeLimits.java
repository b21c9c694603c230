package posthorn.imap.server.internal.mime;

/**
 * How far the MIME structure of a message is followed, wherever it is parsed (FETCH BODYSTRUCTURE,
 * BODY, body sections, BINARY, the derived-value cache, SEARCH BODY and TEXT): imapd.cfg's
 * {@code mime.max.depth} and {@code mime.max.parts}. With them a hostile message (20,000 nested
 * multiparts in 1.4 MB, delivered by any MDA) costs no more stack than a plain one, and no more time
 * than a plain one of its size.
 *
 * <p>The defaults and what happens at the bounds are Dovecot's (lib-mail/message-parser.h:
 * MESSAGE_PARSER_DEFAULT_MAX_NESTED_MIME_PARTS 100, MESSAGE_PARSER_DEFAULT_MAX_TOTAL_MIME_PARTS
 * 10000), checked against the answers of Dovecot 2.3.19 (the "deepnest" and "deeprfc822" fixtures):
 * <ul>
 * <li>the message is the first level; a multipart or message/rfc822 part on the last level is not
 * opened: its body is one opaque part, which BODYSTRUCTURE calls "application" "octet-stream" (with
 * the part's own parameters) and which SEARCH does not read as text;
 * <li>the message and its parts number at most {@code maxParts}: the part that takes the last place
 * runs to the end of its multipart (the delimiters and parts after it are its body), and no part is
 * made after it. SEARCH reads the parts up to the last place.
 * </ul>
 * The message itself stays whole: BODY[], BODY[TEXT] and the opaque part's own section hold every
 * byte of it.
 *
 * @param maxDepth levels of parts, the message itself the first; 1 to {@link #DEEPEST} (a value
 *                 outside is taken as the nearer end, since every level costs stack frames)
 * @param maxParts parts in all, the message itself included; at least 1
 */
public record MimeLimits(int maxDepth, int maxParts) {

    /** Dovecot's bounds: 100 levels, 10,000 parts. */
    public static final MimeLimits DEFAULTS = new MimeLimits(100, 10_000);

    /**
     * The deepest structure that may be configured: the parsers and writers recurse once or twice a
     * level, and Mime4j reads a part's text through one stream per enclosing multipart.
     */
    public static final int DEEPEST = 1_000;

    public MimeLimits {
        maxDepth = Math.max(1, Math.min(DEEPEST, maxDepth));
        maxParts = Math.max(1, maxParts);
    }

    /** Whether a part at {@code depth} (the message: 0) may be opened as a multipart or a message. */
    public boolean opens(int depth) {
        return depth + 1 < maxDepth;
    }

    /** The settings, for log lines that say a bound acted. */
    @Override
    public String toString() {
        return "mime.max.depth=" + maxDepth + ", mime.max.parts=" + maxParts;
    }
}
