package posthorn.store.maildir.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * IMAP's modified UTF-7 (RFC 3501 5.1.3), the spelling Courier uses for folder directory names.
 * Kept here rather than borrowed from posthorn.imap.protocol: the store depends on the SPI only.
 */
final class ModifiedUtf7 {
    private static final char[] ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".toCharArray();
    private static final int[] VALUE = new int[128];

    static {
        java.util.Arrays.fill(VALUE, -1);
        for (int i = 0; i < ALPHABET.length; i++) {
            VALUE[ALPHABET[i]] = i;
        }
    }

    private ModifiedUtf7() {
    }

    static String encode(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c >= 0x20 && c <= 0x7e) {
                out.append(c == '&' ? "&-" : String.valueOf(c));
                i++;
                continue;
            }
            int start = i;
            while (i < text.length() && (text.charAt(i) < 0x20 || text.charAt(i) > 0x7e)) {
                i++;
            }
            byte[] utf16 = text.substring(start, i).getBytes(StandardCharsets.UTF_16BE);
            out.append('&');
            int bits = 0;
            int buffer = 0;
            for (byte b : utf16) {
                buffer = (buffer << 8) | (b & 0xff);
                bits += 8;
                while (bits >= 6) {
                    bits -= 6;
                    out.append(ALPHABET[(buffer >> bits) & 0x3f]);
                }
            }
            if (bits > 0) {
                out.append(ALPHABET[(buffer << (6 - bits)) & 0x3f]);
            }
            out.append('-');
        }
        return out.toString();
    }

    /** @throws IllegalArgumentException if {@code text} is not well-formed modified UTF-7 */
    static String decode(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException("not printable ASCII at " + i);
            }
            if (c != '&') {
                out.append(c);
                i++;
                continue;
            }
            int end = text.indexOf('-', i + 1);
            if (end < 0) {
                throw new IllegalArgumentException("unterminated shift at " + i);
            }
            if (end == i + 1) {
                out.append('&');
                i = end + 1;
                continue;
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int bits = 0;
            int buffer = 0;
            for (int j = i + 1; j < end; j++) {
                char d = text.charAt(j);
                int v = d < 128 ? VALUE[d] : -1;
                if (v < 0) {
                    throw new IllegalArgumentException("bad base64 character at " + j);
                }
                buffer = (buffer << 6) | v;
                bits += 6;
                if (bits >= 8) {
                    bits -= 8;
                    bytes.write((buffer >> bits) & 0xff);
                }
            }
            if (bits >= 6 || (buffer & ((1 << bits) - 1)) != 0 || bytes.size() % 2 != 0) {
                throw new IllegalArgumentException("bad base64 run ending at " + end);
            }
            String decoded = new String(bytes.toByteArray(), StandardCharsets.UTF_16BE);
            for (int k = 0; k < decoded.length(); k++) {
                char d = decoded.charAt(k);
                if (d >= 0x20 && d <= 0x7e) {
                    throw new IllegalArgumentException("printable ASCII inside a shift at " + i);
                }
            }
            out.append(decoded);
            i = end + 1;
        }
        return out.toString();
    }
}
