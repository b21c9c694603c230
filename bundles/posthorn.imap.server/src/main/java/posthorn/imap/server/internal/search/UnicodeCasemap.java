package posthorn.imap.server.internal.search;

import java.text.Normalizer;

/**
 * The i;unicode-casemap collation (RFC 5051), the default comparator of I18NLEVEL=1 (RFC 5255 4):
 * every character mapped to its titlecase (Unicode's simple mapping, as Dovecot's table has it),
 * then fully decomposed (NFKD). Two strings are equal when their maps are equal, a substring when
 * its map is a substring, and they sort by the code points of their maps. Stateless.
 *
 * <p>Plain ASCII, nearly all of what SEARCH and SORT see, takes a fast path: its titlecase is its
 * upper case and it has no decomposition, so the map is the string upper-cased, and a string
 * already without a-z is handed back as it is.
 */
public final class UnicodeCasemap {
    private UnicodeCasemap() {
    }

    /** The string's map: titlecase, then NFKD (RFC 5051 2). */
    public static String fold(String s) {
        int n = s.length();
        boolean lower = false;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                return foldUnicode(s);
            }
            lower |= c >= 'a' && c <= 'z';
        }
        if (!lower) {
            return s;
        }
        char[] out = new char[n];
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            out[i] = c >= 'a' && c <= 'z' ? (char) (c - 32) : c;
        }
        return new String(out);
    }

    private static String foldUnicode(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        // Decompose first (so that a precomposed letter's titlecase is that of its base letter), map,
        // and decompose again: a titlecase mapping can yield a character with a decomposition.
        String d = Normalizer.normalize(s, Normalizer.Form.NFKD);
        d.codePoints().forEach(cp -> b.appendCodePoint(Character.toTitleCase(cp)));
        return Normalizer.normalize(b, Normalizer.Form.NFKD);
    }

    /**
     * What SORT keeps of a string to compare with {@link #compareKeys}: plain ASCII as it is (a-z are
     * upper-cased as it compares, which spares SORT a copy of every key), the map of anything else.
     */
    public static String sortKey(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return foldUnicode(s);
            }
        }
        return s;
    }

    /**
     * Compares two {@link #sortKey}s as their maps compare: by code point, as the octets of their
     * UTF-8 forms do (RFC 5051 2.2 compares octets), a-z taken as A-Z.
     */
    public static int compareKeys(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = upper(a.charAt(i));
            char y = upper(b.charAt(i));
            if (x != y) {
                // a surrogate (U+10000 and above) sorts after every BMP character, as in UTF-8
                boolean sx = Character.isSurrogate(x);
                boolean sy = Character.isSurrogate(y);
                if (sx != sy) {
                    return sx ? 1 : -1;
                }
                return x - y;
            }
        }
        return a.length() - b.length();
    }

    private static char upper(char c) {
        return c >= 'a' && c <= 'z' ? (char) (c - 32) : c;
    }
}
