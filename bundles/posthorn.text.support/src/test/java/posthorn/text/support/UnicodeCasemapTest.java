package posthorn.text.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * i;unicode-casemap (RFC 5051), the comparator of I18NLEVEL=1 (RFC 5255): pairs that must compare
 * equal, and SORT's order. Dovecot 2.3 agrees on the SEARCH cases (sortsearch.imapc, ss-i18n-search).
 */
class UnicodeCasemapTest {

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
        "abc, ABC",
        "été, ÉTÉ",
        // decomposed and precomposed forms (RFC 5051 2: the decomposition step)
        "e\u0301t\u0065\u0301, ÉTÉ",
        // titlecase: the digraph dz with caron in its three cases
        "\u01C6, \u01C4",
        "\u01C5, \u01C6",
        // compatibility decomposition after the titlecase step: the ligature fi has no titlecase of
        // its own, so its map keeps the decomposition's lower-case "fi" (as Dovecot's; see below)
        "\uFB01le, \uFB01LE",
        // Greek final sigma has the same titlecase as sigma
        "\u03C2, \u03A3",
        "Straße, STRAßE",
    })
    void equalUnderTheCasemap(String a, String b) {
        assertEquals(UnicodeCasemap.fold(a), UnicodeCasemap.fold(b));
        assertEquals(0, UnicodeCasemap.compareKeys(a, b));
    }

    /** RFC 5051 2's order (titlecase, then NFKD), as Dovecot 2.3 answers SEARCH SUBJECT FILE: no match. */
    @org.junit.jupiter.api.Test
    void theLigatureIsNotTheCapitals() {
        assertEquals("fiLE", UnicodeCasemap.fold("\uFB01le"));
        assertTrue(!UnicodeCasemap.fold("\uFB01le").equals(UnicodeCasemap.fold("FILE")));
    }

    @ParameterizedTest(name = "{0} < {1}")
    @CsvSource({
        // as i;ascii-casemap for ASCII: "[" and "_" after the letters (RFC 5256's examples)
        "zebra, [x", "ZEBRA, _x", "apple, Banana", "a, ab",
        // by code point after the map: É (E + U+0301) sorts as E, before F
        "Été, FAA", "eta, ÉTÉ",
        // a character beyond the BMP after every BMP one, as in UTF-8
        "\uFFFD, \uD83D\uDE00",
    })
    void orderedByTheCasemap(String a, String b) {
        assertTrue(UnicodeCasemap.compareKeys(a, b) < 0);
        assertTrue(UnicodeCasemap.compareKeys(b, a) > 0);
    }

    @ParameterizedTest
    @CsvSource({"NO LOWER CASE 123", "[]_"})
    void asciiWithoutLowerCaseIsHandedBackUncopied(String s) {
        assertTrue(s == UnicodeCasemap.fold(s));
    }
}
