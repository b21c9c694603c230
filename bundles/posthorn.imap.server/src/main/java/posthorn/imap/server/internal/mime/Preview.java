package posthorn.imap.server.internal.mime;

import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Locale;
import java.util.regex.Pattern;

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
    private static final Pattern DROPPED = Pattern.compile(
            "(?is)<(script|style|head|title)\\b[^>]*>.*?</\\1\\s*>|<!--.*?-->");
    private static final Pattern BLOCK = Pattern.compile("(?i)<\\s*/?\\s*(br|p|div|tr|li|h[1-6]|table|blockquote)\\b[^>]*>");
    private static final Pattern TAG = Pattern.compile("(?s)<[^>]*>");

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

    static String html(String html) {
        String t = DROPPED.matcher(html).replaceAll(" ");
        t = BLOCK.matcher(t).replaceAll("\n");
        t = TAG.matcher(t).replaceAll("");
        return entities(t);
    }

    private static String entities(String t) {
        if (t.indexOf('&') < 0) {
            return t;
        }
        StringBuilder out = new StringBuilder(t.length());
        int i = 0;
        while (i < t.length()) {
            char c = t.charAt(i);
            int semi = c == '&' ? t.indexOf(';', i) : -1;
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
