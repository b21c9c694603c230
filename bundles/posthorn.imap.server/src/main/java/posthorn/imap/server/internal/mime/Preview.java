package posthorn.imap.server.internal.mime;

import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Locale;

/**
 * The PREVIEW of a message (RFC 8970 3.1; Dovecot's "snippet"): up to {@link #MAX_CHARS} characters of
 * its first text part, read in MIME order: the first {@code text/plain} or {@code text/html} part that
 * is not an attachment ({@code multipart/alternative} prefers plain text), its transfer encoding undone
 * (Mime4j's decoders, through {@link TransferDecoding}), its charset decoded (an unknown or broken
 * charset as UTF-8 with replacement characters), HTML reduced to its text (script, style and head
 * left out, tags dropped, the common entities decoded), quoted lines ({@code >}) left out, and white
 * space folded into single spaces. Empty when there is no such text (RFC 8970: an empty string, not
 * NIL, when the message has no text). The walk is iterative, bounded by the parsed tree (which
 * {@link MimeLimits} bounds).
 */
public final class Preview {
    /** RFC 8970 3.1: servers SHOULD keep it to 200 characters (and MUST NOT exceed 256). */
    public static final int MAX_CHARS = 200;
    /** Octets of a part decoded at most: a preview needs far fewer. */
    private static final int MAX_READ = 64 * 1024;
    /** Elements whose content is no text: left out with their content, as one space. */
    private static final java.util.Set<String> DROPPED = java.util.Set.of("script", "style", "head", "title");
    /** Elements that start a line (open or close tag). */
    private static final java.util.Set<String> BLOCK = java.util.Set.of("br", "p", "div", "tr", "li", "h1", "h2", "h3",
            "h4", "h5", "h6", "table", "blockquote");

    private Preview() {
    }

    /** The preview text of a parsed message. */
    public static String of(byte[] m, MimePart root) {
        MimePart part = firstText(root);
        if (part == null) {
            return "";
        }
        byte[] body = Arrays.copyOfRange(m, part.bodyStart(), Math.min(part.end(), part.bodyStart() + MAX_READ * 2));
        try {
            body = TransferDecoding.decode(body, TransferDecoding.encoding(part));
        } catch (TransferDecoding.UnknownCteException e) {
            return "";
        }
        if (body.length > MAX_READ) {
            body = Arrays.copyOf(body, MAX_READ);
        }
        String text = decodeCharset(body, part.param("charset"));
        if (part.subtype().equalsIgnoreCase("html")) {
            text = html(text);
        }
        return fold(text);
    }

    /** The first text/plain or text/html part that is no attachment, in MIME order; null if none. */
    static MimePart firstText(MimePart root) {
        Deque<MimePart> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            MimePart p = todo.pop();
            if (p.isMultipart()) {
                var kids = p.children();
                if (p.subtype().equalsIgnoreCase("alternative")) {
                    // RFC 2046 5.1.4: the last is the richest; a preview wants the plainest
                    for (MimePart k : kids) {
                        if (isText(k, "plain")) {
                            return k;
                        }
                    }
                }
                for (int i = kids.size() - 1; i >= 0; i--) {
                    todo.push(kids.get(i));
                }
                continue;
            }
            if (isText(p, "plain") || isText(p, "html")) {
                return p;
            }
        }
        return null;
    }

    private static boolean isText(MimePart p, String subtype) {
        if (p.isMultipart() || p.message() != null || !p.type().equalsIgnoreCase("text")) {
            return false;
        }
        if (!p.subtype().equalsIgnoreCase(subtype) && !(subtype.equals("plain") && p.subtype().isEmpty())) {
            return false;
        }
        var disposition = ContentFields.disposition(p.header().value("Content-Disposition"));
        return disposition == null || !disposition.value().equalsIgnoreCase("attachment");
    }

    static String decodeCharset(byte[] body, String charset) {
        Charset cs = StandardCharsets.UTF_8;
        if (charset != null) {
            try {
                cs = Charset.forName(charset.strip());
            } catch (RuntimeException e) {
                cs = StandardCharsets.UTF_8; // unknown or illegal name: best effort
            }
        }
        try {
            return cs.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(java.nio.ByteBuffer.wrap(body)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /**
     * HTML reduced to its text in one pass over at most {@link #MAX_READ} characters: comments and the
     * elements of {@link #DROPPED} with their content become one space, the tags of {@link #BLOCK} a line
     * break, other tags nothing; an opener without its end stays text. Each search for an end
     * ({@code >}, {@code -->}, {@code </name>}) remembers where it stopped, because a hostile body of
     * unclosed openers made the regular expressions this replaces scan to the end from each one (60 KB
     * of {@code <} took 18 s of CPU per FETCH PREVIEW).
     */
    static String html(String html) {
        // char by char, so that indexes agree with html's (String.toLowerCase may change the length: U+0130)
        char[] low = html.toCharArray();
        for (int k = 0; k < low.length; k++) {
            low[k] = Character.toLowerCase(low[k]);
        }
        String lower = new String(low);
        int n = html.length();
        StringBuilder out = new StringBuilder(Math.min(n, 1 << 16));
        Ends ends = new Ends(lower);
        int i = 0;
        while (i < n) {
            char c = html.charAt(i);
            if (c != '<') {
                out.append(c);
                i++;
                continue;
            }
            if (lower.startsWith("<!--", i)) {
                int close = ends.after("-->", i + 4);
                if (close >= 0) {
                    out.append(' ');
                    i = close + 3;
                    continue;
                }
            }
            int gt = ends.after(">", i + 1);
            if (gt < 0) {
                out.append(html, i, n); // no tag can end: the rest is text
                break;
            }
            int j = i + 1;
            while (j < gt && Character.isWhitespace(html.charAt(j))) {
                j++;
            }
            boolean closing = j < gt && html.charAt(j) == '/';
            if (closing) {
                j++;
                while (j < gt && Character.isWhitespace(html.charAt(j))) {
                    j++;
                }
            }
            int nameStart = j;
            while (j < gt && (Character.isLetterOrDigit(lower.charAt(j)) || lower.charAt(j) == '_')) {
                j++;
            }
            String name = lower.substring(nameStart, j);
            if (!closing && nameStart == i + 1 && DROPPED.contains(name)) {
                int end = ends.closing(name, gt + 1);
                if (end >= 0) {
                    out.append(' ');
                    i = end;
                    continue;
                }
            }
            if (BLOCK.contains(name)) {
                out.append('\n');
            }
            i = gt + 1;
        }
        return entities(out.toString());
    }

    /**
     * Searches forward in one text for the ends of tags, comments and elements. Positions asked for
     * only grow, so what one search found (or found missing) stands for later ones: every character
     * is scanned a bounded number of times for each kind of end.
     */
    private static final class Ends {
        private final String text;
        private final java.util.Map<String, Integer> next = new java.util.HashMap<>();

        Ends(String text) {
            this.text = text;
        }

        /** The index of {@code what} at or after {@code from}, or -1. */
        int after(String what, int from) {
            Integer known = next.get(what);
            if (known != null && (known < 0 || known >= from)) {
                return known;
            }
            int at = text.indexOf(what, from);
            next.put(what, at);
            return at;
        }

        /** The index just after {@code </name\s*>} at or after {@code from}, or -1. */
        int closing(String name, int from) {
            String open = "</" + name;
            int at = after(open, from);
            while (at >= 0) {
                int k = at + open.length();
                while (k < text.length() && Character.isWhitespace(text.charAt(k))) {
                    k++;
                }
                if (k < text.length() && text.charAt(k) == '>') {
                    return k + 1;
                }
                at = after(open, at + 1);
            }
            return -1;
        }
    }

    private static String entities(String t) {
        if (t.indexOf('&') < 0) {
            return t;
        }
        StringBuilder out = new StringBuilder(t.length());
        int i = 0;
        while (i < t.length()) {
            char c = t.charAt(i);
            int semi = -1;
            for (int k = i + 1; c == '&' && k < t.length() && k - i <= 10; k++) {
                if (t.charAt(k) == ';') {
                    semi = k; // within 10 characters only: a search to the end made "&&&..." quadratic
                    break;
                }
            }
            if (semi > i && semi - i <= 10) {
                String name = t.substring(i + 1, semi).toLowerCase(Locale.ROOT);
                String rep = switch (name) {
                    case "amp" -> "&";
                    case "lt" -> "<";
                    case "gt" -> ">";
                    case "quot" -> "\"";
                    case "apos", "#39" -> "'";
                    case "nbsp" -> " ";
                    default -> numeric(name);
                };
                if (rep != null) {
                    out.append(rep);
                    i = semi + 1;
                    continue;
                }
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    private static String numeric(String name) {
        try {
            int cp = name.startsWith("#x") ? Integer.parseInt(name.substring(2), 16)
                    : name.startsWith("#") ? Integer.parseInt(name.substring(1)) : -1;
            return cp > 0 && Character.isValidCodePoint(cp) && cp >= 0x20 ? new String(Character.toChars(cp)) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * Lines quoting another message ({@code >}) left out, control characters and runs of white space
     * made one space, cut at {@link #MAX_CHARS} characters (code points, never a surrogate half).
     */
    static String fold(String text) {
        StringBuilder out = new StringBuilder();
        int chars = 0;
        boolean space = false;
        for (String line : text.split("\r\n|\r|\n", -1)) {
            if (line.stripLeading().startsWith(">")) {
                continue;
            }
            for (int i = 0; i < line.length() && chars < MAX_CHARS; ) {
                int cp = line.codePointAt(i);
                i += Character.charCount(cp);
                if (Character.isWhitespace(cp) || Character.isISOControl(cp) || cp == 0xa0 || cp == 0xfeff) {
                    space = out.length() > 0;
                    continue;
                }
                if (space) {
                    out.append(' ');
                    chars++;
                    space = false;
                    if (chars >= MAX_CHARS) {
                        break;
                    }
                }
                out.appendCodePoint(cp);
                chars++;
            }
            space = out.length() > 0;
            if (chars >= MAX_CHARS) {
                break;
            }
        }
        return out.toString();
    }
}
