package posthorn.store.fts.internal;

import java.io.IOException;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

/**
 * Splits an already folded value ({@link Fold}) into every trigram of three consecutive UTF-16 units,
 * spaces and punctuation included: a substring search (SEARCH is one, RFC 3501 6.4.4) can then be
 * narrowed to the documents holding all of the needle's trigrams, whatever the word boundaries. Each
 * value of a multi-valued field is split on its own, as the server matches within one part or one
 * header line. Lucene core's own tokenizers split on words, which would miss "obnic" in
 * "quuxfrobnicator"; its n-gram tokenizer is in analysis-common, a 1.9 MB jar for these few lines.
 */
final class TrigramAnalyzer extends Analyzer {

    @Override
    protected TokenStreamComponents createComponents(String fieldName) {
        return new TokenStreamComponents(new TrigramTokenizer());
    }

    private static final class TrigramTokenizer extends Tokenizer {
        private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
        private final char[] buf = new char[8192];
        private int len;
        private int pos;
        private boolean eof;

        @Override
        public boolean incrementToken() throws IOException {
            clearAttributes();
            if (len - pos < 3 && !eof) {
                System.arraycopy(buf, pos, buf, 0, len - pos);
                len -= pos;
                pos = 0;
                while (len < buf.length && !eof) {
                    int n = input.read(buf, len, buf.length - len);
                    if (n < 0) {
                        eof = true;
                    } else {
                        len += n;
                    }
                }
            }
            if (len - pos < 3) {
                return false;
            }
            term.copyBuffer(buf, pos, 3);
            pos++;
            return true;
        }

        @Override
        public void reset() throws IOException {
            super.reset();
            len = 0;
            pos = 0;
            eof = false;
        }
    }
}
