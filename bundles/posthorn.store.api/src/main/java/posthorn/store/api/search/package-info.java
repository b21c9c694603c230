/**
 * Text search SPI: an optional index that narrows SEARCH's text keys (BODY, TEXT, SUBJECT, FROM,
 * HEADER, ...) down to candidate messages before the server checks each candidate itself.
 *
 * <p>An index bundle registers a {@link posthorn.store.api.search.TextIndex} service; the server binds
 * it optionally and dynamically and searches as before, message by message, while none is bound or
 * when the index cannot answer. The index only ever says which messages <em>cannot</em> match: the
 * server still decides which of the rest do, so an index may err towards more candidates, never fewer.
 *
 * <p>1.0.0: {@link posthorn.store.api.search.TextIndex}, {@link posthorn.store.api.search.TextTerm}.
 */
@Version("1.0.0")
@Export
package posthorn.store.api.search;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
