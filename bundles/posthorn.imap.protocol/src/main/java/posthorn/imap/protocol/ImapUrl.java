package posthorn.imap.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * An IMAP URL that names a message or a part of one (RFC 5092 {@code imessagepart}), as CATENATE
 * (RFC 4469), GENURLAUTH and URLFETCH (RFC 4467) take it, with URL-PARTIAL (RFC 5550):
 * {@code imap://user@host/mailbox;UIDVALIDITY=n/;UID=n/;SECTION=s/;PARTIAL=o.l;EXPIRE=t;URLAUTH=a:m:t}.
 * Besides the absolute form two relative ones are read (RFC 5092 section 7.1, as CATENATE's examples
 * use them): an absolute path ({@code /mailbox/;UID=n...}, on the same server as the same user) and a
 * message relative to a mailbox ({@code ;UID=n...}, the base being the selected mailbox). The caller
 * resolves them; this class only reads.
 *
 * <p>Strict, since a URL comes from the client: a length bound, only the characters RFC 3986 allows,
 * {@code %XX} escapes that must decode to UTF-8 without control characters, numbers within IMAP's
 * 32 bits, a bounded depth of part numbers, and nothing left over. Keywords are case-insensitive.
 *
 * @param form          which of the three forms the text has
 * @param user          the decoded user of an absolute URL, or null
 * @param host          the host of an absolute URL (lower case), or null
 * @param port          its port, or -1
 * @param mailbox       the decoded mailbox name (Unicode, as the client names it: UTF-8 in the URL,
 *                      RFC 5092 section 3.2), or null for {@link Form#MESSAGE}
 * @param uidValidity   ;UIDVALIDITY=, or 0 if not given
 * @param uid           ;UID=
 * @param section       ;SECTION=, or null for the whole message
 * @param partialOffset ;PARTIAL= offset (RFC 5550), or -1 if not given
 * @param partialLength ;PARTIAL= length, or -1 for "to the end"
 * @param expire        ;EXPIRE= (RFC 4467 section 2.2), or null
 * @param access        ;URLAUTH= access identifier, lower-cased keyword with the user as written
 *                      ({@code anonymous}, {@code authuser}, {@code user+fred}, {@code submit+fred}), or null
 * @param mechanism     the URLAUTH mechanism (upper case), or null if the URL is a rump
 * @param token         the URLAUTH token (lower-case hex), or null
 * @param rump          the text up to and including the access identifier (RFC 4467 section 2.2: what
 *                      the token authorizes), or null without ;URLAUTH=
 */
public record ImapUrl(Form form, String user, String host, int port, String mailbox, long uidValidity,
                      long uid, Section section, long partialOffset, long partialLength, Instant expire,
                      String access, String mechanism, String token, String rump) {

    /** The shapes of URL text read. */
    public enum Form {
        /** {@code imap://[user@]host[:port]/mailbox...} */
        ABSOLUTE,
        /** {@code /mailbox...}: the same server and user as the session's. */
        PATH,
        /** {@code ;UID=n...}: a message of the base mailbox (the selected one). */
        MESSAGE
    }

    /** The default bound of a URL's length, in characters. */
    public static final int DEFAULT_MAX_LENGTH = 8192;
    /** The largest IMAP number (RFC 3501 section 9: number is 32-bit unsigned). */
    private static final long MAX_NUMBER = 0xFFFF_FFFFL;

    /** Whether the URL carries ;PARTIAL= (RFC 5550). */
    public boolean partial() {
        return partialOffset >= 0;
    }

    /**
     * Reads URL text.
     *
     * @param maxLength       the most characters accepted
     * @param maxSectionDepth the most part numbers a ;SECTION= may have
     * @throws ProtocolException why the text is no URL this server reads (the caller answers BADURL)
     */
    public static ImapUrl parse(String text, int maxLength, int maxSectionDepth) throws ProtocolException {
        if (text.length() > maxLength) {
            throw new ProtocolException("URL longer than " + maxLength + " characters");
        }
        if (text.isEmpty()) {
            throw new ProtocolException("Empty URL");
        }
        for (int i = 0; i < text.length(); i++) {
            if (!urlChar(text.charAt(i))) {
                throw new ProtocolException("Character not allowed in a URL at " + i);
            }
        }
        return new Reader(text, maxSectionDepth).url();
    }

    /** RFC 3986: unreserved, sub-delims, ":", "@", "/", "%", and "[" "]" for an IPv6 host. */
    private static boolean urlChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "-._~!$&'()*+,;=:@/%[]".indexOf(c) >= 0;
    }

    /**
     * The text of a message URL for the session's user (RFC 5092), mailbox percent-encoded as UTF-8:
     * e.g. the base a relative URL is read against, or a URL written back in a response.
     */
    public static String encodeMailbox(String mailbox) {
        StringBuilder b = new StringBuilder();
        for (byte x : mailbox.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._~!$'()*+,:@/&=".indexOf(c) >= 0) {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return b.toString();
    }

    /** A cursor over the URL's characters. */
    private static final class Reader {
        private final String s;
        private final int maxSectionDepth;
        private int pos;

        Reader(String s, int maxSectionDepth) {
            this.s = s;
            this.maxSectionDepth = maxSectionDepth;
        }

        ImapUrl url() throws ProtocolException {
            Form form;
            String user = null;
            String host = null;
            int port = -1;
            String mailbox = null;
            long uidValidity = 0;
            if (keyword("imap://")) {
                form = Form.ABSOLUTE;
                int slash = s.indexOf('/', pos);
                if (slash < 0) {
                    throw new ProtocolException("URL names no mailbox");
                }
                String authority = s.substring(pos, slash);
                int at = authority.lastIndexOf('@');
                String hostPort = authority;
                if (at >= 0) {
                    String userinfo = authority.substring(0, at);
                    int auth = userinfo.toUpperCase(Locale.ROOT).indexOf(";AUTH=");
                    String encUser = auth >= 0 ? userinfo.substring(0, auth) : userinfo;
                    if (auth >= 0 && userinfo.length() == auth + 6) {
                        throw new ProtocolException("Empty ;AUTH= in URL");
                    }
                    if (!encUser.isEmpty()) {
                        user = decode(encUser, "user");
                    }
                    hostPort = authority.substring(at + 1);
                }
                int colon = hostPort.lastIndexOf(':');
                if (colon >= 0 && colon > hostPort.lastIndexOf(']')) {
                    String digits = hostPort.substring(colon + 1);
                    if (digits.isEmpty() || digits.length() > 5 || !digits.chars().allMatch(Character::isDigit)
                            || Integer.parseInt(digits) > 65535) {
                        throw new ProtocolException("Invalid port in URL");
                    }
                    port = Integer.parseInt(digits);
                    hostPort = hostPort.substring(0, colon);
                }
                if (!hostPort.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]+\\]")) {
                    throw new ProtocolException("Invalid host in URL");
                }
                host = hostPort.toLowerCase(Locale.ROOT);
                pos = slash + 1;
            } else if (s.startsWith("/")) {
                form = Form.PATH;
                pos = 1;
            } else if (s.startsWith(";")) {
                form = Form.MESSAGE;
            } else {
                throw new ProtocolException("Not an IMAP URL");
            }
            if (form != Form.MESSAGE) {
                int semi = s.indexOf(';', pos);
                if (semi < 0) {
                    throw new ProtocolException("URL names no message (;UID= missing)");
                }
                String enc = s.substring(pos, semi);
                pos = semi;
                if (keyword(";UIDVALIDITY=")) {
                    uidValidity = number(true);
                    if (!keyword("/")) {
                        throw new ProtocolException("Expected /;UID= after ;UIDVALIDITY=");
                    }
                } else if (enc.endsWith("/")) {
                    enc = enc.substring(0, enc.length() - 1);
                } else {
                    throw new ProtocolException("Expected /;UID= after the mailbox");
                }
                if (enc.isEmpty()) {
                    throw new ProtocolException("URL names no mailbox");
                }
                mailbox = decode(enc, "mailbox");
            }
            if (!keyword(";UID=")) {
                throw new ProtocolException("URL names no message (;UID= missing)");
            }
            long uid = number(true);
            Section section = null;
            long partialOffset = -1;
            long partialLength = -1;
            if (keyword("/;SECTION=")) {
                int end = s.indexOf(';', pos);
                String enc = s.substring(pos, end < 0 ? s.length() : end);
                pos += enc.length();
                if (enc.endsWith("/")) {
                    // the "/" of "/;PARTIAL=": enc-section cannot end with one
                    enc = enc.substring(0, enc.length() - 1);
                    pos--;
                }
                if (enc.isEmpty()) {
                    throw new ProtocolException("Empty ;SECTION= in URL");
                }
                section = section(decode(enc, "section"));
            }
            if (keyword("/;PARTIAL=")) {
                partialOffset = number(false);
                if (keyword(".")) {
                    partialLength = number(true);
                }
            }
            Instant expire = null;
            String access = null;
            String mechanism = null;
            String token = null;
            String rump = null;
            int expireAt = pos;
            if (keyword(";EXPIRE=")) {
                int end = s.indexOf(';', pos);
                if (end < 0) {
                    throw new ProtocolException(";EXPIRE= without ;URLAUTH=");
                }
                try {
                    expire = OffsetDateTime.parse(decode(s.substring(pos, end), "expire").toUpperCase(Locale.ROOT))
                            .toInstant();
                } catch (DateTimeParseException e) {
                    throw new ProtocolException("Invalid ;EXPIRE= date-time (RFC 3339)");
                }
                pos = end;
            }
            if (keyword(";URLAUTH=")) {
                if (form != Form.ABSOLUTE) {
                    throw new ProtocolException(";URLAUTH= needs an absolute URL (RFC 4467 section 2.2)");
                }
                int colon = s.indexOf(':', pos);
                String enc = s.substring(pos, colon < 0 ? s.length() : colon);
                access = access(enc);
                pos += enc.length();
                rump = s.substring(0, pos);
                if (keyword(":")) {
                    int second = s.indexOf(':', pos);
                    if (second < 0) {
                        throw new ProtocolException("URLAUTH mechanism without a token");
                    }
                    mechanism = s.substring(pos, second).toUpperCase(Locale.ROOT);
                    if (!mechanism.matches("[A-Z0-9.+-]+")) {
                        throw new ProtocolException("Invalid URLAUTH mechanism");
                    }
                    token = s.substring(second + 1).toLowerCase(Locale.ROOT);
                    if (token.length() < 32 || !token.matches("[0-9a-f]+")) {
                        throw new ProtocolException("Invalid URLAUTH token (32 or more hex digits)");
                    }
                    pos = s.length();
                }
            } else if (expire != null) {
                pos = expireAt;
                throw new ProtocolException(";EXPIRE= without ;URLAUTH=");
            }
            if (pos != s.length()) {
                throw new ProtocolException("Unexpected text in URL at " + pos);
            }
            return new ImapUrl(form, user, host, port, mailbox, uidValidity, uid, section, partialOffset,
                    partialLength, expire, access, mechanism, token, rump);
        }

        /** RFC 4467 access: submit+user, user+user, authuser, anonymous. */
        private String access(String enc) throws ProtocolException {
            String lower = enc.toLowerCase(Locale.ROOT);
            if (lower.equals("authuser") || lower.equals("anonymous")) {
                return lower;
            }
            for (String prefix : new String[] {"submit+", "user+"}) {
                if (lower.startsWith(prefix) && enc.length() > prefix.length()) {
                    return prefix + decode(enc.substring(prefix.length()), "access user");
                }
            }
            throw new ProtocolException("Unknown URLAUTH access identifier");
        }

        private Section section(String spec) throws ProtocolException {
            Section sec = ArgReader.sectionSpec(spec);
            if (sec.part().size() > maxSectionDepth) {
                throw new ProtocolException("Section nested deeper than " + maxSectionDepth + " parts");
            }
            return sec;
        }

        /** Consumes {@code k} if it is next, ignoring case. */
        private boolean keyword(String k) {
            if (s.regionMatches(true, pos, k, 0, k.length())) {
                pos += k.length();
                return true;
            }
            return false;
        }

        /** An IMAP number (nz-number with {@code nonZero}), at most 2^32-1, no leading zeros but "0". */
        private long number(boolean nonZero) throws ProtocolException {
            int start = pos;
            while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
                pos++;
            }
            if (pos == start) {
                throw new ProtocolException("Expected a number in URL at " + start);
            }
            if (pos - start > 10) {
                throw new ProtocolException("Number out of range in URL");
            }
            long n = Long.parseLong(s.substring(start, pos));
            if (n > MAX_NUMBER || (nonZero && n == 0) || (s.charAt(start) == '0' && pos - start > 1)) {
                throw new ProtocolException("Number out of range in URL");
            }
            return n;
        }
    }

    /**
     * Percent-decodes (RFC 3986 2.1) into UTF-8 text, refusing a broken escape, bytes that are no UTF-8
     * and control characters (a name that could hide a line end or a NUL).
     */
    static String decode(String enc, String what) throws ProtocolException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(enc.length());
        for (int i = 0; i < enc.length(); i++) {
            char c = enc.charAt(i);
            if (c == '%') {
                if (i + 2 >= enc.length() || Character.digit(enc.charAt(i + 1), 16) < 0
                        || Character.digit(enc.charAt(i + 2), 16) < 0) {
                    throw new ProtocolException("Malformed %-escape in URL " + what);
                }
                out.write(Character.digit(enc.charAt(i + 1), 16) * 16 + Character.digit(enc.charAt(i + 2), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(out.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException("URL " + what + " is not UTF-8");
        }
        if (text.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
            throw new ProtocolException("Control character in URL " + what);
        }
        return text;
    }
}
