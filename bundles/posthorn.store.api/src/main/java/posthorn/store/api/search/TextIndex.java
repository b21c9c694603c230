package posthorn.store.api.search;

import java.util.List;
import java.util.function.LongPredicate;

import org.osgi.annotation.versioning.ProviderType;

import posthorn.store.api.Mailbox;

/**
 * A text index over users' mailboxes, registered as an OSGi service by an index bundle. Thread-safe:
 * sessions of one user may ask at the same time.
 */
@ProviderType
public interface TextIndex {

    /**
     * Which messages of a mailbox may hold every one of {@code terms}. Before answering, the index
     * brings itself up to date with the handle's view ({@link Mailbox#messages()}), reading new
     * messages through {@link Mailbox#openMessage} and forgetting expunged ones; it is called on the
     * session's thread, the one that owns {@code mailbox}.
     *
     * <p>The answer never leaves out a message that matches: a message the index has not read
     * completely (too large, unreadable, arrived since) is a candidate; a term the index cannot
     * narrow by (too short, say) narrows nothing.
     *
     * @param user    the login name whose mail {@code mailbox} is (the index is kept per user)
     * @param mailbox the open mailbox, in a state {@link Mailbox#sync()} left it
     * @param terms   conditions that must all hold
     * <p>A test that is also {@link AutoCloseable} is closed by the caller once it has read the
     * candidates (the index may hold its own background work on this user's mail back until then, so
     * as not to read the same messages on another core meanwhile); one never closed must cost the
     * index nothing but a bounded delay.
     *
     * @return a test that is true for every UID that may match, or null if the index cannot narrow
     *         the search at all (then the caller reads every message, as without an index)
     */
    LongPredicate candidates(String user, Mailbox mailbox, List<TextTerm> terms);

    /**
     * The index's size for a metrics page: counts by what they measure (lower case letters, digits
     * and underscores, e.g. {@code documents}, {@code bytes}), never negative, answered at once from
     * memory. An empty map (this default) when the index keeps no such figures.
     */
    default java.util.Map<String, Long> sizes() {
        return java.util.Map.of();
    }
}
