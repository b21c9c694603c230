/** The Lucene index behind {@link posthorn.store.api.search.TextIndex}: private to this bundle. */
package posthorn.store.fts.internal;
