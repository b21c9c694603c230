package posthorn.store.fts.internal;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the index did since the start, for the metrics page ({@link LuceneTextIndex#sizes}): the
 * messages searches indexed themselves and those they left to the server to read, and the background
 * indexer's work. Thread-safe.
 */
final class Counters {
    /** Messages a search read into the index before answering (its own indexing budget). */
    final LongAdder searchIndexed = new LongAdder();
    /** Messages a search found not indexed and left as candidates: the server read them. */
    final LongAdder searchUnindexed = new LongAdder();
    /** Messages the background indexer added. */
    final LongAdder backgroundIndexed = new LongAdder();
    /** Arrival notices dropped because the queue was full (their mailboxes wait for the next notice or search). */
    final LongAdder dropped = new LongAdder();
}
