package posthorn.store.fts.internal;

import java.util.Arrays;
import java.util.List;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

/**
 * The trigrams of all the values of one field of one document, each distinct trigram once. The index
 * keeps only which documents hold a term (DOCS, no frequencies or positions), so a repeat adds
 * nothing but Lucene's per-token hashing, which was most of the indexing time: a 12 KB message has
 * some 12,000 trigrams and only a few thousand distinct ones. Each value is split on its own, as by
 * {@link TrigramAnalyzer}, so the set of terms is exactly the analyzer's: no trigram spans two values.
 *
 * <p>Not thread-safe: one instance per {@link UserIndex} (whose lock serialises indexing), reused for
 * every document through {@link #of}; its seen-set is cleared by bumping a generation, not by filling.
 */
final class DistinctTrigrams extends TokenStream {
    private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
    private List<String> values = List.of();
    private int value;
    private int pos;
    /** Open addressing set of packed trigrams; slot i is in use iff stamps[i] == generation. */
    private long[] keys = new long[1 << 12];
    private int[] stamps = new int[1 << 12];
    private int generation = 1;
    private int size;

    /** Points this stream at the next document's values; Lucene then resets and reads it. */
    DistinctTrigrams of(List<String> next) {
        this.values = next;
        return this;
    }

    @Override
    public void reset() {
        value = 0;
        pos = 0;
        size = 0;
        if (++generation == 0) {
            Arrays.fill(stamps, 0);
            generation = 1;
        }
    }

    @Override
    public boolean incrementToken() {
        while (value < values.size()) {
            String s = values.get(value);
            while (pos + 3 <= s.length()) {
                char a = s.charAt(pos);
                char b = s.charAt(pos + 1);
                char c = s.charAt(pos + 2);
                pos++;
                if (add(((long) a << 32) | ((long) b << 16) | c)) {
                    clearAttributes();
                    char[] t = term.resizeBuffer(3);
                    t[0] = a;
                    t[1] = b;
                    t[2] = c;
                    term.setLength(3);
                    return true;
                }
            }
            value++;
            pos = 0;
        }
        return false;
    }

    /** True if the key was not yet in the set (and is now). */
    private boolean add(long key) {
        int mask = keys.length - 1;
        int i = hash(key) & mask;
        while (stamps[i] == generation) {
            if (keys[i] == key) {
                return false;
            }
            i = (i + 1) & mask;
        }
        stamps[i] = generation;
        keys[i] = key;
        if (++size * 2 > keys.length) {
            grow();
        }
        return true;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldStamps = stamps;
        int g = generation;
        keys = new long[oldKeys.length * 2];
        stamps = new int[oldKeys.length * 2];
        generation = 1;
        int mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldStamps[j] == g) {
                int i = hash(oldKeys[j]) & mask;
                while (stamps[i] == generation) {
                    i = (i + 1) & mask;
                }
                stamps[i] = generation;
                keys[i] = oldKeys[j];
            }
        }
    }

    private static int hash(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29));
    }
}
