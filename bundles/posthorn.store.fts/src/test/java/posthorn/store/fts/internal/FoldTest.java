package posthorn.store.fts.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;

class FoldTest {

    @Test
    void trigramsKeepSpacesAndPunctuation() {
        assertEquals(List.of("a b", " b,", "b,c"), Fold.trigrams("a b,c"));
        assertEquals(List.of(), Fold.trigrams("ab"));
    }

    @Test
    void runTrigramsAreThoseOfLetterAndDigitRuns() {
        assertEquals(List.of("joe", "exa", "xam", "amp", "mpl", "ple", "org"), Fold.runTrigrams("<joe@example.org>"));
    }

    @Test
    void foldingIsCharByCharSoEveryOccurrenceSurvives() {
        // The matcher lower-cases whole chunks; chunk edges must not change what the index holds.
        String text = "ΟΔΟΣ ΚΑΙ ΣΟΦΙΑ İstanbul STRASSE";
        String whole = Fold.fold(text);
        StringBuilder chunked = new StringBuilder();
        for (int i = 0; i < text.length(); i += 3) {
            chunked.append(Fold.fold(text.substring(i, Math.min(text.length(), i + 3))));
        }
        assertEquals(whole, chunked.toString());
        String needle = "σ και";
        assertTrue(whole.contains(Fold.fold(needle)));
        assertTrue(Fold.fold(text).contains(Fold.fold(text.toLowerCase(Locale.ROOT).substring(3, 9))));
    }

    @Test
    void squeezeDropsCommentsQuotesAndSpaces() {
        assertEquals("Smith,\"jjohn@example.org", Fold.squeeze("\"Smith, \\\"j\" <jo (c (nested)) hn@exa mple.org>")
                .replace("<", "").replace(">", ""));
    }
}
