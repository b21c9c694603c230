package posthorn.imap.server.internal.search;

import java.util.ArrayList;
import java.util.List;

import posthorn.store.api.search.TextTerm;

/**
 * The text conditions every match of a search key must meet, for a full-text index to narrow the
 * messages by: the BODY, TEXT, HEADER, SUBJECT (a HEADER), FROM, TO, CC and BCC keys of the key's
 * top-level conjunction. Keys under OR or NOT are left out (a message may match without them), and so
 * are empty strings (they match any message). Stateless.
 */
public final class TextTerms {
    private TextTerms() {
    }

    public static List<TextTerm> of(SearchKey key) {
        List<TextTerm> out = new ArrayList<>();
        collect(key, out);
        return out;
    }

    private static void collect(SearchKey k, List<TextTerm> out) {
        switch (k) {
            case SearchKey.And a -> a.keys().forEach(x -> collect(x, out));
            case SearchKey.Text t -> {
                if (!t.text().isEmpty()) {
                    out.add(new TextTerm(t.withHeader() ? TextTerm.Where.TEXT : TextTerm.Where.BODY, t.text()));
                }
            }
            case SearchKey.Header h -> {
                if (!h.text().isEmpty()) {
                    out.add(new TextTerm(TextTerm.Where.HEADER, h.text()));
                }
            }
            case SearchKey.Address ad -> {
                if (!ad.text().isEmpty()) {
                    out.add(new TextTerm(TextTerm.Where.HEADER, ad.text()));
                }
            }
            default -> {
            }
        }
    }
}
