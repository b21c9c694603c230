package posthorn.store.fts.internal;

import java.util.Map;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import posthorn.imap.server.admin.SizeSource;
import posthorn.store.api.search.TextIndex;

/**
 * The full-text index's sizes for the metrics page ({@code posthorn_size{source="fts",measure=...}}):
 * the indexes open now, their documents and bytes at their last commits. Answers from memory, as
 * {@link SizeSource} requires.
 */
@Component(service = SizeSource.class)
public final class FtsSizes implements SizeSource {

    /** This bundle's own index; only its implementation knows the figures. */
    @Reference(target = "(component.name=posthorn.store.fts.internal.LuceneTextIndex)")
    TextIndex index;

    @Override
    public String name() {
        return "fts";
    }

    @Override
    public Map<String, Long> sizes() {
        return index instanceof LuceneTextIndex lucene ? lucene.sizes() : Map.of();
    }
}
