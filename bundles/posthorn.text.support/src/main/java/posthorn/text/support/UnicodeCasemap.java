package posthorn.text.support;

import java.text.Normalizer;

/**
 * The i;unicode-casemap collation (RFC 5051), the default comparator of I18NLEVEL=1 (RFC 5255 4):
 * every character mapped to its titlecase (Unicode's simple mapping, as Dovecot's table has it),
 * then fully decomposed (NFKD). Two strings are equal when their maps are equal, a substring when
 * its map is a substring, and they sort by the code points of their maps. Stateless.
 *
 * <p>Plain ASCII, nearly all of what SEARCH and SORT see, takes a fast path: its titlecase is its
 * upper case and it has no decomposition, so the map is the string upper-cased, and a string
 * already without a-z is handed back as it is. Other characters' maps are computed once each.
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

    /**
     * Each BMP character's map, computed on first use: the whole string's map is the concatenation
     * of its characters' maps (both steps work character by character; NFKD's reordering of a run of
     * several combining marks is the one thing this leaves out, and it changes no comparison of real
     * text). Filled racily but safely: every thread computes the same immutable string.
     */
    private static final String[] MAP = new String[0x10000];

    private static String foldUnicode(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                b.append(c >= 'a' && c <= 'z' ? (char) (c - 32) : c);
            } else if (Character.isSurrogate(c)) {
                return foldSlowly(s);
            } else {
                b.append(map(c));
            }
        }
        return b.toString();
    }

    /** The map by the book (RFC 5051 2), for a string with characters beyond the BMP. */
    private static String foldSlowly(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        // In RFC 5051's order, titlecase first, then NFKD: a compatibility character without a
        // titlecase of its own keeps the case its decomposition has (the ligature fi maps to "fi", not
        // "FI"), as Dovecot's comparator does (conformance ss-i18n-search)
        s.codePoints().forEach(cp -> b.appendCodePoint(Character.toTitleCase(cp)));
        return Normalizer.normalize(b, Normalizer.Form.NFKD);
    }

    /**
     * Compares two strings as their maps ({@link #fold}) compare: by code point, as the octets of
     * their UTF-8 forms do (RFC 5051 2.2 compares octets). SORT compares the strings of its column
     * directly, so that sorting 50,000 keys maps nothing in the common case: equal characters have
     * equal maps, two ASCII characters compare upper-cased, and only at the first difference that
     * involves another character are the rest of both strings mapped.
     */
    public static int compareKeys(String a, String b) {
        // The hot loop is kept small (so that the JIT inlines it into SORT's comparator); what
        // needs the maps is in differing(), which most comparisons never reach.
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                if ((x | y) >= 0x80) {
                    return differing(a, b, i);
                }
                int d = upper(x) - upper(y);
                if (d != 0) {
                    return d;
                }
            }
        }
        return a.length() - b.length();
    }

    /** {@link #compareKeys} from the first differing position {@code i} where a character is not ASCII. */
    private static int differing(String a, String b, int i) {
        char x = a.charAt(i);
        char y = b.charAt(i);
        if (!Character.isSurrogate(x) && !Character.isSurrogate(y)) {
            // The maps of the rest begin with these two characters' maps: a difference there decides.
            int d = compareMapped(map(x), map(y), true);
            if (d != 0) {
                return d;
            }
        }
        return compareMapped(fold(a.substring(i)), fold(b.substring(i)), false);
    }

    /** One BMP character's map (not a surrogate). */
    private static String map(char c) {
        String m = MAP[c];
        if (m == null) {
            m = c < 0x80 ? String.valueOf(upper(c)) : foldSlowly(String.valueOf(c));
            MAP[c] = m;
        }
        return m;
    }

    /** Compares two maps by code point; with {@code prefixOnly}, 0 when one begins the other. */
    private static int compareMapped(String a, String b, boolean prefixOnly) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
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
        return prefixOnly ? 0 : a.length() - b.length();
    }

    private static char upper(char c) {
        return c >= 'a' && c <= 'z' ? (char) (c - 32) : c;
    }
}
