package posthorn.store.fts.internal;

import java.util.List;

import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;

import posthorn.store.api.search.TextTerm;

/**
 * The Lucene query that narrows a search by its text terms: every trigram of a term must be in the
 * field its text is in. A term with no trigram to demand (fewer than three chars; a header term with
 * no run of three letters or digits) narrows nothing and is left out; with none left there is no query.
 * Stateless.
 */
final class Queries {
    /**
     * Bounds that keep a query within Lucene's 1024 clauses in all (IndexSearcher.maxClauseCount): the
     * first terms that narrow, the first trigrams of each. Fewer clauses only make more candidates.
     */
    static final int MAX_TERMS = 4;
    static final int MAX_TRIGRAMS = 64;

    private Queries() {
    }

    /** The conjunction of the terms that narrow, or null if none does. */
    static Query of(List<TextTerm> terms) {
        BooleanQuery.Builder all = new BooleanQuery.Builder();
        int clauses = 0;
        for (TextTerm t : terms) {
            if (clauses == MAX_TERMS) {
                break;
            }
            Query q = of(t);
            if (q != null) {
                all.add(q, Occur.FILTER);
                clauses++;
            }
        }
        return clauses == 0 ? null : all.build();
    }

    static Query of(TextTerm t) {
        String folded = Fold.fold(t.text());
        return switch (t.where()) {
            case BODY -> every("body", Fold.trigrams(folded));
            case HEADER -> every("head", Fold.runTrigrams(folded));
            case TEXT -> {
                Query body = every("body", Fold.trigrams(folded));
                Query head = every("head", Fold.trigrams(folded));
                yield body == null ? null : new BooleanQuery.Builder()
                        .add(body, Occur.SHOULD).add(head, Occur.SHOULD).build();
            }
        };
    }

    private static Query every(String field, List<String> trigrams) {
        if (trigrams.isEmpty()) {
            return null;
        }
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        int n = 0;
        for (String g : trigrams) {
            if (n++ == MAX_TRIGRAMS) {
                break;
            }
            b.add(new TermQuery(new Term(field, g)), Occur.FILTER);
        }
        return b.build();
    }
}
