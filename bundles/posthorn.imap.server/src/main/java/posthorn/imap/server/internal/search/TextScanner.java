package posthorn.imap.server.internal.search;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.util.List;
import java.util.Locale;

import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.stream.BodyDescriptor;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.MimeTokenStream;

import posthorn.imap.server.internal.mime.MimeLimits;
import posthorn.imap.server.internal.mime.MimeTokens;
import posthorn.text.support.SearchText;
import posthorn.text.support.UnicodeCasemap;

/**
 * Finds substrings in a message's decoded text as SEARCH BODY and TEXT want it (RFC 3501 6.4.4):
 * streams the message through Mime4j's parser (lenient, held to the {@link MimeLimits} as FETCH's
 * parser is), decodes each text part's transfer encoding and charset, header fields' RFC 2047 words,
 * and compares by i;unicode-casemap (RFC 5051). Holds one chunk of a part at a time, never the whole message;
 * stops once every needle is found. Non-text parts (images, attachments) are not searched, as their
 * text is not text; nor is what lies beyond the bounds (an opaque part, the parts after the count).
 */
public final class TextScanner {
    private TextScanner() {
    }

    /**
     * Which needles occur: {@code bodyNeedles} in the bodies, {@code textNeedles} in bodies or header
     * fields. Needles must be folded ({@link #fold}); the result arrays say which were found.
     *
     * @return which bound cut the message's structure short ("more than 100 levels"), or null
     */
    public static String scan(InputStream in, MimeLimits limits, List<String> bodyNeedles, boolean[] bodyFound,
                              List<String> textNeedles, boolean[] textFound) throws IOException {
        MimeTokens tokens = new MimeTokens(in, limits);
        MimeTokenStream stream = tokens.stream();
        int max = 1;
        for (String n : bodyNeedles) {
            max = Math.max(max, n.length());
        }
        for (String n : textNeedles) {
            max = Math.max(max, n.length());
        }
        char[] chunk = new char[8192];
        try {
            for (EntityState s = tokens.next(); s != EntityState.T_END_OF_STREAM; s = tokens.next()) {
                if (done(bodyFound) && done(textFound)) {
                    return tokens.cut();
                }
                if (s == EntityState.T_FIELD && !textNeedles.isEmpty()) {
                    String value = fold(decodeHeader(stream.getField().getBody()));
                    String name = fold(stream.getField().getName());
                    match(name + ": " + value, textNeedles, textFound);
                } else if (s == EntityState.T_BODY) {
                    BodyDescriptor d = stream.getBodyDescriptor();
                    String type = d.getMimeType() == null ? "text/plain" : d.getMimeType().toLowerCase(Locale.ROOT);
                    if (!type.startsWith("text/")) {
                        continue;
                    }
                    Reader r = SearchText.partReader(stream.getDecodedInputStream(), d.getCharset());
                    String tail = "";
                    int n;
                    while ((n = r.read(chunk)) > 0) {
                        String window = tail + fold(new String(chunk, 0, n));
                        match(window, bodyNeedles, bodyFound);
                        match(window, textNeedles, textFound);
                        if (done(bodyFound) && done(textFound)) {
                            return tokens.cut();
                        }
                        tail = window.substring(Math.max(0, window.length() - (max - 1)));
                    }
                }
            }
        } catch (MimeException e) {
            // Lenient parsing does not throw for malformed MIME; what was read so far has been searched.
        }
        return tokens.cut();
    }

    private static void match(String hay, List<String> needles, boolean[] found) {
        for (int i = 0; i < needles.size(); i++) {
            if (!found[i] && hay.contains(needles.get(i))) {
                found[i] = true;
            }
        }
    }

    private static boolean done(boolean[] found) {
        for (boolean f : found) {
            if (!f) {
                return false;
            }
        }
        return true;
    }

    /**
     * The folding SEARCH compares with: i;unicode-casemap (RFC 5051), the default comparator that
     * I18NLEVEL=1 announces (RFC 5255 4.1): "ǅ" is found as "ǆ", "é" as "e\u0301", "ﬁ" as "fi".
     */
    public static String fold(String s) {
        return UnicodeCasemap.fold(s);
    }

    /**
     * A header value as people read it: unfolded, raw 8-bit bytes taken as UTF-8 when they are,
     * RFC 2047 encoded words decoded (the copy the full-text index shares: posthorn.text.support).
     */
    public static String decodeHeader(String latin1) {
        return SearchText.decodeHeader(latin1);
    }
}
