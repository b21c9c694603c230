package posthorn.imap.server.internal.mime;

import java.io.IOException;
import java.io.InputStream;

import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.apache.james.mime4j.stream.RecursionMode;

/**
 * Mime4j's token stream held to {@link MimeLimits} the way {@link MimePart} is. Mime4j itself
 * follows any depth, and reads a part's text through one stream per enclosing multipart (20,000 of
 * them overflow the stack); here a multipart or message/rfc822 on the last level comes as one
 * {@link EntityState#T_BODY} that is {@link #opaque()}, and the stream ends where the part count
 * is reached, before the part that would exceed it. Lenient, as a mail reader is: no limits on
 * lines or header fields beyond these, malformed MIME is read as well as it goes.
 */
public final class MimeTokens {
    private static final MimeConfig CONFIG = new MimeConfig.Builder()
            .setMaxLineLen(-1).setMaxHeaderLen(-1).setMaxHeaderCount(-1).setMaxContentLen(-1)
            .setStrictParsing(false).build();

    private final MimeTokenStream stream = new MimeTokenStream(CONFIG, DecodeMonitor.SILENT, null);
    private final MimeLimits limits;
    /** The level of the entity the stream is in: the message 0. */
    private int depth;
    private int parts = 1;
    private boolean flattened;
    private boolean opaque;
    private String cut;

    /** Starts reading a message; the stream begins inside it (its T_START_MESSAGE is not reported). */
    public MimeTokens(InputStream message, MimeLimits limits) {
        this.limits = limits;
        stream.setRecursionMode(RecursionMode.M_RECURSE);
        stream.parse(message);
    }

    /** The next token; {@link EntityState#T_END_OF_STREAM} at the end or where the part count is reached. */
    public EntityState next() throws IOException, MimeException {
        if (cut != null && parts > limits.maxParts()) {
            return EntityState.T_END_OF_STREAM;
        }
        EntityState s = stream.next();
        opaque = false;
        switch (s) {
            case T_START_MESSAGE, T_START_BODYPART -> {
                depth++;
                if (++parts > limits.maxParts()) {
                    cut("more than " + limits.maxParts() + " parts");
                    return EntityState.T_END_OF_STREAM;
                }
            }
            case T_END_MESSAGE, T_END_BODYPART -> depth--;
            case T_END_HEADER -> {
                if (!limits.opens(depth)) {
                    // Decided by the entity when it leaves T_END_HEADER: flat, its body is one T_BODY.
                    stream.setRecursionMode(RecursionMode.M_FLAT);
                    flattened = true;
                }
            }
            case T_BODY -> {
                if (flattened) {
                    // Back to recursing before the stream returns to the parent, which takes the mode then.
                    stream.setRecursionMode(RecursionMode.M_RECURSE);
                    flattened = false;
                    String type = stream.getBodyDescriptor().getMimeType();
                    if (type != null && (type.regionMatches(true, 0, "multipart/", 0, 10)
                            || type.equalsIgnoreCase("message/rfc822"))) {
                        opaque = true;
                        cut("more than " + limits.maxDepth() + " levels");
                    }
                }
            }
            default -> {
            }
        }
        return s;
    }

    private void cut(String why) {
        if (cut == null) {
            cut = why;
        }
    }

    /** In {@link EntityState#T_BODY}: whether the body is a multipart or message left unopened at the depth bound. */
    public boolean opaque() {
        return opaque;
    }

    /** Which bound cut the structure ("more than 100 levels"), or null while none has. */
    public String cut() {
        return cut;
    }

    /** The stream, for the field, body descriptor and content of the current token. */
    public MimeTokenStream stream() {
        return stream;
    }
}
