package posthorn.store.fts.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.junit.jupiter.api.Test;

class DistinctTrigramsTest {
    /** What the stream emits, in order. */
    static List<String> read(DistinctTrigrams s, List<String> values) throws IOException {
        s.of(values);
        CharTermAttribute t = s.getAttribute(CharTermAttribute.class);
        List<String> out = new ArrayList<>();
        s.reset();
        while (s.incrementToken()) {
            out.add(t.toString());
        }
        s.end();
        s.close();
        return out;
    }

    /** Every trigram of each value on its own, each once: the analyzer's terms, deduplicated. */
    static List<String> expected(List<String> values) {
        Set<String> all = new LinkedHashSet<>();
        for (String v : values) {
            for (int i = 0; i + 3 <= v.length(); i++) {
                all.add(v.substring(i, i + 3));
            }
        }
        return new ArrayList<>(all);
    }

    @Test
    void eachValueIsSplitOnItsOwnAndRepeatsAreDropped() throws IOException {
        List<String> values = List.of("abcabc", "xy", "bcx", "", "abcd");
        // "bcx" is a value of its own; no "cxy" or "xyb" across the boundaries of "xy".
        assertEquals(List.of("abc", "bca", "cab", "bcx", "bcd"), read(new DistinctTrigrams(), values));
    }

    @Test
    void aReusedStreamForgetsTheLastDocumentAndSurvivesGrowth() throws IOException {
        DistinctTrigrams s = new DistinctTrigrams();
        Random r = new Random(14);
        for (int doc = 0; doc < 50; doc++) {
            List<String> values = new ArrayList<>();
            for (int v = 0; v < 1 + r.nextInt(4); v++) {
                StringBuilder b = new StringBuilder();
                int len = r.nextInt(doc % 7 == 0 ? 40_000 : 300);
                for (int i = 0; i < len; i++) {
                    // A small alphabet repeats trigrams; some chars outside Latin-1 and surrogates.
                    b.append(r.nextInt(10) == 0 ? (char) (0x3b0 + r.nextInt(0xd000)) : (char) ('a' + r.nextInt(20)));
                }
                values.add(b.toString());
            }
            assertEquals(expected(values), read(s, values), "document " + doc);
        }
    }
}
