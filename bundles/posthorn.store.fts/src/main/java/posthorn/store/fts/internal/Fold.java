package posthorn.store.fts.internal;

import java.util.ArrayList;
import java.util.List;

import posthorn.text.support.UnicodeCasemap;

/**
 * The text normalisation shared by what is indexed and what is looked up, and the trigrams of a
 * search string. Stateless.
 *
 * <p>Why the index is never short of a true match: the server's matcher compares the
 * i;unicode-casemap maps (RFC 5051, I18NLEVEL=1) of the needle and of the decoded text
 * (posthorn.imap.server TextScanner.fold, on chunks of a part), and here the same text is mapped by
 * the same code ({@link UnicodeCasemap}, compiled into both bundles from posthorn.text.support). The
 * map works character by character (titlecase, then NFKD, of each character on its own), so every
 * occurrence of the needle's map is an occurrence in the indexed text's map, and chunk edges in the
 * matcher change nothing: every trigram of an occurring needle occurs in the indexed text. An index
 * built with another normalisation (the lower-casing before I18NLEVEL=1) is rebuilt: see
 * {@link #VERSION}.
 */
final class Fold {
    /**
     * The normalisation the index was built with, kept in each commit's user data; an index whose
     * commits name another (or none) is emptied and built again, since its trigrams would not match.
     */
    static final String VERSION = "unicode-casemap-1";

    private Fold() {
    }

    /** The i;unicode-casemap map, as the matcher folds. */
    static String fold(String s) {
        return UnicodeCasemap.fold(s);
    }

    /** The distinct trigrams (three UTF-16 units) of an already folded string; empty if it is shorter. */
    static List<String> trigrams(String folded) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i + 3 <= folded.length(); i++) {
            String t = folded.substring(i, i + 3);
            if (!out.contains(t)) {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * The trigrams of the letter-and-digit runs of an already folded string: what an address or
     * header needle keeps whatever comments, quoting, folding or spacing ENVELOPE's rewriting changes.
     */
    static List<String> runTrigrams(String folded) {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= folded.length(); i++) {
            boolean in = i < folded.length() && Character.isLetterOrDigit(folded.charAt(i));
            if (in && start < 0) {
                start = i;
            } else if (!in && start >= 0) {
                for (String t : trigrams(folded.substring(start, i))) {
                    if (!out.contains(t)) {
                        out.add(t);
                    }
                }
                start = -1;
            }
        }
        return out;
    }

    /**
     * A header value with what address parsing drops taken out: comments (outside quotes), whitespace,
     * double quotes and backslashes. ENVELOPE joins {@code jo (c) e@x} to {@code joe@x} and unquotes
     * {@code "J\"o"}; the letter runs of such a rewriting occur in this form.
     */
    static String squeeze(String s) {
        StringBuilder b = new StringBuilder(s.length());
        int comment = 0;
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                if (i + 1 < s.length() && comment == 0) {
                    b.append(s.charAt(++i));
                } else {
                    i++;
                }
                continue;
            }
            if (!quoted && c == '(') {
                comment++;
            } else if (!quoted && c == ')' && comment > 0) {
                comment--;
            } else if (comment == 0) {
                if (c == '"') {
                    quoted = !quoted;
                } else if (!Character.isWhitespace(c)) {
                    b.append(c);
                }
            }
        }
        return b.toString();
    }
}
