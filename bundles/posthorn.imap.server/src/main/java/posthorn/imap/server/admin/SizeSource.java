package posthorn.imap.server.admin;

import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A whiteboard hook for sizes a metrics page shows beside the server's own counts: a store's index
 * cache, a full-text index. Any bundle may register one (0..n); a metrics page asks each when it is
 * read, so {@link #sizes} must answer at once from what the bundle already knows, never by walking a
 * disk.
 */
@ConsumerType
public interface SizeSource {

    /**
     * The source's name, a metric label: lower case letters, digits and underscores
     * ({@code maildir_index}, {@code fts}).
     */
    String name();

    /**
     * The sizes now, by what they measure (lower case letters, digits and underscores:
     * {@code bytes}, {@code documents}, {@code entries}); each a count, never negative.
     */
    Map<String, Long> sizes();
}
