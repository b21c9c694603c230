package posthorn.store.fts.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The text normalisation shared by what is indexed and what is looked up, and the trigrams of a
 * search string. Stateless.
 *
 * <p>Why the index is never short of a true match: the server's matcher compares
 * {@code s.toLowerCase(Locale.ROOT)} of the needle and of the decoded text (posthorn.imap.server
 * TextScanner.fold, on chunks of a part). Here the same text is lower-cased the same way, then each
 * char is mapped on its own ({@link #norm}: lower case again, final sigma as sigma), a mapping that
 * does not depend on context. A char-by-char mapping keeps every occurrence of the needle's folded
 * form an occurrence of its normalised form, and it erases the one context-dependent difference of
 * Locale.ROOT lower-casing (Greek final sigma), so chunk edges in the matcher change nothing. Every
 * trigram of an occurring needle therefore occurs in the indexed text.
 */
final class Fold {
    private Fold() {
    }

    /** Lower case as the matcher folds, then {@link #norm} char by char. */
    static String fold(String s) {
        String lower = s.toLowerCase(Locale.ROOT);
        char[] c = lower.toCharArray();
        for (int i = 0; i < c.length; i++) {
            // ASCII is already lower case after toLowerCase and norm would keep it.
            if (c[i] >= 0x80) {
                c[i] = norm(c[i]);
            }
        }
        return new String(c);
    }

    static char norm(char c) {
        char l = Character.toLowerCase(c);
        return l == '\u03c2' ? '\u03c3' : l;
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
