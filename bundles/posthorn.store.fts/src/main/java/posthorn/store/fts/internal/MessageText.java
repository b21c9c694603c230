package posthorn.store.fts.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.stream.BodyDescriptor;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.apache.james.mime4j.stream.RecursionMode;

import posthorn.text.support.SearchText;

/**
 * The text of one message as the server's SEARCH reads it, folded ({@link Fold}) for the index:
 * <ul>
 * <li>{@link #bodies}: each text part decoded (transfer encoding through Mime4j, charset as the
 *     server's TextScanner chooses it: the named one if Java knows it, else UTF-8, bad bytes replaced);
 * <li>{@link #heads}: each header line of every part as SEARCH TEXT compares it
 *     ({@code name: decoded value}), and for the message's own header each field's decoded value,
 *     whole line decoded, and {@link Fold#squeeze squeezed} (for SEARCH HEADER, SUBJECT, FROM, ...).
 * </ul>
 * Mime4j's token stream is set up as the server's (lenient; no limits on lines, header length or
 * count), so both find the same parts. What this reads is bounded: at most {@code maxChars} chars of
 * text, {@code maxParts} parts and {@code maxDepth} levels; a message cut short by a bound is
 * {@link #partial}, and the index then treats it as a candidate for every search.
 */
final class MessageText {
    private static final MimeConfig CONFIG = new MimeConfig.Builder()
            .setMaxLineLen(-1).setMaxHeaderLen(-1).setMaxHeaderCount(-1).setMaxContentLen(-1)
            .setStrictParsing(false).build();
    /** The most bytes of the message's own header read for the header fields. */
    static final int MAX_HEADER_BYTES = 1 << 20;

    final List<String> bodies = new ArrayList<>();
    final List<String> heads = new ArrayList<>();
    boolean partial;
    /** Why the message is partial, for the log; null if it is not. */
    String cut;

    private MessageText() {
    }

    record Limits(long maxChars, int maxParts, int maxDepth) {
    }

    /** Reads the message; the stream is left for the caller to close. */
    static MessageText read(InputStream message, Limits limits) throws IOException {
        MessageText t = new MessageText();
        HeadCapture in = new HeadCapture(message);
        t.parse(in, limits);
        t.ownHeader(in.head(), in.headComplete());
        return t;
    }

    private void cut(String why) {
        partial = true;
        if (cut == null) {
            cut = why;
        }
    }

    private void parse(InputStream in, Limits limits) throws IOException {
        MimeTokenStream stream = new MimeTokenStream(CONFIG, DecodeMonitor.SILENT, null);
        stream.setRecursionMode(RecursionMode.M_RECURSE);
        stream.parse(in);
        long chars = 0;
        int depth = 0;
        int parts = 1;
        char[] chunk = new char[8192];
        try {
            for (EntityState s = stream.next(); s != EntityState.T_END_OF_STREAM; s = stream.next()) {
                switch (s) {
                    case T_START_MESSAGE, T_START_BODYPART -> {
                        depth++;
                        if (++parts > limits.maxParts()) {
                            cut("more than " + limits.maxParts() + " parts");
                            return;
                        }
                        if (depth > limits.maxDepth()) {
                            // Stops before Mime4j nests one more stream (deep nesting overflows its stack).
                            cut("more than " + limits.maxDepth() + " levels");
                            return;
                        }
                    }
                    case T_END_MESSAGE, T_END_BODYPART -> depth--;
                    case T_FIELD -> {
                        String line = Fold.fold(stream.getField().getName()) + ": "
                                + Fold.fold(SearchText.decodeHeader(stream.getField().getBody()));
                        chars += line.length();
                        if (chars > limits.maxChars()) {
                            cut("more than " + limits.maxChars() + " chars of text");
                            return;
                        }
                        heads.add(line);
                    }
                    case T_BODY -> {
                        BodyDescriptor d = stream.getBodyDescriptor();
                        String type = d.getMimeType() == null ? "text/plain" : d.getMimeType().toLowerCase(Locale.ROOT);
                        if (!type.startsWith("text/")) {
                            continue;
                        }
                        // Decoded exactly as the server's matcher decodes (the shared posthorn.text.support).
                        Reader r = SearchText.partReader(stream.getDecodedInputStream(), d.getCharset());
                        StringBuilder part = new StringBuilder();
                        int n;
                        while ((n = r.read(chunk)) > 0) {
                            chars += n;
                            if (chars > limits.maxChars()) {
                                cut("more than " + limits.maxChars() + " chars of text");
                                bodies.add(Fold.fold(part.toString()));
                                return;
                            }
                            part.append(chunk, 0, n);
                        }
                        bodies.add(Fold.fold(part.toString()));
                    }
                    default -> {
                    }
                }
            }
        } catch (MimeException e) {
            // Lenient parsing does not throw for malformed MIME; be safe and let the server read it.
            cut("unparsable MIME: " + e.getMessage());
        } catch (StackOverflowError e) {
            cut("nesting too deep for the parser");
        }
    }

    /**
     * The message's own header fields, split as the server splits them for SEARCH HEADER (a field
     * runs to the next line that does not start with a space or tab), each value indexed decoded,
     * the whole line decoded, and both squeezed.
     */
    private void ownHeader(byte[] head, boolean complete) {
        if (!complete) {
            cut("header longer than " + MAX_HEADER_BYTES + " bytes");
        }
        String all = new String(head, StandardCharsets.ISO_8859_1);
        int start = 0;
        while (start < all.length()) {
            int end = start;
            while (true) {
                int nl = all.indexOf('\n', end);
                end = nl < 0 ? all.length() : nl + 1;
                if (end >= all.length() || (all.charAt(end) != ' ' && all.charAt(end) != '\t')) {
                    break;
                }
            }
            String line = all.substring(start, end);
            start = end;
            if (line.isBlank()) {
                continue;
            }
            int colon = line.indexOf(':');
            String value = colon < 0 ? line : line.substring(colon + 1);
            for (String v : new String[] {SearchText.decodeHeader(value), SearchText.decodeHeader(line)}) {
                heads.add(Fold.fold(v));
                heads.add(Fold.fold(Fold.squeeze(v)));
            }
        }
    }

    /**
     * Passes the message through to Mime4j and keeps a copy of its first bytes up to the blank line
     * that ends the header (at most {@link #MAX_HEADER_BYTES}), so the message is read once.
     */
    private static final class HeadCapture extends FilterInputStream {
        private final java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
        private boolean done;
        private boolean overflow;
        /** The last bytes seen, to find CRLF CRLF or LF LF. */
        private int last1 = -1;
        private int last2 = -1;

        HeadCapture(InputStream in) {
            super(in);
        }

        private void see(int b) {
            if (done) {
                return;
            }
            if (head.size() >= MAX_HEADER_BYTES) {
                done = true;
                overflow = true;
                return;
            }
            head.write(b);
            if (b == '\n' && (last1 == '\n' || (last1 == '\r' && last2 == '\n'))) {
                done = true;
            }
            last2 = last1;
            last1 = b;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                see(b);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            for (int i = 0; i < n && !done; i++) {
                see(b[off + i] & 0xff);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[(int) Math.min(n, 8192)];
            int r = read(buf, 0, buf.length);
            return Math.max(r, 0);
        }

        byte[] head() throws IOException {
            // Mime4j may stop reading early (a bound): read on to the header's end if it did.
            byte[] buf = new byte[8192];
            while (!done && read(buf, 0, buf.length) > 0) {
                // keeps capturing
            }
            return head.toByteArray();
        }

        boolean headComplete() {
            return !overflow;
        }
    }
}
