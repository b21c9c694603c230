package posthorn.imap.protocol;

/**
 * Modified UTF-7 for mailbox names (RFC 3501 5.1.3): printable US-ASCII stands for itself except
 * "&amp;", written "&amp;-"; every other run of characters is "&amp;" + modified BASE64 (",", not "/",
 * no padding) of UTF-16 + "-".
 */
public final class MailboxNames {
    private MailboxNames() {
    }

    private static final char[] ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".toCharArray();
    private static final int[] VALUE = new int[128];

    static {
        java.util.Arrays.fill(VALUE, -1);
        for (int i = 0; i < ALPHABET.length; i++) {
            VALUE[ALPHABET[i]] = i;
        }
    }

    private static boolean printable(char c) {
        return c >= 0x20 && c <= 0x7E;
    }

    /** Unicode to modified UTF-7. */
    public static String encode(String name) {
        StringBuilder sb = new StringBuilder(name.length() + 8);
        int i = 0;
        while (i < name.length()) {
            char c = name.charAt(i);
            if (c == '&') {
                sb.append("&-");
                i++;
            } else if (printable(c)) {
                sb.append(c);
                i++;
            } else {
                int start = i;
                while (i < name.length() && !printable(name.charAt(i))) {
                    i++;
                }
                sb.append('&');
                encodeBase64(name, start, i, sb);
                sb.append('-');
            }
        }
        return sb.toString();
    }

    private static void encodeBase64(String s, int from, int to, StringBuilder sb) {
        int bits = 0;
        int nbits = 0;
        for (int i = from; i < to; i++) {
            bits = (bits << 16) | s.charAt(i);
            nbits += 16;
            while (nbits >= 6) {
                nbits -= 6;
                sb.append(ALPHABET[(bits >>> nbits) & 0x3F]);
            }
            bits &= (1 << nbits) - 1;
        }
        if (nbits > 0) {
            sb.append(ALPHABET[(bits << (6 - nbits)) & 0x3F]);
        }
    }

    /**
     * Modified UTF-7 to Unicode.
     *
     * @throws ProtocolException if it is not valid modified UTF-7 (bad base64, non-canonical
     *         encoding of printable ASCII, unterminated shift, '&amp;' not written as "&amp;-")
     */
    public static String decode(String name) throws ProtocolException {
        StringBuilder sb = new StringBuilder(name.length());
        int i = 0;
        while (i < name.length()) {
            char c = name.charAt(i++);
            if (!printable(c)) {
                throw new ProtocolException("Invalid mailbox name: not 7-bit printable");
            }
            if (c != '&') {
                sb.append(c);
                continue;
            }
            if (i < name.length() && name.charAt(i) == '-') {
                sb.append('&');
                i++;
                continue;
            }
            i = decodeBase64(name, i, sb);
        }
        return sb.toString();
    }

    /** Decodes from {@code i} (after "&amp;") to the closing "-"; returns the index after it. */
    private static int decodeBase64(String name, int i, StringBuilder sb) throws ProtocolException {
        int bits = 0;
        int nbits = 0;
        int start = i;
        char high = 0;
        while (true) {
            if (i >= name.length()) {
                throw new ProtocolException("Invalid mailbox name: unterminated &-encoding");
            }
            char c = name.charAt(i++);
            if (c == '-') {
                break;
            }
            int v = c < 128 ? VALUE[c] : -1;
            if (v < 0) {
                throw new ProtocolException("Invalid mailbox name: bad modified BASE64");
            }
            bits = (bits << 6) | v;
            nbits += 6;
            if (nbits >= 16) {
                nbits -= 16;
                char u = (char) (bits >>> nbits);
                bits &= (1 << nbits) - 1;
                if (printable(u)) {
                    throw new ProtocolException("Invalid mailbox name: printable US-ASCII needlessly encoded");
                }
                if (Character.isHighSurrogate(u)) {
                    if (high != 0) {
                        throw new ProtocolException("Invalid mailbox name: broken surrogate pair");
                    }
                    high = u;
                } else if (Character.isLowSurrogate(u)) {
                    if (high == 0) {
                        throw new ProtocolException("Invalid mailbox name: broken surrogate pair");
                    }
                    sb.append(high).append(u);
                    high = 0;
                } else {
                    if (high != 0) {
                        throw new ProtocolException("Invalid mailbox name: broken surrogate pair");
                    }
                    sb.append(u);
                }
            }
        }
        if (i - 1 == start) {
            throw new ProtocolException("Invalid mailbox name: empty &-encoding");
        }
        if (nbits >= 6 || bits != 0) {
            throw new ProtocolException("Invalid mailbox name: bits left over in &-encoding");
        }
        if (high != 0) {
            throw new ProtocolException("Invalid mailbox name: broken surrogate pair");
        }
        return i;
    }
}
